"""Values no real CRM export holds: control characters, text longer than its column, dates decades away.

Checked per row, with the row and column named, before anything is written: a database would
otherwise store a NUL (SQLite, then read the text back cut short), refuse it with a raw error and no
row number (PostgreSQL), or let a year-9999 date turn every report's day counts absurd.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from sqlalchemy import Table

from storage.models import Deal, Rep, Team

# C0 controls and DEL, but not tab, line feed or carriage return (quoted notes may span lines).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _length(table: Table, column: str) -> int:
    return table.c[column].type.length


_DEAL: Table = Deal.__table__  # type: ignore[attr-defined]
_REP: Table = Rep.__table__  # type: ignore[attr-defined]
_TEAM: Table = Team.__table__  # type: ignore[attr-defined]

# Per kind, {field: the most characters its column holds}, read from the schema. Fields resolved
# against stored data (owners, stages, deal ids in a history) are checked by that lookup instead.
LIMITS: dict[str, dict[str, int]] = {
    "deals": {"external_id": _length(_DEAL, "external_id"), "name": _length(_DEAL, "name"),
              "account": _length(_DEAL, "account")},
    "reps": {"email": _length(_REP, "email"), "name": _length(_REP, "name"),
             "slack_user_id": _length(_REP, "slack_user_id"), "team": _length(_TEAM, "name")},
    "history": {},
    "targets": {},
}


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character other than tab and line breaks."""
    # isprintable() is one C loop and true for nearly every cell (accents included); only text it
    # refuses (line breaks, tabs, non-breaking spaces... or a control character) is searched.
    return not text.isprintable() and CONTROL.search(text) is not None


def control_message(text: str) -> str:
    """What is wrong with a cell holding a control character."""
    char = CONTROL.search(text).group()  # type: ignore[union-attr]
    name = "a NUL byte" if char == "\x00" else f"the control character U+{ord(char):04X}"
    return f"holds {name}; remove it (a broken export or a binary file?)"


class DateWindow:
    """Dates an import accepts: from ``years_back`` before ``now`` to ``years_ahead`` after it.

    Dates of things that happened (a deal's creation, a stage entry, a history move) may not be
    after ``now``; planned ones (close dates, follow-ups) may. Checked on every date of every row:
    the bounds are computed once, and a date inside them costs two comparisons.
    """

    def __init__(self, now: datetime, years_back: int = 20, years_ahead: int = 5):
        self.now, self.years_back, self.years_ahead = now, years_back, years_ahead
        self.earliest = _years_from(now.date(), -years_back)
        self.latest = _years_from(now.date(), years_ahead)
        self.first = datetime.combine(self.earliest, time(), tzinfo=UTC)  # the earliest day's midnight, UTC
        self.last = datetime.combine(self.latest, time.max, tzinfo=UTC)  # the latest day's last instant, UTC

    def problem(self, value: datetime | date, *, future: bool) -> str | None:
        """Why ``value`` is implausible, or None. ``future``: whether it may lie after now."""
        if (value.__class__ is datetime and value.tzinfo is UTC  # the usual case: a parsed instant
                and self.first <= value <= (self.last if future else self.now)):
            return None
        day = value.date() if isinstance(value, datetime) else value
        if day < self.earliest:
            return (f"{day.isoformat()} is more than {self.years_back} years ago (before {self.earliest.isoformat()}); "
                    "check the date or its --date-format, or set STAGECOACH_IMPORT_YEARS_BACK")
        if not future and (value > self.now if isinstance(value, datetime) else day > self.now.date()):
            return f"{day.isoformat()} is in the future (now is {self.now.date().isoformat()}); it cannot have happened yet"
        if day > self.latest:
            return (f"{day.isoformat()} is more than {self.years_ahead} years ahead (after {self.latest.isoformat()}); "
                    "check the date or its --date-format, or set STAGECOACH_IMPORT_YEARS_AHEAD")
        return None


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb 29 into a year without one, or past year 1 / 9999
        if date.min.year <= day.year + years <= date.max.year:
            return day.replace(year=day.year + years, day=28)
        return date.min if years < 0 else date.max
