"""Report periods: parsed from words or flags into a spec, resolved in a timezone into UTC bounds.

Parsing and resolving are separate because the timezone is only known once the
scope is (a team's timezone, else the company's): "October" for a team in Tokyo
begins nine hours before October in UTC.

A period is half-open, ``[start, end)``. A period that has not ended yet ends now
(``to_now``), so "this month" means "from the 1st until now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.core.errors import InvalidInput
from storage.timeutil import EARLIEST_DAY, LATEST_DAY, local_midnight_utc, to_utc, zone

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY_RE = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR_RE = r"(?:,?\s*(\d{4}))?"
# A date in words or ISO: "2026-10-01", "Oct 1", "October 1st, 2026", "1 Oct 2026".
_DATE_RE = (rf"(?:(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})|{_MONTH_RE}\.?\s+{_DAY_RE}\b{_YEAR_RE}"
            rf"|{_DAY_RE}\s+{_MONTH_RE}\b{_YEAR_RE})")
_UNITS = {"week": "week", "wk": "week", "month": "month", "mo": "month", "quarter": "quarter", "qtr": "quarter",
          "q": "quarter", "year": "year", "yr": "year", "day": "day"}
UNKNOWN_YEAR = 4  # a leap year, so "Feb 29" parses before its real year is known
_TO_DATE = {"wtd": "week", "mtd": "month", "qtd": "quarter", "ytd": "year"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_RE = r"(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rsday|urday)?\b"


@dataclass(frozen=True)
class PeriodSpec:
    """A period as asked, before a timezone makes it concrete.

    ``kind`` is one of: ``relative`` (unit + offset: 0 this, -1 last), ``month`` (month + optional year),
    ``quarter`` (quarter + optional year), ``year``, ``since`` (first day, or the start of a relative
    unit + offset, or — unit ``weekday`` — the latest such weekday: ``days`` is its index, Monday 0, and
    offset -1 "last Monday", before today), ``range`` (first and last day,
    inclusive), ``days`` (the last N days up to now).
    """

    kind: str
    unit: str | None = None
    offset: int = 0
    month: int | None = None
    quarter: int | None = None
    year: int | None = None
    first: date | None = None
    last: date | None = None
    days: int | None = None

    def resolve(self, now: datetime, tz_name: str | None) -> Period:
        """The concrete period in ``tz_name`` as of ``now``."""
        return _resolve(self, to_utc(now), tz_name)


@dataclass(frozen=True)
class Period:
    """Concrete UTC bounds ``[start, end)`` plus how to speak about them."""

    start: datetime
    end: datetime
    label: str        # "October", "Q3 2025", "last 30 days", "Oct 1 – Oct 15"
    opening: str      # the start as a manager says it: "October", "the week of Nov 9", "Oct 1"
    timezone: str
    to_now: bool      # the period is still running: its end is ``now``
    first_day: date | None = None  # the local calendar days it covers, whole (a running period's too):
    last_day: date | None = None   # close dates and targets are days, compared with these

    def to_json(self) -> dict:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "timezone": self.timezone, "to_now": self.to_now}


# -- parsing -------------------------------------------------------------------------------------------


def find_period(text: str) -> PeriodSpec | None:
    """The period a sentence mentions, if any ("stage flow last month", "conversion since Oct 1")."""
    t = " " + text.lower().replace("’", "'") + " "
    for finder in (_find_range, _find_since, _find_iso_forms, _find_relative, _find_quarter, _find_month):
        spec = finder(t)
        if spec is not None:
            return spec
    return None


def parse_period(text: str) -> PeriodSpec:
    """A period given as a flag or tool argument: ``2026-10``, ``2026-Q3``, ``last-month``, ``FROM..TO``,
    or any phrase ``find_period`` understands.

    Raises:
        InvalidInput: nothing in the text reads as a period.
    """
    spec = find_period(text.replace("_", " "))
    if spec is None:
        raise InvalidInput(
            f"not a period: {text!r} (try 2026-10, 2026-Q3, last-month, this-quarter, 2026-10-01..2026-10-31, "
            "'since Oct 1' or 'October')"
        )
    years = [d.year for d in (spec.first, spec.last) if d is not None and d.year != UNKNOWN_YEAR]
    years += [spec.year] if spec.year is not None else []
    if any(not EARLIEST_DAY.year <= year <= LATEST_DAY.year for year in years):
        raise InvalidInput(f"period {text!r}: give dates between {EARLIEST_DAY} and {LATEST_DAY}")
    return spec


def _date_from(groups: tuple) -> tuple[int | None, int, int]:
    """(year or None, month, day) from the 9 groups of ``_DATE_RE``."""
    iso_y, iso_m, iso_d, m1, d1, y1, d2, m2, y2 = groups
    if iso_y:
        return int(iso_y), int(iso_m), int(iso_d)
    if m1:
        return (int(y1) if y1 else None), _month_number(m1), int(d1)
    return (int(y2) if y2 else None), _month_number(m2), int(d2)


def _month_number(word: str) -> int:
    return next(i for i, name in enumerate(MONTHS, 1) if name.startswith(word.lower()[:3]))


def _find_range(t: str) -> PeriodSpec | None:
    sep = r"\s*(?:\.\.|to|until|through|thru|and|–|—|-)\s*"
    m = re.search(rf"(?:from|between)?\s*{_DATE_RE}{sep}{_DATE_RE}", t)
    if not m:
        return None
    (y1, m1, d1), (y2, m2, d2) = _date_from(m.groups()[:9]), _date_from(m.groups()[9:])
    return PeriodSpec("range", first=_partial(y1, m1, d1), last=_partial(y2 or y1, m2, d2))


def _partial(year: int | None, month: int, day: int) -> date:
    """A date whose year may be unknown yet (``UNKNOWN_YEAR``, a leap year, until resolved); bad days are an error."""
    try:
        return date(year or UNKNOWN_YEAR, month, day)
    except ValueError:
        raise InvalidInput(f"not a real date: month {month}, day {day}") from None


def _find_since(t: str) -> PeriodSpec | None:
    m = re.search(rf"\bsince\s+(last\s+)?{_WEEKDAY_RE}", t)
    if m:
        index = next(i for i, name in enumerate(WEEKDAYS) if name.startswith(m.group(2)))
        return PeriodSpec("since", unit="weekday", days=index, offset=-1 if m.group(1) else 0)
    m = re.search(r"\bsince\s+(?:the\s+(?:start|beginning)\s+of\s+)?(this|last)\s+(week|month|quarter|year)\b", t)
    if m:
        return PeriodSpec("since", unit=m.group(2), offset=0 if m.group(1) == "this" else -1)
    m = re.search(rf"\b(?:since|from|starting|after)\s+(?:the\s+)?{_DATE_RE}", t)
    if m:
        return PeriodSpec("since", first=_partial(*_date_from(m.groups())))
    m = re.search(rf"\b(?:since|from|starting)\s+(?:the\s+(?:start|beginning)\s+of\s+)?{_MONTH_RE}\b{_YEAR_RE}", t)
    if m:
        return PeriodSpec("since", first=_partial(int(m.group(2)) if m.group(2) else None, _month_number(m.group(1)), 1))
    return None


def _find_iso_forms(t: str) -> PeriodSpec | None:
    if m := re.search(r"\b(\d{4})-q([1-4])\b", t):
        return PeriodSpec("quarter", quarter=int(m.group(2)), year=int(m.group(1)))
    if m := re.search(r"\bq([1-4])[\s-]+(\d{4})\b", t):
        return PeriodSpec("quarter", quarter=int(m.group(1)), year=int(m.group(2)))
    if m := re.search(r"\b(\d{4})-(\d{1,2})\b(?!-\d)", t):
        month = int(m.group(2))
        if 1 <= month <= 12:
            return PeriodSpec("month", month=month, year=int(m.group(1)))
    if m := re.search(r"\b(?:in|for|during)\s+(\d{4})\b", t):
        return PeriodSpec("year", year=int(m.group(1)))
    return None


def _find_relative(t: str) -> PeriodSpec | None:
    if m := re.search(r"\b(?:last|past|previous|trailing)\s+(\d{1,3})\s+(days?|weeks?)\b", t):
        n = int(m.group(1)) * (7 if m.group(2).startswith("week") else 1)
        return PeriodSpec("days", days=n) if n > 0 else None
    if m := re.search(r"\b(this|current|last|previous|prior|past)[\s-]+(week|wk|month|mo|quarter|qtr|q|year|yr)\b", t):
        offset = 0 if m.group(1) in ("this", "current") else -1
        return PeriodSpec("relative", unit=_UNITS[m.group(2)], offset=offset)
    if m := re.search(r"\b(wtd|mtd|qtd|ytd)\b", t):
        return PeriodSpec("relative", unit=_TO_DATE[m.group(1)], offset=0)
    if m := re.search(r"\b(today|yesterday)\b", t):
        return PeriodSpec("relative", unit="day", offset=0 if m.group(1) == "today" else -1)
    if re.search(r"\b(?:so far this|to date)\b", t):
        return PeriodSpec("relative", unit="month", offset=0)
    return None


def _find_quarter(t: str) -> PeriodSpec | None:
    m = re.search(r"\bq([1-4])\b(?:\s*(?:of\s+)?(\d{4}))?", t)
    if m:
        return PeriodSpec("quarter", quarter=int(m.group(1)), year=int(m.group(2)) if m.group(2) else None)
    return None


def _find_month(t: str) -> PeriodSpec | None:
    for m in re.finditer(rf"(\b(?:in|for|during|of|over|through)\s+)?\b{_MONTH_RE}\b{_YEAR_RE}", t):
        word, year = m.group(2), m.group(3)
        # "may" and "march" are also ordinary words: only a preposition or a year makes them months.
        if word in ("may", "mar", "march") and not (m.group(1) or year):
            continue
        return PeriodSpec("month", month=_month_number(word), year=int(year) if year else None)
    return None


# -- resolving -----------------------------------------------------------------------------------------


def _resolve(spec: PeriodSpec, now: datetime, tz_name: str | None) -> Period:
    tz = zone(tz_name)
    today = now.astimezone(tz).date()
    try:
        first, last_excl, label, opening = _bounds(spec, today)
    except (OverflowError, ValueError):  # a period reaching past the calendar's ends (year 1 or 9999)
        raise InvalidInput(f"the period reaches outside the dates Stagecoach handles; give dates between "
                           f"{EARLIEST_DAY} and {LATEST_DAY}") from None
    if first > today:
        raise InvalidInput(f"the period {label} has not begun yet")
    start = local_midnight_utc(first, tz)
    end = local_midnight_utc(last_excl, tz)
    to_now = end > now
    return Period(start=start, end=min(end, now) if to_now else end, label=label, opening=opening,
                  timezone=tz_name or "UTC", to_now=to_now, first_day=first, last_day=last_excl - timedelta(days=1))


def period_days(spec: PeriodSpec, today: date) -> tuple[date, date, str]:
    """First and last day (inclusive) and label of ``spec`` as of ``today``; unlike ``resolve``, a period
    that has not begun is fine (a target is set ahead).

    Raises:
        InvalidInput: the period reaches outside the calendar Stagecoach handles.
    """
    try:
        first, end, label, _ = _bounds(spec, today)
    except (OverflowError, ValueError):
        raise InvalidInput(f"the period reaches outside the dates Stagecoach handles; give dates between "
                           f"{EARLIEST_DAY} and {LATEST_DAY}") from None
    return first, end - timedelta(days=1), label


def target_days(spec: PeriodSpec, today: date) -> tuple[date, date, str]:
    """The days a target's period covers: a quarter or month named without a year is the next one not over."""
    if spec.kind in ("quarter", "month") and spec.year is None:
        first, last, label = period_days(replace(spec, year=today.year), today)
        if last >= today:
            return first, last, label
        return period_days(replace(spec, year=today.year + 1), today)
    return period_days(spec, today)


def _bounds(spec: PeriodSpec, today: date) -> tuple[date, date, str, str]:
    """First day, day after the last, label, opening — all local dates."""
    if spec.kind == "relative":
        return _relative(spec.unit or "month", spec.offset, today)
    if spec.kind == "month":
        year = spec.year or _latest_year(today, lambda y: date(y, spec.month, 1))
        first = date(year, spec.month, 1)
        name = _month_label(first, today)
        return first, _add_months(first, 1), name, name
    if spec.kind == "quarter":
        year = spec.year or _latest_year(today, lambda y: date(y, 3 * spec.quarter - 2, 1))
        first = date(year, 3 * spec.quarter - 2, 1)
        name = f"Q{spec.quarter}" + ("" if year == today.year else f" {year}")
        return first, _add_months(first, 3), name, name
    if spec.kind == "year":
        return date(spec.year, 1, 1), date(spec.year + 1, 1, 1), str(spec.year), str(spec.year)
    if spec.kind == "days":
        first = today - timedelta(days=spec.days - 1)
        return first, today + timedelta(days=1), f"last {spec.days} days", _day_label(first, today)
    if spec.kind == "since" and spec.unit == "weekday":
        back = (today.weekday() - (spec.days or 0)) % 7
        first = today - timedelta(days=back or (7 if spec.offset else 0))  # "since last Monday", on a Monday: a week
        return first, today + timedelta(days=1), f"since {_day_label(first, today)}", _day_label(first, today)
    if spec.kind == "since":
        first = _with_year(spec.first, today) if spec.first else _relative(spec.unit or "month", spec.offset, today)[0]
        return first, today + timedelta(days=1), f"since {_day_label(first, today)}", _day_label(first, today)
    if spec.kind == "range":
        first = _with_year(spec.first, today)
        last = spec.last
        if last.year == UNKNOWN_YEAR:
            last = _safe_replace_year(last, first.year)
            if last < first:
                last = _safe_replace_year(spec.last, first.year + 1)
        if last < first:
            raise InvalidInput(f"the period ends ({last}) before it begins ({first})")
        return (first, last + timedelta(days=1), f"{_day_label(first, today)} – {_day_label(last, today)}",
                _day_label(first, today))
    raise InvalidInput(f"unknown period kind {spec.kind!r}")


def _relative(unit: str, offset: int, today: date) -> tuple[date, date, str, str]:
    word = "this" if offset == 0 else "last"
    if unit == "day":
        day = today + timedelta(days=offset)
        return day, day + timedelta(days=1), ("today" if offset == 0 else "yesterday"), _day_label(day, today)
    if unit == "week":
        first = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
        return first, first + timedelta(weeks=1), f"{word} week", f"the week of {_day_label(first, today)}"
    if unit == "month":
        first = _add_months(today.replace(day=1), offset)
        name = _month_label(first, today)
        return first, _add_months(first, 1), name, name
    if unit == "quarter":
        first = _add_months(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3 * offset)
        name = f"Q{(first.month - 1) // 3 + 1}" + ("" if first.year == today.year else f" {first.year}")
        return first, _add_months(first, 3), name, name
    year = today.year + offset
    return date(year, 1, 1), date(year + 1, 1, 1), str(year), str(year)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _latest_year(today: date, start_of: callable) -> int:
    """The year of the most recent occurrence that has begun: "October" in February means last October."""
    return today.year if start_of(today.year) <= today else today.year - 1


def _with_year(day: date, today: date) -> date:
    if day.year != UNKNOWN_YEAR:
        return day
    candidate = _safe_replace_year(day, today.year)
    return candidate if candidate <= today else _safe_replace_year(day, today.year - 1)


def _safe_replace_year(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # Feb 29 in a common year
        return date(year, 3, 1)


def _month_label(first: date, today: date) -> str:
    name = MONTHS[first.month - 1].capitalize()
    return name if first.year == today.year else f"{name} {first.year}"


def _day_label(day: date, today: date) -> str:
    text = f"{MONTHS[day.month - 1][:3].capitalize()} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"
