"""A deal picked from "several deals match": its plan, replied where the choice was offered."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.service.asked import remember
from bot.slack.answering import is_private
from bot.slack.blocks import answer_messages
from bot.slack.delivery import respond_safely
from bot.slack.interactions import button_value, channel_of, clicker, kindly
from bot.slack.places import open_to_deals
from bot.slack.services import Services
from storage.access import Viewer


@kindly
def ask_about_deal(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    answer_about_deal(services, clicker(services, client, body), body, respond, external_id=button_value(body))


def answer_about_deal(services: Services, viewer: Viewer, body: dict, respond: Respond, *, deal_id: int | None = None,
                      external_id: str | None = None) -> None:
    """The deal's plan (by id, or by external id), replied where the button was (digest "Coach me" too).

    The deal comes from the button, so no question is worded and read back and no model is called.
    """
    channel = channel_of(body) or ""
    thread_ts = (body.get("container") or {}).get("thread_ts") or (body.get("message") or {}).get("thread_ts")
    key = f"{channel}:{thread_ts}" if thread_ts else channel
    planned = services.deal_plan(viewer, deal_id=deal_id, external_id=external_id, conversation_key=key)
    answer = planned.answer
    public = open_to_deals(services.runtime, viewer, channel) or not is_private(answer)
    ref = remember(services.runtime, planned.question, thread_ts)
    for message in answer_messages(answer, ref=ref, private=not public):
        respond_safely(respond, response_type="in_channel" if public else "ephemeral", replace_original=False,
                       thread_ts=thread_ts, unfurl_links=False, unfurl_media=False, **message.as_kwargs())
