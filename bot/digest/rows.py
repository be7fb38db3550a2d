"""Small helpers shared by the rep digest and the manager roll-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.coach.types import DealRef
from knowledge.process_map import ProcessMap


def deal_ref(row, owner_name: str, prefix: str = "") -> DealRef:
    """A DealRef from a query row of ``storage.digest``; follow-up and move rows prefix deal columns ``deal_``."""
    def get(name: str):
        return getattr(row, prefix + name)

    status = get("status")

    return DealRef(id=row.deal_id if prefix else row.id, external_id=get("external_id"), name=get("name"),
                   account=get("account"), stage_key=get("stage_key"), owner_id=get("owner_id"), owner_name=owner_name,
                   amount=get("amount"), close_date=get("close_date"), status=str(getattr(status, "value", status)))


def stage_name(process: ProcessMap, key: str) -> str:
    """A stage's display name; closed outcomes and stages the map no longer has read as themselves."""
    if key in ("won", "lost"):
        return key.capitalize()
    stage = process.stage(key)
    return stage.name if stage else key


def stuck_cutoffs(process: ProcessMap, at: datetime) -> dict[str, datetime]:
    """Per stage, the latest entry time that puts a deal over the stage's expected days at ``at``.

    The coach's plan counts ``days_in_stage`` as whole days elapsed, and a deal is over
    when that exceeds ``expected_days``: i.e. ``expected_days + 1`` whole days have passed.
    """
    return {s.key: at - timedelta(days=s.expected_days + 1) for s in process.stages}
