"""Turning CSV cells into values; each parser raises ValueError with a message fit for the user."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bot.errors import InvalidInput
from knowledge.process_map import ProcessMap
from storage.models import CLOSED_STAGES
from storage.timeutil import parse_instant, to_utc

_CENTS = Decimal("0.01")
_MAX_AMOUNT = Decimal("1e12")  # Numeric(14, 2)
_PLAIN_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_CURRENCY = re.compile(r"^(?:[$€£¥]|[A-Z]{3})\s*|\s*(?:[$€£¥]|[A-Z]{3})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_amount(text: str) -> Decimal:
    """A non-negative amount with at most cents; tolerates a currency sign or code and 1,234 thousands."""
    if _PLAIN_AMOUNT.match(text):  # the usual cell, checked without the slower clean-up below
        return Decimal(text).quantize(_CENTS, rounding=ROUND_HALF_UP)
    plain = _CURRENCY.sub("", text.strip())
    if _THOUSANDS.match(plain):
        plain = plain.replace(",", "")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value < 0 or value >= _MAX_AMOUNT:
        raise ValueError(f"amount out of range (0 to 999,999,999,999.99): {text!r}")
    return value.quantize(_CENTS, rounding=ROUND_HALF_UP)


def parse_when(text: str, date_format: str | None = None) -> datetime:
    """An instant: ISO 8601 date or datetime (UTC when no zone), else ``date_format`` (strptime)."""
    try:
        return parse_instant(text)
    except ValueError:
        if not date_format:
            raise ValueError(f"not an ISO 8601 date or datetime: {text!r}") from None
    try:
        return to_utc(datetime.strptime(text.strip(), date_format))
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or a date in the format {date_format!r}: {text!r}") from None


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
        self._cache: dict[str, tuple[str, str]] = {}
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
        hit = self._cache.get(text) or self._aliases.get(text.strip().lower())
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
            self._cache[text] = hit
        if hit[0] == "closed" and not allow_closed:
            raise ValueError(f"{text!r} is not a stage here; won/lost only close a deal")
        return hit

    def criteria_of(self, stage_key: str) -> set[str]:
        return self._criteria.get(stage_key, set())
