"""What a deals-CSV row does to a deal: its new columns and the stage changes that explain them.

Pure logic, no database: ``plan_deal`` takes the row and the deal as stored (or None for a new deal)
and follows the stage-history contract — every entry into a stage or a close is a 'import-snapshot'
change, and the deal's stage, entry time, status and close time agree with the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from bot.importer.values import day_start
from storage.imports import DEAL_FIELDS, UPSERT_COLUMNS

OPEN = "open"
_ZERO = Decimal(0)
# The order of ``new_deal``'s row.
assert UPSERT_COLUMNS == ("external_id", "name", "account", "owner_id", "stage_key", "amount", "status", "created_at",
                          "stage_entered_at", "close_date", "closed_at", "next_step", "currency", "undated",
                          "forecast_category")


class DealRecord(NamedTuple):
    """A valid deals-CSV row. ``sets`` holds the plain columns the file gives (absent ones keep their value).

    A tuple: cheap to build, and to pickle when a child process checks the rows (see ``pipeline``).
    """

    external_id: str
    owner_id: int
    stage: str | None  # None when the stage cell said won/lost
    status: str  # open, won or lost
    sets: dict[str, Any]
    stage_entered_at: datetime | None = None
    next_followup_at: datetime | None = None
    followup_note: str | None = None
    criteria: tuple[str, ...] = ()


@dataclass(slots=True)
class DealPlan:
    """The deal's columns after the row, and the (from, to, at) changes to record."""

    row: dict[str, Any]
    changes: list[tuple[str | None, str, datetime]] = field(default_factory=list)


def plan_deal(record: DealRecord, old: Any, *, now: datetime) -> DealPlan:
    """Apply ``record`` to the stored deal ``old`` (a row with DEAL_FIELDS); see ``new_deal`` for a new one.

    Entry and close times come from the file only when this import moves the deal into a stage or
    closes it; otherwise the timeline already holds them (correct past moves with a history CSV).
    New changes never go before the deal's latest one, so the timeline stays in order.
    """
    row = {name: getattr(old, name) for name in DEAL_FIELDS}
    row["status"] = _status_text(row["status"])
    row.update(record.sets)
    row["owner_id"] = record.owner_id
    plan = DealPlan(row)
    was = row["status"]
    latest = old.closed_at if was != OPEN and old.closed_at else old.stage_entered_at
    if old.undated and record.stage_entered_at is not None:
        latest = min(latest, record.stage_entered_at)  # its entry's time is unknown: the file's date stands
    if was == OPEN:
        stage = record.stage or old.stage_key
        if stage != old.stage_key:
            _enter(plan, old.stage_key, stage, max(record.stage_entered_at or now, latest))
        if record.status != OPEN:
            _close(plan, record.status, row["close_date"])
    elif record.status == OPEN:
        _enter(plan, was, record.stage or old.stage_key, max(record.stage_entered_at or now, latest))
        row.update(status=OPEN, closed_at=None)
    elif record.status != was:
        # Won became lost (or back): a change between the two closed states, never before the first close.
        at = max(day_start(row["close_date"]) if row["close_date"] else latest, latest)
        plan.changes.append((was, record.status, at))
        row.update(status=record.status, closed_at=at)
    return plan


def new_deal(record: DealRecord, *, now: datetime, last_stage: str) -> tuple[tuple, list[tuple]]:
    """The deal ``record`` creates, as its row (UPSERT_COLUMNS' values) and its (from, to, at) changes.

    ``last_stage``: the map's last stage, for deals the file gives none. A tuple, not a DealPlan: every
    row of a first import goes through here.
    """
    sets = record.sets
    get = sets.get
    name, created, close_date = sets["name"], get("created_at"), get("close_date")
    entered = record.stage_entered_at or created or now
    stage = record.stage or last_stage
    closed_at = undated = None
    if record.status != OPEN and not (record.stage and record.stage_entered_at):
        # A deal first seen closed, with no stage entry the file dates: only its close is known, and the stage
        # it closed from when the file names one (its stage or last_stage column). Nothing is invented: an
        # entry into a stage it may never have reached would make reports blame that stage (time in stage,
        # conversion, bottlenecks). Reports leave such deals out of stage figures and say how many.
        # The deal's stage column cannot be empty: it keeps the map's last stage, the timeline says "unknown".
        stage_entered = closed_at = day_start(close_date) if close_date else entered
        changes = [(record.stage, record.status, closed_at)]
    elif record.stage_entered_at is None and created is None:
        # An open deal the file does not date: when it entered its stage is unknown. No entry is recorded: one
        # at the import's time would count it as entered this month, and its time in stage from today. Its
        # columns hold the import's time; reports leave it out of stage figures (and say so) until it moves.
        stage_entered, undated, changes = now, True, []
    else:
        stage_entered, changes = entered, [(None, stage, entered)]
        if record.status != OPEN:
            closed_at = max(day_start(close_date), entered) if close_date else entered
            changes.append((stage, record.status, closed_at))
    return (record.external_id, name, get("account") or name, record.owner_id, stage, get("amount", _ZERO),
            record.status, created or entered, stage_entered, close_date, closed_at, get("next_step"),
            get("currency"), undated, get("forecast_category")), changes


def _enter(plan: DealPlan, from_stage: str | None, stage: str, at: datetime) -> None:
    plan.changes.append((from_stage, stage, at))
    plan.row.update(stage_key=stage, stage_entered_at=at, undated=None)  # its stage entry is dated now


def _close(plan: DealPlan, status: str, close_date: date | None) -> None:
    entered = plan.row["stage_entered_at"]
    at = max(day_start(close_date), entered) if close_date else entered
    plan.changes.append((plan.row["stage_key"], status, at))
    plan.row.update(status=status, closed_at=at)


def _status_text(status: Any) -> str:
    return getattr(status, "value", status)


def differs(plan: DealPlan, old: Any) -> bool:
    """Whether the planned columns differ from the stored deal."""
    row = plan.row
    return any(
        (_status_text(getattr(old, name)) if name == "status" else getattr(old, name)) != row[name]
        for name in DEAL_FIELDS
    )
