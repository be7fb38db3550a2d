"""Questions outside selling and the asker's deals: said plainly, with what the coach can do instead."""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.types import CoachAnswer


def handle(ask: Ask) -> CoachAnswer:
    from bot.coach.edge import outside  # here: bot.coach.edge imports the intents package, which imports this

    answer = outside(ask)
    answer.intent = "off_topic"
    return answer


INTENT = Intent(
    name="off_topic",
    summary="questions outside selling",
    handle=handle,
    needs_model=False,  # the offline answer is the whole answer
    as_computed=True,
)
