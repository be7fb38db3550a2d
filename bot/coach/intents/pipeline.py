"""Pipeline reports (stage counts, flow, time in stage, conversion, stuck deals, bottlenecks), scoped by access."""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.types import CoachAnswer
from bot.pipeline.chat import answer_pipeline_question


def handle(ask: Ask) -> CoachAnswer:
    return answer_pipeline_question(ask.coach.runtime, ask.viewer, ask.question, now=ask.now)


INTENT = Intent(
    name="pipeline",
    summary="pipeline reports: deals per stage, stage flow, time in stage, conversion, bottlenecks",
    try_it="How many deals per stage?",
    handle=handle,
    examples=(
        "how many deals per stage", "stage counts", "pipeline by stage", "stage flow last month",
        "how did deals move through the stages in october", "average time in each stage", "how long do deals sit in validate",
        "conversion rate by stage", "stage to stage conversion this quarter", "where are deals getting stuck",
        "what are our bottlenecks", "which stage is the bottleneck", "what's stuck in the pipeline",
        "how is the team's pipeline looking", "pipeline overview", "weighted pipeline", "how many deals entered discover this month",
        "how many deals did we lose last quarter by stage", "what's the pipeline value", "funnel this quarter",
        "deals stuck over their expected time", "how many open deals do we have", "pipeline snapshot for the team",
        "cycle time per stage", "where do we lose deals",
    ),
)
