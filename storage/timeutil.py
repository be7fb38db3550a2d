"""Time helpers: the database holds timezone-aware UTC; people live in their own timezones.

The program's one clock is here. ``SystemClock`` is the only code that reads the system
time; everything else asks the runtime (``Runtime.now()``) or is handed ``now`` by a
caller that did, so a test can fix the time and the suite passes on any date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """Now, as the aware UTC datetime the tables store."""
        ...


class SystemClock:
    """The real time, for the running program."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told: tests set it, and every reader sees the same instant."""

    def __init__(self, at: datetime):
        self.set(at)

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = to_utc(at)

    def advance(self, by: timedelta) -> None:
        self.at += by


def to_utc(value: datetime) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already (CSV files, CLI flags)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO 8601 date or datetime, with or without zone (UTC when none), as aware UTC.

    Raises:
        ValueError: the text is not an ISO 8601 date or datetime.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty date")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        except ValueError:
            raise ValueError(f"not an ISO 8601 date or datetime: {text!r}") from None
    # The usual case (imports call this per cell): already UTC, nothing to convert.
    return value if value.tzinfo is UTC else to_utc(value)


# The days dates may name on the command line (--now, --date, --period): far enough either way for
# any real history or plan, and clear of the calendar's ends (year 1, 9999), where date arithmetic
# (a period's next day, a digest's day before) overflows.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def check_supported(day: date, what: str) -> None:
    """Raise ValueError naming ``what`` when ``day`` lies outside EARLIEST_DAY..LATEST_DAY."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"{what}: give a date between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")


def zone(name: str | None) -> ZoneInfo:
    """A timezone by IANA name; UTC for None.

    Raises:
        ValueError: the name is not a known timezone.
    """
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone: {name!r}") from None


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``tz``."""
    return to_utc(datetime.combine(day, time(), tzinfo=tz))
