"""Modal submissions: each change goes through ``bot.core.deal_actions``, which re-checks access.

The deal id in ``private_metadata`` is only a claim: a forged one reads as "not
found", exactly like a deal that does not exist. Problems are shown on the form
(``response_action: errors``); a saved change turns the modal into a short note.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.core import deal_actions
from bot.core.errors import InvalidInput, NotFound, StagecoachError
from bot.slack import ids
from bot.slack.interactions import clicker
from bot.slack.modals import deal_id_of, done_view, value_of
from bot.slack.mrkdwn import escape
from bot.slack.services import Services
from storage.access import Viewer
from storage.timeutil import local_midnight_utc, zone

FOLLOWUP_HOUR = 9  # a follow-up set for a day is due at 9:00 in the rep's timezone


def register(app: App) -> None:
    app.view(ids.CRITERION_VIEW)(criterion_submitted)
    app.view(ids.ACTIVITY_VIEW)(activity_submitted)
    app.view(ids.FOLLOWUP_VIEW)(followup_submitted)
    app.view(ids.OVERRIDE_VIEW)(override_submitted)


def _submit(ack: Ack, body: dict, context: BoltContext, client: WebClient, error_block: str, change) -> None:
    """Run ``change(session, viewer, deal_id, now) -> note`` in one transaction; answer the form either way."""
    services: Services = context["services"]
    view = body["view"]
    try:
        viewer = clicker(services, client, body)
        deal_id = deal_id_of(view)
        if deal_id is None:
            raise NotFound(deal_actions.DEAL_NOT_FOUND)
        with services.runtime.session() as session:
            note = change(session, viewer, deal_id, services.runtime.now())
    except StagecoachError as error:
        ack(response_action="errors", errors={error_block: str(error)[:2000]})
        return
    ack(response_action="update", view=done_view(escape(note)))


def criterion_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    view = body["view"]
    criterion, evidence = value_of(view, ids.CRITERION_INPUT), value_of(view, ids.EVIDENCE_INPUT)
    process = context["services"].runtime.process

    def change(session, viewer: Viewer, deal_id: int, now: datetime) -> str:
        if not criterion:
            raise InvalidInput("Choose the criterion the buyer confirmed.")
        check = deal_actions.mark_criterion(session=session, viewer=viewer, process=process, deal_id=deal_id,
                                            criterion_key=criterion, now=now, evidence=evidence)
        stage = process.stage(check.stage_key)
        found = stage.criterion(check.criterion_key) if stage else None
        return f"✅ Recorded: {found.text if found else check.criterion_key}."

    _submit(ack, body, context, client, ids.CRITERION_INPUT, change)


def activity_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    view = body["view"]
    activity_key, note = value_of(view, ids.ACTIVITY_INPUT), value_of(view, ids.NOTE_INPUT) or ""

    def change(session, viewer: Viewer, deal_id: int, now: datetime) -> str:
        if not note.strip() and not activity_key:
            raise InvalidInput("Say what happened.")
        deal_actions.log_activity(session=session, viewer=viewer, deal_id=deal_id, now=now, note=note,
                                  activity_key=activity_key)
        return "📝 Activity logged."

    _submit(ack, body, context, client, ids.NOTE_INPUT, change)


def followup_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    view = body["view"]
    picked, note = value_of(view, ids.DUE_DATE_INPUT), value_of(view, ids.NOTE_INPUT) or ""

    def change(session, viewer: Viewer, deal_id: int, now: datetime) -> str:
        due_day = _date(picked)
        tz = zone(viewer.timezone)
        if due_day < now.astimezone(tz).date():
            raise InvalidInput("Pick today or a later day.")
        due_at = local_midnight_utc(due_day, tz) + timedelta(hours=FOLLOWUP_HOUR)
        deal_actions.set_followup(session=session, viewer=viewer, deal_id=deal_id, now=now, due_at=due_at, note=note)
        return f"📅 Follow-up set for {due_day:%a %b %d}."

    _submit(ack, body, context, client, ids.DUE_DATE_INPUT, change)


def override_submitted(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    reason = (value_of(body["view"], ids.REASON_INPUT) or "").strip()
    process = context["services"].runtime.process

    def change(session, viewer: Viewer, deal_id: int, now: datetime) -> str:
        if not reason:
            raise InvalidInput("Give the reason for advancing with unmet exit criteria.")
        moved = deal_actions.advance_stage(session=session, viewer=viewer, process=process, deal_id=deal_id,
                                           now=now, override_reason=reason)
        stage = process.stage(moved.to_stage)
        return f"➡️ Moved to {stage.name if stage else moved.to_stage}; your reason is recorded."

    _submit(ack, body, context, client, ids.REASON_INPUT, change)


def _date(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("Pick a date.") from None

