"""@Stagecoach in a channel: answer in the thread (deal details to the asker alone outside the team channel)."""

from __future__ import annotations

from slack_bolt import BoltContext, SayStream, SetStatus
from slack_sdk import WebClient

from bot.slack.answering import Place, answer_in_conversation
from bot.slack.identity import SETUP_HELP, viewer_for
from bot.slack.places import has_files, is_from_bot, is_new_message, open_to_deals, strip_mention


def app_mention(event: dict, context: BoltContext, client: WebClient, set_status: SetStatus | None = None,
                say_stream: SayStream | None = None) -> None:
    if is_from_bot(event) or not is_new_message(event):
        return  # Slack sends app_mention again, with "edited", when a mention is edited: answered once already
    services = context["services"]
    channel, user, thread_ts = event["channel"], event.get("user"), event.get("thread_ts") or event["ts"]
    viewer = viewer_for(services.runtime, client, user)
    if viewer is None:
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=SETUP_HELP)
        return
    place = Place(channel=channel, user_id=user, thread_ts=thread_ts,
                  conversation_key=f"{channel}:{thread_ts}", files_ignored=has_files(event),
                  open_to_deals=open_to_deals(services.runtime, viewer, channel, event.get("channel_type")))
    answer_in_conversation(services, client, viewer, strip_mention(event.get("text", ""), context.bot_user_id), place,
                           set_status=set_status, say_stream=say_stream)
