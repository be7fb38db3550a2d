"""A message in an assistant thread: "thinking" status, then the answer in the thread, context per thread."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext, Say, SetStatus
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.answering import Place, answer_in_conversation
from bot.slack.identity import SETUP_HELP, viewer_for
from bot.slack.places import has_files, is_from_bot, is_new_message, strip_mention

logger = logging.getLogger(__name__)

THINKING = "is thinking…"


def user_message(payload: dict, context: BoltContext, client: WebClient, say: Say, set_status: SetStatus) -> None:
    if not is_new_message(payload) or is_from_bot(payload):
        return
    services, channel, thread_ts = context["services"], payload["channel"], payload["thread_ts"]
    viewer = viewer_for(services.runtime, client, payload.get("user"))
    if viewer is None:
        say(SETUP_HELP)
        return
    place = Place(channel=channel, user_id=payload["user"], team_id=context.team_id, thread_ts=thread_ts,
                  question_ts=payload["ts"], conversation_key=f"{channel}:{thread_ts}", open_to_deals=True,
                  files_ignored=has_files(payload))

    def thinking() -> None:
        try:
            set_status(THINKING)
        except SlackApiError as error:  # a plain DM thread is no assistant thread: answer without the status
            logger.info("no assistant status in %s: %s", channel, error.response.get("error"))

    question = strip_mention(payload.get("text", ""), context.bot_user_id)
    answer_in_conversation(services, client, viewer, question, place, before=thinking)
