"""The coaching decision for one deal: pure logic from deal state and process map to a plan.

No I/O and no LLM: the same inputs always give the same plan, which is what the
composer, the LLM prompt, the digest, App Home and the tests all read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from knowledge.process_map import ProcessMap, Stage
from storage.deals import DealState
from storage.models import CriterionCheck, FollowUp
from storage.timeutil import zone

MAX_NEXT_ACTIVITIES = 3


@dataclass(frozen=True)
class DealRef:
    id: int
    external_id: str
    name: str
    account: str
    stage_key: str
    owner_id: int
    owner_name: str
    amount: Decimal = Decimal(0)
    close_date: date | None = None
    status: str = "open"


@dataclass(frozen=True)
class CriterionState:
    stage_key: str
    key: str
    text: str
    met: bool
    evidence: str | None = None


@dataclass(frozen=True)
class NextActivity:
    key: str
    text: str
    criterion_key: str


@dataclass(frozen=True)
class FollowUpItem:
    id: int
    deal_id: int
    due_at: datetime
    note: str
    days_overdue: int  # 0 when due today


@dataclass(frozen=True)
class DealPlan:
    """The deterministic coaching decision for one deal; nothing here comes from an LLM."""

    deal: DealRef
    stage_key: str
    stage_name: str
    buyer_state: str | None
    days_in_stage: int
    expected_days: int
    criteria: list[CriterionState]
    next_activities: list[NextActivity]
    overdue_followups: list[FollowUpItem]
    due_today_followups: list[FollowUpItem]
    last_activity_at: datetime | None
    last_activity_note: str | None
    unconfirmed_earlier: list[CriterionState]  # earlier stages' criteria never confirmed
    next_stage_name: str | None

    @property
    def unmet(self) -> list[CriterionState]:
        return [c for c in self.criteria if not c.met]

    @property
    def met(self) -> list[CriterionState]:
        return [c for c in self.criteria if c.met]

    @property
    def days_over(self) -> int:
        return max(0, self.days_in_stage - self.expected_days)

    @property
    def stage_ahead_of_buyer(self) -> bool:
        return bool(self.unconfirmed_earlier)

    @property
    def ready_to_advance(self) -> bool:
        return not self.unmet



def criteria_states(stage: Stage, checks: dict[tuple[str, str], CriterionCheck]) -> list[CriterionState]:
    """A stage's exit criteria in map order, each met or not by its latest check."""
    states = []
    for criterion in stage.exit_criteria:
        check = checks.get((stage.key, criterion.key))
        met = bool(check and check.met)
        states.append(CriterionState(stage.key, criterion.key, criterion.text, met, check.evidence if met and check else None))
    return states


def unmet_criteria(process: ProcessMap, stage_key: str, checks: dict[tuple[str, str], CriterionCheck]) -> list[CriterionState]:
    stage = process.stage(stage_key)
    return [c for c in criteria_states(stage, checks) if not c.met] if stage else []


def next_activities(stage: Stage, unmet: list[CriterionState], limit: int = MAX_NEXT_ACTIVITIES) -> list[NextActivity]:
    """For unmet criteria in map order, the activities that move them; an activity serving several counts once."""
    chosen: list[NextActivity] = []
    seen: set[str] = set()
    for criterion in unmet:
        for activity in stage.activities_for(criterion.key):
            if activity.key not in seen:
                seen.add(activity.key)
                chosen.append(NextActivity(activity.key, activity.text, criterion.key))
                break  # one activity per criterion first, so every unmet criterion gets a move
    for criterion in unmet:  # then fill with second choices
        for activity in stage.activities_for(criterion.key):
            if activity.key not in seen:
                seen.add(activity.key)
                chosen.append(NextActivity(activity.key, activity.text, criterion.key))
    return chosen[:limit]


def classify_followups(followups: list[FollowUp], now: datetime, tz_name: str) -> tuple[list[FollowUpItem], list[FollowUpItem]]:
    """Open follow-ups split into overdue (before today, oldest first) and due today, in the owner's timezone."""
    tz = zone(tz_name)
    today = now.astimezone(tz).date()
    overdue, today_items = [], []
    for f in sorted(followups, key=lambda f: f.due_at):
        due_day = f.due_at.astimezone(tz).date()
        item = FollowUpItem(f.id, f.deal_id, f.due_at, f.note or "", (today - due_day).days)  # type: ignore[arg-type]
        if due_day < today:  # overdue by calendar day, as the rep sees it; earlier today is still 'today'
            overdue.append(item)
        elif due_day == today:
            today_items.append(item)
    return overdue, today_items


def build_plan(state: DealState, process: ProcessMap, now: datetime) -> DealPlan:
    """The plan for one deal at ``now``."""
    deal, owner = state.deal, state.owner
    stage = process.stage(deal.stage_key)
    if stage is None:  # a stage the active map no longer has; loading guards against it, be safe anyway
        raise ValueError(f"deal {deal.external_id} is in stage {deal.stage_key!r}, not in the active map")
    criteria = criteria_states(stage, state.latest_checks)
    unmet = [c for c in criteria if not c.met]
    earlier = process.stages[: process.index_of(stage.key)]
    unconfirmed = [c for s in earlier for c in criteria_states(s, state.latest_checks) if not c.met]
    overdue, due_today = classify_followups(state.open_followups, now, owner.timezone)
    following = process.next_stage(stage.key)
    last = state.last_activity
    return DealPlan(
        deal=deal_ref(state),
        stage_key=stage.key,
        stage_name=stage.name,
        buyer_state=stage.buyer_state,
        days_in_stage=max(0, (now - deal.stage_entered_at).days),
        expected_days=stage.expected_days,
        criteria=criteria,
        next_activities=next_activities(stage, unmet),
        overdue_followups=overdue,
        due_today_followups=due_today,
        last_activity_at=last.occurred_at if last else None,
        last_activity_note=(last.note or last.activity_key) if last else None,
        unconfirmed_earlier=unconfirmed,
        next_stage_name=following.name if following else None,
    )


def deal_ref(state: DealState) -> DealRef:
    deal = state.deal
    return DealRef(
        id=deal.id, external_id=deal.external_id, name=deal.name, account=deal.account,  # type: ignore[arg-type]
        stage_key=deal.stage_key, owner_id=deal.owner_id, owner_name=state.owner.name,
        amount=deal.amount, close_date=deal.close_date, status=str(getattr(deal.status, "value", deal.status)),
    )
