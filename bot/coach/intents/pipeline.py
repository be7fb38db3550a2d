"""Pipeline reports (stage counts, flow, time in stage, conversion, stuck deals, bottlenecks, win rate and velocity,
the process as it really runs), scoped by access."""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.targets import propose_target
from bot.coach.types import CoachAnswer
from bot.pipeline.chat import answer_pipeline_question


def handle(ask: Ask) -> CoachAnswer:
    proposed = propose_target(session=ask.session, viewer=ask.viewer, question=ask.question, now=ask.now,
                              company_timezone=ask.settings.timezone)  # "set Alice's Q1 target to 300k"
    return proposed or answer_pipeline_question(ask.runtime, ask.viewer, ask.question, now=ask.now)


INTENT = Intent(
    name="pipeline",
    summary="pipeline reports: deals per stage, stage flow, time in stage, conversion, bottlenecks, win rate "
            "and velocity, the process as it really runs",
    try_it="How many deals per stage?",
    handle=handle,
    menu=110,
    menu_for_managers=True,
)
