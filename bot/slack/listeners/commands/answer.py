"""What both slash commands do once acknowledged: ask the coach, reply ephemerally through ``respond``."""

from __future__ import annotations

import logging

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.core.errors import StagecoachError
from bot.service.asked import remember
from bot.slack.answering import SORRY
from bot.slack.blocks import answer_messages, text_messages
from bot.slack.charts import post_charts
from bot.slack.delivery import respond_safely
from bot.slack.identity import SETUP_HELP, viewer_for
from bot.slack.services import Services

logger = logging.getLogger(__name__)


def answer_command(services: Services, client: WebClient, respond: Respond, command: dict, question: str) -> None:
    user_id = command.get("user_id")
    viewer = viewer_for(services.runtime, client, user_id)
    if viewer is None:
        respond(text=SETUP_HELP, response_type="ephemeral")
        return
    channel = str(command.get("channel_id", ""))
    answer = None
    try:
        answer = services.ask(viewer, question, conversation_key=f"slash:{channel}:{user_id}")
    except StagecoachError as error:
        messages = text_messages(str(error))
    except Exception:
        logger.exception("%s from %s failed", command.get("command"), user_id)
        messages = text_messages(SORRY)
    else:
        shareable = not channel.startswith("D")  # sharing into a DM means nothing
        messages = answer_messages(answer, ref=remember(services.runtime, question), private=shareable)
    for message in messages:
        respond_safely(respond, response_type="ephemeral", unfurl_links=False, unfurl_media=False, **message.as_kwargs())
    if answer is not None:  # the reply was for the asker alone, so its charts go to their DM
        post_charts(client, answer, channel=None, thread_ts=None, private_to=user_id)
