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
    examples=(
        "what's the weather in paris", "tell me a joke", "where should i get lunch", "write me a poem",
        "what's the capital of peru", "who won the game last night", "how do i fix my python code",
        "book a flight to london", "what's 17 times 23", "recommend a movie", "what time is it in tokyo",
        "translate hello into spanish", "how do i reset my password", "what's the meaning of life",
        "can you order pizza", "what's bitcoin at", "play some music", "how tall is the eiffel tower",
        "write a haiku about mondays", "is it going to rain tomorrow", "who is the president",
        "my laptop is slow", "recipe for banana bread",
    ),
)
