"""App Home's data: a person's open deals at a glance, and a manager's team summary.

Every row is the same plan the coach gives (``build_plan``), read through the viewer's access
filter in a constant number of queries, however many deals the person may see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.core.plan import DealPlan, build_plan
from bot.core.runtime import Runtime
from bot.pipeline.deal_warnings import DealWarning, open_deal_warnings
from bot.service.feedback import UnhelpfulAnswer, unhelpful_this_week
from bot.sync.freshness import LastRun, freshness_notice, last_runs
from storage import deals as deal_store
from storage.access import Viewer
from storage.timeutil import zone

if TYPE_CHECKING:
    from bot.coach.engine import Coach

MAX_PROMPTS = 4


@dataclass(frozen=True)
class NextFollowUp:
    """The soonest open follow-up of a deal, on the viewer's calendar."""

    day: date
    note: str | None


@dataclass(frozen=True)
class HomeDeal:
    plan: DealPlan
    next_followup: NextFollowUp | None
    warning: DealWarning | None = None  # stalled, close date passed or pushed, no activity, unmet criteria


@dataclass(frozen=True)
class RepSummary:
    name: str
    open_deals: int
    stuck: int  # deals over their stage's expected days
    overdue_followups: int
    warned: int = 0  # deals with a warning (``bot.pipeline.deal_warnings``)


@dataclass(frozen=True)
class TeamSummary:
    """Every open deal a manager may see, and per rep (with or without deals) the same counts."""

    open_deals: int
    amount: Decimal
    stuck: int
    overdue_followups: int
    reps: list[RepSummary]
    warned: int = 0


@dataclass(frozen=True)
class Home:
    """What App Home shows a person: their own open deals (biggest first) and, for a manager, the team's."""

    today: date  # in the viewer's timezone
    deals: list[HomeDeal]
    team: TeamSummary | None
    unhelpful: list[UnhelpfulAnswer] | None = None  # an admin's: answers marked not helpful this week
    freshness: str | None = None  # "deal data last synced 3 h ago" when the CRM sync is stale
    sync_runs: list[LastRun] | None = None  # a manager's or admin's: each CRM sync's last run and its problems


def home(runtime: Runtime, viewer: Viewer, now: datetime | None = None) -> Home:
    """App Home for ``viewer`` as of ``now`` (default: the runtime's clock)."""
    now = now or runtime.now()
    process = runtime.process
    tz = zone(viewer.timezone)
    with runtime.session() as session:
        states = deal_store.open_deal_states(session=session, viewer=viewer)
        reps = deal_store.visible_reps(session=session, viewer=viewer) if viewer.is_manager else []
        warnings = open_deal_warnings(session=session, states=states, process=process, now=now)
    mine = []
    plans = []
    for state in states:
        plan = build_plan(state, process, now)
        plans.append(plan)
        if plan.deal.owner_id == viewer.rep_id:
            soonest = state.open_followups[0] if state.open_followups else None
            mine.append(HomeDeal(plan, NextFollowUp(soonest.due_at.astimezone(tz).date(), soonest.note)
                                 if soonest else None, warnings.get(plan.deal.id)))
    team = _team_summary(plans, [(r.id, r.name) for r in reps], set(warnings)) if viewer.is_manager else None
    return Home(today=now.astimezone(tz).date(), deals=mine, team=team,
                unhelpful=unhelpful_this_week(runtime, viewer, now), freshness=freshness_notice(runtime, now=now),
                sync_runs=last_runs(runtime) if viewer.is_manager else None)


def suggested_prompts(coach: Coach, viewer: Viewer) -> list[str]:
    """The prompts offered at the top of a conversation with the coach (Slack shows at most four).

    Built from the person's own deals: the last one names their most pressing deal.
    """
    return coach.suggestions(viewer)[:MAX_PROMPTS]


def _team_summary(plans: list[DealPlan], reps: list[tuple[int, str]], warned: set[int]) -> TeamSummary:
    per_rep: dict[int, list[DealPlan]] = defaultdict(list)
    for plan in plans:
        per_rep[plan.deal.owner_id].append(plan)

    def counts(own: list[DealPlan]) -> tuple[int, int, int]:
        return (sum(1 for p in own if p.days_over), sum(len(p.overdue_followups) for p in own),
                sum(1 for p in own if p.deal.id in warned))

    stuck, overdue, with_warnings = counts(plans)
    return TeamSummary(
        open_deals=len(plans), amount=sum((p.deal.amount for p in plans), Decimal(0)), stuck=stuck,
        overdue_followups=overdue, warned=with_warnings,
        reps=[RepSummary(name, len(per_rep.get(rep_id, [])), *counts(per_rep.get(rep_id, [])))
              for rep_id, name in sorted(reps, key=lambda r: r[1])])
