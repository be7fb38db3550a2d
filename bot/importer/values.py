"""Turning cells into values (a file's text, or a CRM's typed values); each parser raises ValueError with a
message fit for the user."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any, NamedTuple

from bot.core.errors import InvalidInput
from knowledge.process_map import ProcessMap
from storage.models import CLOSED_STAGES
from storage.timeutil import parse_instant, to_utc

CENTS = _CENTS = Decimal("0.01")
_MAX_AMOUNT = Decimal("1e12")  # Numeric(14, 2)
_PLAIN_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_US_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")  # 1,234,567.89
_EU_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+,\d+$|^[1-9]\d{0,2}(\.\d{3}){2,}$")  # 1.234,56 and 1.234.567
_EU_DECIMALS = re.compile(r"^\d+,\d{1,2}$")  # 12,50
_DOT_OR_THOUSANDS = re.compile(r"^[1-9]\d{0,2}\.\d{3}$")  # 1.500: 1500 or 1.5?
_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CURRENCY_SIGN = re.compile(r"^([$€£¥])\s*|\s*([$€£¥])$")
_CURRENCY_CODE = re.compile(r"^([A-Za-z]{3})\s*|\s*([A-Za-z]{3})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# ISO 4217 currencies whose minor unit is not the cent (the rest have 2 decimals). Amounts are stored to
# the cent, so the 3-decimal currencies (BHD, KWD...) are kept to the cent too.
_NO_DECIMALS = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
                "XAF", "XOF", "XPF"}


class ExtraDecimals(ValueError):
    """An amount with more decimals than a cent: refused, unless the source keeps amounts that way (a CRM)."""

    def __init__(self, message: str, money: Money):
        super().__init__(message)
        self.money = money  # the exact amount, to round when the source allows it


def round_to_currency(value: Decimal, currency: str) -> Decimal:
    """``value`` rounded to ``currency``'s precision (whole units for JPY, else cents), half to even.

    Half to even, not half up: a CRM's amounts with extra decimals are rounded by the thousand, and
    rounding halves up would raise their totals every time; half to even leaves sums unbiased.
    """
    places = Decimal(1) if currency.upper() in _NO_DECIMALS else _CENTS
    return value.quantize(places, rounding=ROUND_HALF_EVEN).quantize(_CENTS)


class Money(NamedTuple):
    """An amount cell: its value and the currency it names (an ISO code, or None when it names none)."""

    value: Decimal
    currency: str | None = None
    sign_only: bool = False  # the currency came from a sign ($ is also the peso's): a currency column wins


def parse_amount(text: str) -> Decimal:
    """A non-negative amount with at most cents (see ``parse_money``)."""
    return parse_money(text).value


def parse_money(text: str) -> Money:
    """A non-negative amount with at most cents, and the currency its cell names.

    Takes a currency sign or ISO code before or after the number, and thousands separators when they
    cannot be mistaken for decimals: ``$4,500``, ``1.234,56``, ``1200 EUR``, ``12,50``. Never guesses:
    ``1.500`` (1500 or 1.5?), ``$5 EUR`` (two currencies), ``1_000`` and ``0.001`` (less than a cent)
    are refused with what to write instead.
    """
    if (amount := plain_amount(text)) is not None:  # the usual cell, checked without the slower clean-up below
        return Money(amount)
    plain, currency, sign_only = _split_currency(text)
    if "_" in plain:
        raise ValueError(f"not an amount: {text!r} (write it without '_', e.g. 1000)")
    if _US_THOUSANDS.match(plain):
        plain = plain.replace(",", "")
    elif _EU_THOUSANDS.match(plain):
        plain = plain.replace(".", "").replace(",", ".")
    elif _EU_DECIMALS.match(plain):
        plain = plain.replace(",", ".")
    elif _DOT_OR_THOUSANDS.match(plain):
        whole, _, part = plain.partition(".")
        raise ValueError(f"ambiguous amount {text!r}: {whole}{part}, or {whole}.{part} with a decimal point? "
                         f"Write it without a thousands separator ({whole}{part}), or with 2 decimals")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value < 0 or value >= _MAX_AMOUNT:
        raise ValueError(f"amount out of range (0 to 999,999,999,999.99): {text!r}")
    cents = value.quantize(_CENTS, rounding=ROUND_HALF_UP)
    if cents != value:
        raise ExtraDecimals(f"amount {text!r} has more than 2 decimals; amounts are kept to the cent",
                            Money(value, currency, sign_only))
    return Money(cents, currency, sign_only)


def plain_amount(text: str) -> Decimal | None:
    """The amount of a cell of digits with at most 2 decimals (no sign, separator or currency), else None."""
    if not _PLAIN_AMOUNT.match(text):
        return None
    return Decimal(text) if text[-3:-2] == "." else Decimal(text).quantize(_CENTS)  # (2 decimals: as quantized)


def _split_currency(text: str) -> tuple[str, str | None, bool]:
    """(the number's text, the currency the cell names or None, whether only by a sign)."""
    plain = text.strip()
    sign = code = None
    if match := _CURRENCY_SIGN.search(plain):
        sign = _SIGNS[match.group(1) or match.group(2)]
        plain = _CURRENCY_SIGN.sub("", plain, count=1).strip()
    if match := _CURRENCY_CODE.search(plain):
        code = (match.group(1) or match.group(2)).upper()
        plain = _CURRENCY_CODE.sub("", plain, count=1).strip()
    if sign and code and sign != code and not (sign == "USD" and code not in _SIGNS.values()):
        raise ValueError(f"{text!r} names two currencies ({sign} and {code}); keep one")
    return plain, code or sign, code is None and sign is not None


def parse_when(text: str, date_format: str | None = None, tz: tzinfo | None = None) -> datetime:
    """An instant: ISO 8601 date or datetime, else ``date_format`` (strptime).

    A time without a zone is in ``tz`` (a CRM report export's user time zone), UTC when None.
    """
    try:
        if tz is None:
            return parse_instant(text)
        return _in_zone(datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00")), tz)
    except ValueError:
        if not date_format:
            raise ValueError(f"not an ISO 8601 date or datetime: {text!r}") from None
    try:
        return _in_zone(datetime.strptime(text.strip(), date_format), tz)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or a date in the format {date_format!r}: {text!r}") from None


def utc_instant(text: str) -> datetime | None:
    """What ``parse_when`` gives for an ISO 8601 datetime with a UTC offset ("Z", "+00:00"), whatever its
    time zone and format; None for any other text (which ``parse_when`` then reads or refuses)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is UTC else None


def iso_day(text: str) -> date | None:
    """What ``parse_day`` gives for an ISO 8601 date ("2026-11-20"); None for any other text."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _in_zone(value: datetime, tz: tzinfo | None) -> datetime:
    return to_utc(value.replace(tzinfo=tz) if value.tzinfo is None and tz is not None else value)


def parse_day(text: str, date_format: str | None = None) -> date:
    """A calendar day; a datetime gives its day as written (a close date is a day, not an instant)."""
    plain = text.strip()
    try:
        return date.fromisoformat(plain)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(plain[:-1] + "+00:00" if plain.endswith(("Z", "z")) else plain).date()
    except ValueError:
        return parse_when(text, date_format).date()


def day_start(day: date) -> datetime:
    """Midnight UTC of ``day``: when a deal with only a close date closed."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def check_email(text: str) -> str:
    if not _EMAIL.match(text):
        raise ValueError(f"not an email address: {text!r}")
    return text


# The CRMs' and people's spellings of the forecast categories (Salesforce's labels, HubSpot's internal values).
# "Closed" says nothing a deal's status does not: no category. Salesforce's optional "Most Likely" sits
# between commit and best case; it counts as best case, the more cautious of the two.
_CATEGORY_SPELLINGS = {"commit": "commit", "best case": "best_case", "bestcase": "best_case",
                       "most likely": "best_case", "pipeline": "pipeline", "omitted": "omitted", "omit": "omitted",
                       "not forecasted": "omitted", "closed": None}


def forecast_category(text: str) -> str | None:
    """The forecast category (``FORECAST_CATEGORIES``) a cell names; None for "Closed".

    Raises:
        ValueError: a category we do not know.
    """
    key = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if key not in _CATEGORY_SPELLINGS:
        raise ValueError(f"unknown forecast category {text!r} (commit, best case, pipeline, omitted or closed)")
    return _CATEGORY_SPELLINGS[key]


def closed_status(text: str) -> str | None:
    """'won' or 'lost' for the ways CRMs spell a closed stage ("Closed Won", "closedlost"...), else None."""
    squeezed = re.sub(r"[^a-z]", "", text.lower())
    for status in CLOSED_STAGES:
        if squeezed in (status, "closed" + status):
            return status
    return None


class StageResolver:
    """Stage cells to stage keys, by key or display name ignoring case, with closed states apart."""

    def __init__(self, process: ProcessMap, aliases: dict[str, str] | None = None):
        """``aliases`` maps a CRM's stage names (any case) to stage keys, won or lost.

        Raises:
            InvalidInput: an alias points at no stage of the map.
        """
        self.process = process
        self.cache: dict[str, tuple[str, str]] = {}  # text -> what ``resolve`` gave for it (closed states allowed)
        self._aliases: dict[str, tuple[str, str]] = {}
        self._criteria = {stage.key: {c.key for c in stage.exit_criteria} for stage in process.stages}
        problems = []
        for name, target in (aliases or {}).items():
            key = target.strip().lower()
            if key in CLOSED_STAGES:
                self._aliases[name.strip().lower()] = ("closed", key)
            elif process.stage(key) is not None:
                self._aliases[name.strip().lower()] = ("stage", key)
            else:
                problems.append(f"stages: {name!r} maps to {target!r}, which is not a stage of "
                                f"{process.name!r} ({', '.join(process.stage_keys)}) nor won/lost")
        if problems:
            raise InvalidInput("the mapping names unknown stages", problems)

    def resolve(self, text: str, *, allow_closed: bool = True) -> tuple[str, str]:
        """("stage", key) or ("closed", "won"|"lost").

        Raises:
            ValueError: not a stage of the active map (nor won/lost when allowed).
        """
        hit = self.cache.get(text) or self._aliases.get(text.strip().lower())
        if hit is None:
            stage = self.process.stage_by_name(text)
            status = closed_status(text)
            if stage is not None:
                hit = ("stage", stage.key)
            elif status is not None:
                hit = ("closed", status)
            else:
                known = ", ".join(self.process.stage_keys)
                raise ValueError(f"unknown stage {text!r} (stages of {self.process.name!r}: {known}; or won/lost)")
            self.cache[text] = hit
        if hit[0] == "closed" and not allow_closed:
            raise ValueError(f"{text!r} is not a stage here; won/lost only close a deal")
        return hit

    def criteria_of(self, stage_key: str) -> set[str]:
        return self._criteria.get(stage_key, set())


class Cells(NamedTuple):
    """How a source's cells become values, chosen once per import (see ``source``).

    Each value has a fast reader for the usual cell (None when the cell is not usual) and a full one,
    which reads every form the source may give or raises ValueError naming the problem. A file's cells
    are text (``text_cells``); a CRM connector's may already be datetimes, dates and Decimals
    (``typed_cells``), which skip the text round trip and meet the same checks after it.
    """

    instant_fast: Callable[[Any], datetime | None]  # an aware datetime in UTC
    instant: Callable[[Any], datetime]
    day_fast: Callable[[Any], date | None]
    day: Callable[[Any], date]
    amount_fast: Callable[[Any], Decimal | None]  # in the amount's currency, to the cent
    money: Callable[[Any], Money]


def text_cells(date_format: str | None = None, tz: tzinfo | None = None) -> Cells:
    """Cells of a text file: ISO 8601 or ``date_format``; a time without a zone is in ``tz`` (UTC when None)."""
    return Cells(utc_instant, partial(parse_when, date_format=date_format, tz=tz), iso_day,
                 partial(parse_day, date_format=date_format), plain_amount, parse_money)


def typed_cells(date_format: str | None = None, tz: tzinfo | None = None) -> Cells:
    """Cells already typed: datetimes (naive ones in ``tz``, UTC when None), dates, Decimals or ints;
    a cell given as text is read as a file's would be."""
    text = text_cells(date_format, tz)

    def instant_fast(value: Any) -> datetime | None:
        return value.astimezone(UTC) if value.__class__ is datetime and value.tzinfo is not None else None

    def instant(value: Any) -> datetime:
        if isinstance(value, str):
            return text.instant(value)
        if isinstance(value, datetime):
            return _in_zone(value, tz)
        if isinstance(value, date):
            return _in_zone(datetime(value.year, value.month, value.day), tz)
        raise ValueError(f"not a date and time: {value!r}")

    def day(value: Any) -> date:
        if isinstance(value, str):
            return text.day(value)
        if isinstance(value, date):
            return value.date() if isinstance(value, datetime) else value
        raise ValueError(f"not a date: {value!r}")

    def amount_fast(value: Any) -> Decimal | None:
        if value.__class__ is str:
            return plain_amount(value)
        try:
            return money(value).value
        except ValueError:
            return None

    def money(value: Any) -> Money:
        if isinstance(value, str):
            return parse_money(value)
        if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
            raise ValueError(f"not an amount: {value!r}")
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not amount.is_finite() or amount < 0 or amount >= _MAX_AMOUNT:
            raise ValueError(f"amount out of range (0 to 999,999,999,999.99): {value}")
        cents = amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
        if cents != amount:
            raise ExtraDecimals(f"amount {value} has more than 2 decimals; amounts are kept to the cent", Money(amount))
        return Money(cents)

    return Cells(instant_fast, instant, lambda value: value if value.__class__ is date else None, day,
                 amount_fast, money)
