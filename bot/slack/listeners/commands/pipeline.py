"""``/pipeline <question>``: the coach routes pipeline questions to the pipeline reports (charts in the DM thread)."""

from __future__ import annotations

import re

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.listeners.commands.answer import answer_command

DEFAULT_QUESTION = "How is my team's pipeline?"


def pipeline_command(command: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    text = (command.get("text") or "").strip()
    if not text:
        question = DEFAULT_QUESTION
    elif re.match(r"pipeline\b", text, re.I):
        question = text
    else:  # "/pipeline how's my team doing": keep the command's word in front, so the coach answers with a report
        question = f"Pipeline: {text}"
    answer_command(context["services"], client, respond, command, question)
