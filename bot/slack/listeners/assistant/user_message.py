"""A message in an assistant thread (or a thread of the Messages tab): a status while the coach works, then the
answer in the thread, context per thread."""

from __future__ import annotations

from slack_bolt import BoltContext, Say, SayStream, SetStatus
from slack_sdk import WebClient

from bot.slack.answering import Place, answer_in_conversation
from bot.slack.identity import SETUP_HELP, viewer_for
from bot.slack.places import has_files, is_from_bot, is_new_message, strip_mention


def user_message(payload: dict, context: BoltContext, client: WebClient, say: Say, set_status: SetStatus,
                 say_stream: SayStream | None = None) -> None:
    if not is_new_message(payload) or is_from_bot(payload):
        return
    services, channel, thread_ts = context["services"], payload["channel"], payload["thread_ts"]
    viewer = viewer_for(services.runtime, client, payload.get("user"))
    if viewer is None:
        say(SETUP_HELP)
        return
    place = Place(channel=channel, user_id=payload["user"], thread_ts=thread_ts,
                  conversation_key=f"{channel}:{thread_ts}", open_to_deals=True,
                  files_ignored=has_files(payload))
    question = strip_mention(payload.get("text", ""), context.bot_user_id)
    answer_in_conversation(services, client, viewer, question, place, set_status=set_status, say_stream=say_stream)
