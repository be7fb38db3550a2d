"""Modal submissions: each change is one call of ``bot.service.deals`` (through ``bot.core.deal_actions``,
which re-checks access).

The deal id in ``private_metadata`` is only a claim: a forged one reads as "not
found", exactly like a deal that does not exist. Problems are shown on the form
(``response_action: errors``); a saved change turns the modal into a short note.
"""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.core.deal_actions import DEAL_NOT_FOUND
from bot.core.errors import InvalidInput, NotFound, StagecoachError
from bot.core.runtime import Runtime
from bot.service import deals
from bot.slack import ids
from bot.slack.interactions import clicker
from bot.slack.modals import deal_id_of, done_view, value_of
from bot.slack.mrkdwn import escape
from bot.slack.services import Services
from storage.access import Viewer


def register(app: App) -> None:
    app.view(ids.CRITERION_VIEW)(criterion_submitted)
    app.view(ids.ACTIVITY_VIEW)(activity_submitted)
    app.view(ids.FOLLOWUP_VIEW)(followup_submitted)
    app.view(ids.OVERRIDE_VIEW)(override_submitted)


def _submit(ack: Ack, body: dict, context: BoltContext, client: WebClient, error_block: str, change) -> None:
    """Run ``change(runtime, viewer, deal_id) -> note`` (one service call); answer the form either way."""
    services: Services = context["services"]
    view = body["view"]
    try:
        viewer = clicker(services, client, body)
        deal_id = deal_id_of(view)
        if deal_id is None:
            raise NotFound(DEAL_NOT_FOUND)
        note = change(services.runtime, viewer, deal_id)
    except StagecoachError as error:
        ack(response_action="errors", errors={error_block: str(error)[:2000]})
        return
    ack(response_action="update", view=done_view(escape(note)))


def criterion_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    view = body["view"]
    criterion, evidence = value_of(view, ids.CRITERION_INPUT), value_of(view, ids.EVIDENCE_INPUT)

    def change(runtime: Runtime, viewer: Viewer, deal_id: int) -> str:
        if not criterion:
            raise InvalidInput("Choose the criterion the buyer confirmed.")
        text = deals.mark_criterion(runtime, viewer, deal_id, criterion_key=criterion, evidence=evidence)
        return f"✅ Recorded: {text}."

    _submit(ack, body, context, client, ids.CRITERION_INPUT, change)


def activity_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    view = body["view"]
    activity_key, note = value_of(view, ids.ACTIVITY_INPUT), value_of(view, ids.NOTE_INPUT) or ""

    def change(runtime: Runtime, viewer: Viewer, deal_id: int) -> str:
        deals.log_activity(runtime, viewer, deal_id, note=note, activity_key=activity_key)
        return "📝 Activity logged."

    _submit(ack, body, context, client, ids.NOTE_INPUT, change)


def followup_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    view = body["view"]
    picked, note = value_of(view, ids.DUE_DATE_INPUT), value_of(view, ids.NOTE_INPUT) or ""

    def change(runtime: Runtime, viewer: Viewer, deal_id: int) -> str:
        due_day = _date(picked)
        deals.set_followup_on(runtime, viewer, deal_id, day=due_day, note=note)
        return f"📅 Follow-up set for {due_day:%a %b %d}."

    _submit(ack, body, context, client, ids.DUE_DATE_INPUT, change)


def override_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    reason = (value_of(body["view"], ids.REASON_INPUT) or "").strip()

    def change(runtime: Runtime, viewer: Viewer, deal_id: int) -> str:
        if not reason:
            raise InvalidInput("Give the reason for advancing with unmet exit criteria.")
        moved = deals.advance_stage(runtime, viewer, deal_id, override_reason=reason)
        return f"➡️ Moved to {moved.stage_name}; your reason is recorded."

    _submit(ack, body, context, client, ids.REASON_INPUT, change)


def _date(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("Pick a date.") from None

