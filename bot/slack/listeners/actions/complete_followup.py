"""☑️ Done on a follow-up listed in an answer."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.core import deal_actions
from bot.core.errors import NotFound
from bot.slack.interactions import clicker, int_value, kindly, tell


@kindly
def complete_followup(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    viewer = clicker(services, client, body)
    followup_id = int_value(body)
    if followup_id is None:
        raise NotFound("I can't find that follow-up among the deals you can see.")
    with services.runtime.session() as session:
        followup = deal_actions.complete_followup(session=session, viewer=viewer, followup_id=followup_id,
                                                  now=services.runtime.now())
    tell(body, respond, client, f"Done: {followup.note or 'follow-up'}. ✅")
