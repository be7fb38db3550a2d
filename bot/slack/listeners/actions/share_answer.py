"""📣 Share in channel: post the answer the asker saw alone for everyone in the channel.

The answer is asked again as the person who clicks, so sharing can never show
more than that person may see.
"""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.errors import InvalidInput
from bot.service.asked import recall
from bot.slack.blocks import answer_messages
from bot.slack.blocks import context as context_block
from bot.slack.delivery import send
from bot.slack.interactions import STALE_BUTTON, button_value, channel_of, clicker, kindly


@kindly
def share_answer(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    viewer = clicker(services, client, body)
    shared = recall(services.runtime, button_value(body))
    if shared is None:
        raise InvalidInput(STALE_BUTTON)
    question, thread_ts = shared
    answer = services.ask(viewer, question)
    messages = answer_messages(answer, ref="", private=False, interactive=False)
    messages[0].blocks.insert(0, context_block(f"Shared by <@{body['user']['id']}>"))
    try:
        for message in messages:
            send(client.chat_postMessage, channel=channel_of(body), thread_ts=thread_ts, unfurl_links=False,
                 unfurl_media=False, **message.as_kwargs())
    except SlackApiError as error:
        if error.response.get("error") in ("not_in_channel", "channel_not_found"):
            raise InvalidInput("I'm not in this channel — invite me with /invite, then share again.") from None
        raise
    respond(delete_original=True)  # the private copy has done its job
