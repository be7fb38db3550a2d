"""Modals for changing a deal. The deal id rides in ``private_metadata``; the submission handler
re-checks access through ``bot.core.deal_actions``, so a forged id gets nowhere."""

from __future__ import annotations

import json
from datetime import date

from bot.core.plan import DealPlan
from bot.slack import ids
from bot.slack.blocks import context, section
from bot.slack.mrkdwn import escape, fit, shorten, split_text

OPTION_TEXT = 75  # Slack's limit for an option's text
MAX_OPTIONS = 100


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def _modal(callback_id: str, title: str, deal_id: int, blocks: list[dict], submit: str = "Save") -> dict:
    return {"type": "modal", "callback_id": callback_id, "title": _plain(shorten(title, 24)),
            "submit": _plain(submit), "close": _plain("Cancel"),
            "private_metadata": json.dumps({"deal": deal_id}), "blocks": blocks}


def _select(block_id: str, label: str, options: list[tuple[str, str]], *, optional: bool = False) -> dict:
    return {"type": "input", "block_id": block_id, "optional": optional, "label": _plain(label),
            "element": {"type": "static_select", "action_id": block_id, "placeholder": _plain("Choose…"),
                        "options": [{"text": _plain(shorten(text, OPTION_TEXT)), "value": value}
                                    for value, text in options[:MAX_OPTIONS]]}}


def _text_input(block_id: str, label: str, *, multiline: bool = True, optional: bool = False,
                placeholder: str | None = None) -> dict:
    element = {"type": "plain_text_input", "action_id": block_id, "multiline": multiline, "max_length": 2000}
    if placeholder:
        element["placeholder"] = _plain(placeholder)
    return {"type": "input", "block_id": block_id, "optional": optional, "label": _plain(label), "element": element}


def _heading(plan: DealPlan) -> dict:
    return section(f"*{fit(plan.deal.name, 1000)}* · {fit(plan.stage_name, 500)}")


def criterion_modal(plan: DealPlan) -> dict:
    """Mark one of the current stage's unmet exit criteria as confirmed by the buyer, with evidence."""
    options = [(c.key, c.text) for c in plan.unmet]
    return _modal(ids.CRITERION_VIEW, "Criterion met", plan.deal.id, [
        _heading(plan),
        _select(ids.CRITERION_INPUT, "Which exit criterion did the buyer confirm?", options),
        _text_input(ids.EVIDENCE_INPUT, "Evidence", placeholder="How did the buyer confirm it? (who, when, where)"),
    ])


def activity_modal(plan: DealPlan, activities: list[tuple[str, str]]) -> dict:
    """Log what was done; the activity list is the current stage's, from the process map."""
    return _modal(ids.ACTIVITY_VIEW, "Log activity", plan.deal.id, [
        _heading(plan),
        _select(ids.ACTIVITY_INPUT, "Activity from the process (optional)", activities, optional=True),
        _text_input(ids.NOTE_INPUT, "What happened?"),
    ])


def followup_modal(plan: DealPlan, initial: date) -> dict:
    return _modal(ids.FOLLOWUP_VIEW, "Set follow-up", plan.deal.id, [
        _heading(plan),
        {"type": "input", "block_id": ids.DUE_DATE_INPUT, "label": _plain("Due"),
         "element": {"type": "datepicker", "action_id": ids.DUE_DATE_INPUT, "initial_date": initial.isoformat()}},
        _text_input(ids.NOTE_INPUT, "Follow-up", multiline=False, placeholder="e.g. Send the security questionnaire"),
    ])


def override_modal(plan: DealPlan, unmet: list[str]) -> dict:
    """Advancing with unmet exit criteria: say which, and ask why; the reason is recorded with the move."""
    listed = "\n".join(f"• {fit(text, 600)}" for text in unmet)
    target = escape(plan.next_stage_name or "the next stage")
    heading = f"*{fit(plan.deal.name, 1000)}* still has unmet exit criteria in {fit(plan.stage_name, 500)}:\n{listed}"
    return _modal(ids.OVERRIDE_VIEW, "Advance anyway?", plan.deal.id, [
        *(section(piece) for piece in split_text(heading)),
        _text_input(ids.REASON_INPUT, f"Why move it to {plan.next_stage_name or 'the next stage'} now?"[:2000]),
        context(f"The move to {target} is recorded with your reason."),
    ], submit="Advance")


def done_view(message: str) -> dict:
    """What a modal turns into after a successful save (``response_action: update``)."""
    return {"type": "modal", "title": _plain("Stagecoach"), "close": _plain("Close"), "blocks": [section(message)]}


def deal_id_of(view: dict) -> int | None:
    """The deal id a modal was opened for, or None for metadata that isn't ours."""
    try:
        return int(json.loads(view.get("private_metadata") or "{}")["deal"])
    except (ValueError, KeyError, TypeError):
        return None


def value_of(view: dict, block_id: str) -> str | None:
    """The submitted value of an input block (text, selected option or date)."""
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get(block_id, {})
    if state.get("type") == "static_select" or "selected_option" in state:
        return (state.get("selected_option") or {}).get("value")
    if state.get("type") == "datepicker" or "selected_date" in state:
        return state.get("selected_date")
    return state.get("value")
