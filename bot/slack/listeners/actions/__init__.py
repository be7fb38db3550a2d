"""Buttons on answers: deal changes (through ``bot.core.deal_actions`` only), feedback, sharing."""

from __future__ import annotations

from slack_bolt import App

from bot.slack import ids
from bot.slack.listeners.acknowledge import AT_ONCE
from bot.slack.listeners.actions.advance_stage import advance_stage
from bot.slack.listeners.actions.ask_about_deal import ask_about_deal, coach_on_deal
from bot.slack.listeners.actions.complete_followup import complete_followup
from bot.slack.listeners.actions.confirm_proposal import decide_proposal
from bot.slack.listeners.actions.digest import register as register_digest_buttons
from bot.slack.listeners.actions.feedback import feedback
from bot.slack.listeners.actions.open_modals import open_activity_modal, open_criterion_modal, open_followup_modal
from bot.slack.listeners.actions.share_answer import share_answer

HANDLERS = {
    ids.MARK_CRITERION: open_criterion_modal,
    ids.LOG_ACTIVITY: open_activity_modal,
    ids.SET_FOLLOWUP: open_followup_modal,
    ids.ADVANCE_STAGE: advance_stage,
    ids.COMPLETE_FOLLOWUP: complete_followup,
    ids.ASK_ABOUT_DEAL: ask_about_deal,
    ids.COACH_ON_DEAL: coach_on_deal,
    ids.CONFIRM_PROPOSAL: decide_proposal,
    ids.CANCEL_PROPOSAL: decide_proposal,
    ids.FEEDBACK: feedback,
    ids.FEEDBACK_UP: feedback,
    ids.FEEDBACK_DOWN: feedback,
    ids.SHARE_ANSWER: share_answer,
}


def register(app: App) -> None:
    for action_id, handler in HANDLERS.items():
        app.action(ids.matching(action_id), middleware=AT_ONCE)(handler)
    register_digest_buttons(app)
