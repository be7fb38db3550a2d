"""Plain messages: a DM to the bot, or a follow-up in a channel thread where the asker already mentioned it.

In channels the bot speaks only when mentioned: a message that mentions it is
left to ``app_mention`` (Slack sends both), and a thread reply without a mention
is answered only in a thread whose conversation belongs to this asker.
"""

from __future__ import annotations

from slack_bolt import BoltContext, SayStream, SetStatus
from slack_sdk import WebClient

from bot.service.threads import has_conversation
from bot.slack.answering import Place, answer_in_conversation
from bot.slack.identity import SETUP_HELP, viewer_for
from bot.slack.places import has_files, is_from_bot, is_new_message, mentions, open_to_deals, strip_mention


def message(event: dict, context: BoltContext, client: WebClient, set_status: SetStatus | None = None,
            say_stream: SayStream | None = None) -> None:
    if not is_new_message(event) or is_from_bot(event) or not event.get("user"):
        return  # edits, joins, deletions, bots
    if event.get("channel_type") == "im":
        _direct_message(event, context, client, set_status, say_stream)
    elif event.get("thread_ts") and not mentions(event.get("text", ""), context.bot_user_id):
        _thread_follow_up(event, context, client, set_status, say_stream)


def _direct_message(event: dict, context: BoltContext, client: WebClient, set_status: SetStatus | None,
                    say_stream: SayStream | None) -> None:
    """A DM, in the Messages tab: answered at the top level, or streamed as a reply under the question."""
    services, channel, user = context["services"], event["channel"], event["user"]
    viewer = viewer_for(services.runtime, client, user)
    if viewer is None:
        client.chat_postMessage(channel=channel, text=SETUP_HELP)
        return
    place = Place(channel=channel, user_id=user, thread_ts=None,
                  conversation_key=channel, open_to_deals=True, files_ignored=has_files(event))
    # "@Stagecoach what next on Globex?" typed in a DM: the question is what follows the mention.
    answer_in_conversation(services, client, viewer, strip_mention(event.get("text", ""), context.bot_user_id), place,
                           set_status=set_status, say_stream=say_stream)


def _thread_follow_up(event: dict, context: BoltContext, client: WebClient, set_status: SetStatus | None,
                      say_stream: SayStream | None) -> None:
    services, channel, thread_ts = context["services"], event["channel"], event["thread_ts"]
    key = f"{channel}:{thread_ts}"
    # The asker's @mention earlier in this thread linked their Slack id, so no users.info call is needed.
    viewer = viewer_for(services.runtime, client, event["user"], by_email=False)
    if viewer is None:
        return  # not addressed to us, and not someone who asked here: stay quiet
    if not has_conversation(services.runtime, viewer, key):
        return  # nobody mentioned the bot here, or it was someone else's question
    place = Place(channel=channel, user_id=event["user"], thread_ts=thread_ts,
                  conversation_key=key, files_ignored=has_files(event),
                  open_to_deals=open_to_deals(services.runtime, viewer, channel, event.get("channel_type")))
    answer_in_conversation(services, client, viewer, event.get("text", ""), place, set_status=set_status,
                           say_stream=say_stream)
