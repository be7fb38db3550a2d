"""Buttons that open a modal for a deal: criterion met, log activity, set follow-up.

The modal opens only for a deal the clicker may see; the deal id in the button
is a claim, checked again when the modal is submitted.
"""

from __future__ import annotations

from datetime import timedelta

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.core.errors import InvalidInput
from bot.service import deals
from bot.slack.delivery import open_view
from bot.slack.interactions import clicker, int_value, kindly
from bot.slack.modals import activity_modal, criterion_modal, followup_modal
from storage.timeutil import zone


@kindly
def open_criterion_modal(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    plan = deals.deal_plan(services.runtime, clicker(services, client, body), int_value(body))
    if not plan.unmet:
        raise InvalidInput(f"Every exit criterion of {plan.stage_name} is already confirmed.")
    open_view(client, trigger_id=body["trigger_id"], view=criterion_modal(plan))


@kindly
def open_activity_modal(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    plan = deals.deal_plan(services.runtime, clicker(services, client, body), int_value(body))
    stage = services.runtime.process.stage(plan.stage_key)
    activities = [(a.key, a.text) for a in stage.activities] if stage else []
    open_view(client, trigger_id=body["trigger_id"], view=activity_modal(plan, activities))


@kindly
def open_followup_modal(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    viewer = clicker(services, client, body)
    plan = deals.deal_plan(services.runtime, viewer, int_value(body))
    tomorrow = services.runtime.now().astimezone(zone(viewer.timezone)).date() + timedelta(days=1)
    open_view(client, trigger_id=body["trigger_id"], view=followup_modal(plan, tomorrow))
