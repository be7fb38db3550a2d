"""A message in an assistant thread: "thinking" status, then the answer in the thread, context per thread."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext, Say, SetStatus
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.answering import Place, answer_in_conversation
from bot.slack.identity import SETUP_HELP, viewer_for
from bot.slack.places import is_from_bot

logger = logging.getLogger(__name__)

THINKING = "is thinking…"


def user_message(payload: dict, context: BoltContext, client: WebClient, say: Say, set_status: SetStatus) -> None:
    if payload.get("subtype") or is_from_bot(payload):
        return
    services, channel, thread_ts = context["services"], payload["channel"], payload["thread_ts"]
    viewer = viewer_for(services.runtime, client, payload.get("user"))
    if viewer is None:
        say(SETUP_HELP)
        return
    place = Place(channel=channel, user_id=payload["user"], team_id=context.team_id, thread_ts=thread_ts,
                  question_ts=payload["ts"], conversation_key=f"{channel}:{thread_ts}", open_to_deals=True)

    def thinking() -> None:
        try:
            set_status(THINKING)
        except SlackApiError as error:  # a plain DM thread is no assistant thread: answer without the status
            logger.info("no assistant status in %s: %s", channel, error.response.get("error"))

    answer_in_conversation(services, client, viewer, payload.get("text", ""), place, before=thinking)
