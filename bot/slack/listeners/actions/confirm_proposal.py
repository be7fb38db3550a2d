"""✅ Confirm / Cancel under a write proposed in words ("Globex confirmed budget").

The button carries only the proposal's token. ``bot.coach.proposals`` finds the proposal in the
clicker's own conversations (anyone else finds nothing), writes through ``bot.core.deal_actions`` (access
checked again) and applies a token at most once, so a second press reads "Already recorded.". The
buttons are replaced by the outcome and the rest of the message stays; on an ephemeral message, which
Slack sends no copy of, the outcome goes to the clicker alone.
"""

from __future__ import annotations

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.service import proposals
from bot.slack import ids
from bot.slack.delivery import respond_safely
from bot.slack.digest import marked
from bot.slack.interactions import button_value, clicker, kindly, tell
from bot.slack.mrkdwn import escape


@kindly
def decide_proposal(body: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    services = context["services"]
    viewer = clicker(services, client, body)
    clicked = body["actions"][0]
    outcome = proposals.decide(services.runtime, viewer, token=button_value(body),
                               confirmed=clicked["action_id"] == ids.CONFIRM_PROPOSAL)
    message = body.get("message") or {}
    blocks, block_id = message.get("blocks") or [], clicked.get("block_id", "")
    if any(block.get("block_id") == block_id for block in blocks):
        respond_safely(respond, replace_original=True, text=message.get("text") or outcome,
                blocks=marked(blocks, block_id, escape(outcome)))
    else:  # an ephemeral message (Slack sends no copy of it) or the buttons are gone: say it to the clicker
        tell(body, respond, client, outcome)
