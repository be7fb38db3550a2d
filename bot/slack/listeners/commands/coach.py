"""``/coach <question>``."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.listeners.commands.answer import answer_command

USAGE = "Ask me something, e.g. `/coach what should I do next on Globex?`"


def coach_command(ack: Ack, command: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    question = (command.get("text") or "").strip()
    if not question:
        ack(text=USAGE, response_type="ephemeral")
        return
    ack()  # within Slack's 3 seconds; the answer follows through the response URL
    answer_command(context["services"], client, respond, command, question)
