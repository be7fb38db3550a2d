"""A deal's close date, amount, stage and status at a past moment, rebuilt from its recorded changes.

Close-date and amount changes come from the CRM sync and ``import history`` (values as the source
wrote them: ISO dates or datetimes, amounts as text); stage changes from ``StageChange``. At a moment
``t`` a value is the one its latest change before ``t`` set. Before a deal's first recorded change it
is the value that change replaced (``old_value``) when the source gave it, else its first recorded value
(a CRM records a property's first value when the deal is created). A deal without any recorded change
keeps the value it has now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from storage.forecast import DealFacts, ValueChange
from storage.models import CLOSED_STAGES

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH_MS = re.compile(r"\d{11,13}")


def day_of(value: str | None) -> date | None:
    """A stored close date as a day: ISO (``2027-01-15`` or ``2027-01-15T00:00:00Z``) or epoch milliseconds."""
    if not value:
        return None
    text = value.strip()
    try:
        if _ISO_DAY.match(text):
            return date.fromisoformat(text[:10])
        if _EPOCH_MS.fullmatch(text):
            return datetime.fromtimestamp(int(text) / 1000, UTC).date()
    except ValueError:
        return None
    return None


def amount_of(value: str | None) -> Decimal | None:
    if value is None or not value.strip():
        return None
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


@dataclass(frozen=True)
class Move:
    """One recorded change of a value: from ``old`` to ``new`` (either None when unknown or unreadable)."""

    at: datetime
    old: object
    new: object


def moves(changes: list[ValueChange], prop: str) -> list[Move]:
    """The deal's changes of ``prop`` in time order, each with the value it replaced."""
    parse = day_of if prop == "close_date" else amount_of
    found, previous = [], None
    for change in changes:
        if change.property != prop:
            continue
        old = parse(change.old_value) if change.old_value is not None else previous
        new = parse(change.value)
        found.append(Move(change.changed_at, old, new))
        previous = new
    return found


def value_at(history: list[Move], at: datetime, current):
    """The value at ``at`` (changes before it count), from ``moves``; ``current`` when nothing was recorded."""
    if not history:
        return current
    before = [m for m in history if m.at < at]
    if before:
        return before[-1].new
    first = history[0]
    return first.old if first.old is not None else first.new


@dataclass(frozen=True)
class Snapshot:
    """A deal at a moment: whether it existed yet, its status, stage, close date and amount."""

    exists: bool
    status: str  # open, won, lost
    stage_key: str
    close_date: date | None
    amount: Decimal


def snapshot(deal: DealFacts, at: datetime, *, values: list[ValueChange], stages: list[tuple[str, datetime]]) -> Snapshot:
    """``deal`` at ``at`` from its changes (``values``, ``stages``: all recorded, oldest first)."""
    status, stage = "open", None
    if stages:
        for to_stage, changed_at in stages:
            if changed_at >= at:
                break
            if to_stage in CLOSED_STAGES:
                status = to_stage
            else:
                status, stage = "open", to_stage
    elif deal.status != "open" and deal.closed_at is not None and deal.closed_at < at:
        status = deal.status
    amount = value_at(moves(values, "amount"), at, deal.amount)
    return Snapshot(exists=deal.created_at < at, status=status, stage_key=stage or deal.stage_key,
                    close_date=value_at(moves(values, "close_date"), at, deal.close_date),
                    amount=amount if amount is not None else Decimal(0))
