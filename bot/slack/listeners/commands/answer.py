"""What both slash commands do after acknowledging: ask the coach, reply ephemerally through ``respond``."""

from __future__ import annotations

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.errors import StagecoachError
from bot.slack.blocks import answer_messages, text_messages
from bot.slack.identity import SETUP_HELP, viewer_for
from bot.slack.services import Services


def answer_command(services: Services, client: WebClient, respond: Respond, command: dict, question: str) -> None:
    viewer = viewer_for(services.runtime, client, command.get("user_id"))
    if viewer is None:
        respond(text=SETUP_HELP, response_type="ephemeral")
        return
    key = f"slash:{command.get('channel_id')}:{command.get('user_id')}"
    try:
        answer = services.coach.ask(viewer, question, conversation_key=key)
    except StagecoachError as error:
        messages = text_messages(str(error))
    else:
        shareable = not str(command.get("channel_id", "")).startswith("D")  # sharing into a DM means nothing
        messages = answer_messages(answer, question=question, private=shareable)
    for message in messages:
        respond(response_type="ephemeral", unfurl_links=False, unfurl_media=False, **message.as_kwargs())
