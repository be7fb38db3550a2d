"""Questions outside selling and the asker's deals: said plainly, with what the coach can do instead."""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.intents.help import capabilities
from bot.coach.types import CoachAnswer


def handle(ask: Ask) -> CoachAnswer:
    answer = capabilities(ask, "That's outside what I know — I only answer from your deals, the team's sales "
                               "process and its playbooks. Here's what I can do:")
    answer.intent = "off_topic"
    return answer


INTENT = Intent(
    name="off_topic",
    summary="questions outside selling",
    handle=handle,
    needs_model=False,  # the offline answer is the whole answer
    as_computed=True,
)
