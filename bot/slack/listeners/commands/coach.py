"""``/coach <question>`` (acknowledged at once by ``acknowledge_at_once``)."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.listeners.commands.answer import answer_command

USAGE = "Ask me something, e.g. `/coach what should I do next on Globex?`"


def coach_command(command: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    question = (command.get("text") or "").strip()
    if not question:
        respond(text=USAGE, response_type="ephemeral")
        return
    answer_command(context["services"], client, respond, command, question)
