"""What to do next on one deal: the buyer's unconfirmed exit criteria and the activities that move them."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, DealSlots, Intent, Tool
from bot.coach.results import DealPlanResult
from bot.coach.types import Citation, CoachAnswer
from storage import sync as sync_store

PASSAGES_FOR_TIPS = 2


def handle(ask: Ask) -> CoachAnswer:
    plan, process = ask.plan, ask.process
    stage = process.stage(plan.stage_key)
    context = " ".join([stage.name, *(c.text for c in plan.unmet[:2])])
    tips = ask.passages(ask.question_as_read, context=[context], stage_key=stage.key, k=PASSAGES_FOR_TIPS)
    citations = [ask.map_citation(stage), *(Citation(p.source, p.section) for p in tips)]
    notices = _crm_notices(ask)  # told once: the answer must carry them, however it is worded
    body = composer.compose_deal_plan(plan, tips, ask.now, notices)
    return CoachAnswer(DealPlanResult(body), "deal_plan", deal=plan.deal, plan=plan, citations=citations,
                       must_say=notices)


def _crm_notices(ask: Ask) -> list[str]:
    """The deal owner's changes HubSpot did not take (its own newer stage stood), told once, to the owner."""
    if ask.viewer.rep_id != ask.plan.deal.owner_id:
        return []
    return sync_store.take_untold_conflicts(session=ask.session, deal_id=ask.plan.deal.id, now=ask.now)


INTENT = Intent(
    name="deal_plan",
    summary="what to do next on one of your deals",
    try_it="What should I do next on {deal}?",
    needs_deal=True,
    handle=handle,
    slots=DealSlots,
    tool=Tool("deal_plan", "Next steps on a deal: unmet exit criteria, moves, overdue follow-ups."),
    menu=20,
)
