"""Small helpers shared by the rep digest and the manager roll-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from operator import attrgetter

from bot.core.plan import DealRef
from knowledge.process_map import ProcessMap

_DEAL_FIELDS = ("external_id", "name", "account", "stage_key", "owner_id", "amount", "close_date", "status")
_PLAIN = attrgetter(*_DEAL_FIELDS)
_PREFIXED = attrgetter(*(f"deal_{name}" for name in _DEAL_FIELDS))


def deal_ref(row, owner_name: str, prefix: str = "") -> DealRef:
    """A DealRef from a query row of ``storage.digest`` (status as text); follow-up and move rows prefix deal
    columns ``deal_``."""
    external_id, name, account, stage_key, owner_id, amount, close_date, status = (_PREFIXED if prefix else _PLAIN)(row)
    return DealRef(row.deal_id if prefix else row.id, external_id, name, account, stage_key, owner_id, owner_name,
                   amount, close_date, status)


def stage_name(process: ProcessMap, key: str) -> str:
    """A stage's display name; closed outcomes and stages the map no longer has read as themselves."""
    if key in ("won", "lost"):
        return key.capitalize()
    stage = process.stage(key)
    return stage.name if stage else key


class StageNames(dict):
    """``stage_name`` by key, looked up in the map once per key (thousands of rows share a few stages)."""

    def __init__(self, process: ProcessMap):
        super().__init__()
        self.process = process

    def __missing__(self, key: str) -> str:
        self[key] = stage_name(self.process, key)
        return self[key]


def stuck_cutoffs(process: ProcessMap, at: datetime) -> dict[str, datetime]:
    """Per stage, the latest entry time that puts a deal over the stage's expected days at ``at``.

    The coach's plan counts ``days_in_stage`` as whole days elapsed, and a deal is over
    when that exceeds ``expected_days``: i.e. ``expected_days + 1`` whole days have passed.
    """
    return {s.key: at - timedelta(days=s.expected_days + 1) for s in process.stages}
