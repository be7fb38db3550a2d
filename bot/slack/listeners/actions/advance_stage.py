"""Advance the deal: at once when every exit criterion is met, else a modal asks for the override reason."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.core import deal_actions
from bot.slack.delivery import open_view
from bot.slack.interactions import clicker, int_value, kindly, tell, visible_plan
from bot.slack.modals import override_modal


@kindly
def advance_stage(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    viewer = clicker(services, client, body)
    deal_id = int_value(body)
    plan = visible_plan(services, viewer, deal_id)
    try:
        with services.runtime.session() as session:
            change = deal_actions.advance_stage(session=session, viewer=viewer, process=services.runtime.process,
                                                deal_id=plan.deal.id, now=services.runtime.now())
    except deal_actions.NeedsOverride as needs:
        open_view(client, trigger_id=body["trigger_id"], view=override_modal(plan, needs.unmet))
        return
    stage = services.runtime.process.stage(change.to_stage)
    tell(body, respond, client, f"Moved {plan.deal.name} to {stage.name if stage else change.to_stage}. ✅")
