"""The daily digest's buttons: Done, Snooze 1 day / 1 week (through ``bot.digest.actions``), Coach me.

The item's buttons are replaced by what was done, the rest of the digest stays.
"""

from __future__ import annotations

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot.digest import actions as digest_actions
from bot.digest.actions import ACTION_IDS, COACH_ME
from bot.service import deals
from bot.slack.delivery import respond_safely
from bot.slack.digest import marked
from bot.slack.interactions import button_value, clicker, kindly
from bot.slack.listeners.acknowledge import AT_ONCE
from bot.slack.listeners.actions.ask_about_deal import answer_about_deal


@kindly
def digest_button(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    viewer = clicker(services, client, body)
    clicked = body["actions"][0]
    action = digest_actions.parse(clicked["action_id"], button_value(body))
    if action.action_id == COACH_ME:
        answer_about_deal(services, viewer, body, respond, client, deal_id=action.deal_id)
        return
    note = deals.digest_action(services.runtime, viewer, action)
    message = body.get("message") or {}
    respond_safely(respond, replace_original=True, text=message.get("text", ""),
            blocks=marked(message.get("blocks") or [], clicked.get("block_id", ""), note))


def register(app: App) -> None:
    for action_id in ACTION_IDS:
        app.action(action_id, middleware=AT_ONCE)(digest_button)
