"""A deal picked from "several deals match", or Coach me on App Home: the deal's plan, by the button's deal."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.service.asked import remember
from bot.slack.answering import is_private
from bot.slack.blocks import answer_messages
from bot.slack.delivery import respond_safely, send
from bot.slack.interactions import button_value, channel_of, clicker, int_value, kindly
from bot.slack.places import open_to_deals
from bot.slack.services import Services
from storage.access import Viewer


@kindly
def ask_about_deal(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    answer_about_deal(services, clicker(services, client, body), body, respond, client,
                      external_id=button_value(body))


@kindly
def coach_on_deal(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    """Coach me on a deal of App Home."""
    services = context["services"]
    answer_about_deal(services, clicker(services, client, body), body, respond, client, deal_id=int_value(body))


def answer_about_deal(services: Services, viewer: Viewer, body: dict, respond: Respond, client: WebClient, *,
                      deal_id: int | None = None, external_id: str | None = None) -> None:
    """The deal's plan (by id, or by external id), replied where the button was (digest "Coach me" too);
    from App Home, which has no place to reply, in the person's DM with the app.

    The deal comes from the button, so no question is worded and read back and no model is called.
    """
    if not body.get("response_url"):
        planned = services.deal_plan(viewer, deal_id=deal_id, external_id=external_id)
        ref = remember(services.runtime, planned.question)
        for message in answer_messages(planned.answer, ref=ref, private=False):
            send(client.chat_postMessage, channel=body["user"]["id"], unfurl_links=False, unfurl_media=False,
                 **message.as_kwargs())
        return
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
