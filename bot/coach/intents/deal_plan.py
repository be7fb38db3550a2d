"""What to do next on one deal: the buyer's unconfirmed exit criteria and the activities that move them."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.types import Citation, CoachAnswer

PASSAGES_FOR_TIPS = 2


def handle(ask: Ask) -> CoachAnswer:
    plan, process = ask.plan, ask.process
    stage = process.stage(plan.stage_key)
    query = " ".join([ask.question, stage.name, *(c.text for c in plan.unmet[:2])])
    tips = ask.passages(query, stage_key=stage.key, k=PASSAGES_FOR_TIPS)
    citations = [ask.map_citation(stage), *(Citation(p.source, p.section) for p in tips)]
    text = composer.compose_deal_plan(plan, tips, ask.now)
    return CoachAnswer(text, "deal_plan", deal=plan.deal, plan=plan, citations=citations)


INTENT = Intent(
    name="deal_plan",
    summary="what to do next on one of your deals",
    try_it="What should I do next on {deal}?",
    needs_deal=True,
    handle=handle,
    examples=(
        "what should i do next on acme", "what's next for acme", "next steps on acme", "next step for acme",
        "how do i move acme forward", "how do i get acme to the next stage", "plan for acme", "acme plan",
        "what do i need to do on acme", "give me a plan for the acme deal", "what now with acme",
        "help me with acme", "coach me on acme", "where are we with acme", "what's the status of acme",
        "how do i advance acme", "what should i be doing on acme this week", "acme what now",
        "what's my next move with acme", "how can i push acme along", "what does acme need from me",
        "update on acme", "tell me about acme", "what's left to do on acme", "acme next?",
        "what should i focus on for acme", "how do we progress acme", "walk me through acme",
        "acme next steps pls", "what do i do with acme", "how do i move acme along", "gimme a plan for acme",
        "what's the play on acme", "pull up acme", "show me acme", "acme?", "acme status",
        "whats my next step w acme", "next move on acme", "how do i close acme", "what's the next action on acme",
        "what should happen next on acme", "what would you do next with acme", "how should i approach acme this week",
        "acme - what now", "strategy for acme", "how do i get acme over the line", "where do things stand with acme",
        "what does acme still need to confirm", "give me the rundown on acme",
        "what do i do about acme", "what do you suggest for acme", "any advice on acme", "what's the move on acme",
        "how do i handle acme from here",
    ),
)
