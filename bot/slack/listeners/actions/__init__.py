"""Buttons on answers: deal changes (through ``bot.deal_actions`` only), feedback, sharing."""

from __future__ import annotations

import importlib
import importlib.util

from slack_bolt import App

from bot.slack import ids
from bot.slack.listeners.actions.advance_stage import advance_stage
from bot.slack.listeners.actions.ask_about_deal import ask_about_deal
from bot.slack.listeners.actions.complete_followup import complete_followup
from bot.slack.listeners.actions.feedback import feedback
from bot.slack.listeners.actions.open_modals import open_activity_modal, open_criterion_modal, open_followup_modal
from bot.slack.listeners.actions.share_answer import share_answer

DIGEST_ACTIONS = "bot.slack.listeners.actions.digest"  # Done / Snooze / Coach me, owned by the digest


def register(app: App) -> None:
    app.action(ids.MARK_CRITERION)(open_criterion_modal)
    app.action(ids.LOG_ACTIVITY)(open_activity_modal)
    app.action(ids.SET_FOLLOWUP)(open_followup_modal)
    app.action(ids.ADVANCE_STAGE)(advance_stage)
    app.action(ids.COMPLETE_FOLLOWUP)(complete_followup)
    app.action(ids.ASK_ABOUT_DEAL)(ask_about_deal)
    app.action(ids.FEEDBACK_UP)(feedback)
    app.action(ids.FEEDBACK_DOWN)(feedback)
    app.action(ids.SHARE_ANSWER)(share_answer)
    if importlib.util.find_spec(DIGEST_ACTIONS) is not None:
        importlib.import_module(DIGEST_ACTIONS).register(app)
