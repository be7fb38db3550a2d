"""Forecast questions: slipped deals, what changed in the pipeline, the forecast by category against a target.

The figures are pipeline reports (``slippage``, ``changes``, ``forecast``), read and scoped by the
pipeline parser and ``bot.pipeline.scope`` like the other reports; this intent only gives the router
the phrasings that ask for them.
"""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.types import CoachAnswer
from bot.pipeline.chat import answer_pipeline_question


def handle(ask: Ask) -> CoachAnswer:
    return answer_pipeline_question(ask.runtime, ask.viewer, ask.question, now=ask.now)


INTENT = Intent(
    name="forecast",
    summary="the forecast: deals that slipped out of a period, what changed in the pipeline, the forecast by "
            "category and how far it covers a target",
    try_it="What's slipping this quarter?",
    handle=handle,
    menu=115,
)
