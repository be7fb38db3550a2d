"""Advance the deal: at once when every exit criterion is met, else a modal asks for the override reason."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.core.deal_actions import NeedsOverride
from bot.service import deals
from bot.slack.delivery import open_view
from bot.slack.interactions import clicker, int_value, kindly, tell
from bot.slack.modals import override_modal


@kindly
def advance_stage(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    runtime = context["services"].runtime
    viewer = clicker(context["services"], client, body)
    deal_id = int_value(body)
    try:
        moved = deals.advance_stage(runtime, viewer, deal_id)
    except NeedsOverride as needs:
        plan = deals.deal_plan(runtime, viewer, deal_id)
        open_view(client, trigger_id=body["trigger_id"], view=override_modal(plan, needs.unmet))
        return
    tell(body, respond, client, f"Moved {moved.deal_name} to {moved.stage_name}. ✅")
