"""What comes after the deal's current stage: the next stage's buyer state and exit criteria."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, DealSlots, Intent, Tool
from bot.coach.results import NextStage
from bot.coach.rich import bullet, doc, line, strong
from bot.coach.types import CoachAnswer


def handle(ask: Ask) -> CoachAnswer:
    plan = ask.plan
    following = ask.process.next_stage(plan.stage_key)
    if following is None:
        body = doc(line(strong(composer.deal_heading(plan.deal)), f" is in {plan.stage_name}, the last stage of the "
                        "process: once the buyer confirms what's open there, it's time to close it."))
        return CoachAnswer(NextStage(body), "after_that", deal=plan.deal, plan=plan,
                           citations=[ask.map_citation(ask.process.stage(plan.stage_key))])
    lines = [line(f"Once the buyer confirms what's open in {plan.stage_name}, ", strong(composer.deal_heading(plan.deal)),
                  " moves to ", strong(following.name),
                  f" — {following.buyer_state}" if following.buyer_state else ".")]
    lines.append(line("There the buyer needs to confirm:"))
    lines += [bullet(c.text) for c in following.exit_criteria]
    if following.activities:
        lines.append(line(f"Your first move there: {following.activities[0].text}."))
    return CoachAnswer(NextStage(doc(lines)), "after_that", deal=plan.deal, plan=plan,
                       citations=[ask.map_citation(following)])


INTENT = Intent(
    name="after_that",
    summary="what comes after the deal's current stage",
    try_it="And after that?",
    needs_deal=True,
    handle=handle,
    slots=DealSlots,
    tool=Tool("next_stage", "What comes after a deal's current stage."),
)
