"""Reading a deal's stage timeline: its synthesised origin, and the current state it implies (pure logic)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.models import CLOSED_STAGES


def origin_for(timeline: Sequence[Any], *, created_at: datetime, origin_source: str):
    """Where the deal's timeline should start, given its changes in order (changed_at, id).

    A timeline whose earliest real change leaves stage X needs an origin entry None -> X at the
    deal's creation — or a second before that change when the deal claims to be created later, so
    the origin always sorts first.

    Returns:
        (the timeline to derive from, ids of origin rows to delete, the origin row to add or None).
    """
    origins = [c for c in timeline if c.source == origin_source]
    rest = [c for c in timeline if c.source != origin_source]
    stale = [c.id for c in origins]
    if not rest or rest[0].from_stage is None:
        return rest, stale, None
    first = rest[0]
    at = created_at if created_at < first.changed_at else first.changed_at - timedelta(seconds=1)
    for origin in origins:
        if (origin.from_stage, origin.to_stage, origin.changed_at) == (None, first.from_stage, at):
            stale.remove(origin.id)
            return [origin, *rest], stale, None
    return rest, stale, {"from_stage": None, "to_stage": first.from_stage, "changed_at": at}


def derive_state(timeline: Sequence[Any], *, current: Any) -> dict[str, Any]:
    """The deal's stage_key, status, stage_entered_at and closed_at as its latest change says.

    A closed deal keeps as stage the one it closed from (the closing change's from_stage, else the
    last stage it entered); its stage entry is its last entry into that stage, else the change before closing.
    """
    last = timeline[-1]
    if last.to_stage not in CLOSED_STAGES:
        return {"stage_key": last.to_stage, "status": "open", "stage_entered_at": last.changed_at, "closed_at": None,
                "undated": None}
    entries = [c for c in timeline if c.to_stage not in CLOSED_STAGES]
    stage = last.from_stage if last.from_stage not in (None, *CLOSED_STAGES) else None
    stage = stage or (entries[-1].to_stage if entries else current.stage_key)
    into_stage = [c for c in entries if c.to_stage == stage]
    if into_stage:
        entered = into_stage[-1].changed_at
    else:
        entered = timeline[-2].changed_at if len(timeline) > 1 else last.changed_at
    return {"stage_key": stage, "status": last.to_stage, "stage_entered_at": entered, "closed_at": last.changed_at,
            "undated": None}
