"""☑️ Done on a follow-up listed in an answer."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.service import deals
from bot.slack.interactions import clicker, int_value, kindly, tell


@kindly
def complete_followup(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    followup = deals.complete_followup(services.runtime, clicker(services, client, body), int_value(body))
    tell(body, respond, client, f"Done: {followup.note or 'follow-up'}. ✅")
