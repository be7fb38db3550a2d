"""Action and view ids shared by the Block Kit builders and the listeners that handle them."""

import re


def numbered(action_id: str, index: int) -> str:
    """``action_id`` for the ``index``-th of several like buttons: Slack refuses one action_id twice in a block.

    The first keeps the plain id, so buttons on messages sent before numbering still work.
    """
    return f"{action_id}:{index}" if index else action_id


def matching(action_id: str) -> re.Pattern:
    """What a listener matches: ``action_id`` itself or any ``numbered`` form of it."""
    return re.compile(rf"^{re.escape(action_id)}(?::\d+)?$")


# Buttons on deal answers (value: the deal id, or the follow-up id for COMPLETE_FOLLOWUP).
MARK_CRITERION = "deal_mark_criterion"
LOG_ACTIVITY = "deal_log_activity"
SET_FOLLOWUP = "deal_set_followup"
COMPLETE_FOLLOWUP = "deal_complete_followup"
ADVANCE_STAGE = "deal_advance_stage"
ASK_ABOUT_DEAL = "deal_ask_about"  # value: the deal's external id, when a question matched several deals
COACH_ON_DEAL = "deal_coach_me"  # App Home's Coach me; value: the deal id

# A write proposed in words ("Globex confirmed budget"); value: the proposal's token. Two ids, because
# Slack rejects two buttons with one action_id in a block.
CONFIRM_PROPOSAL = "proposal_confirm"
CANCEL_PROPOSAL = "proposal_cancel"

# Buttons on every answer.
FEEDBACK_UP = "answer_feedback_up"
FEEDBACK_DOWN = "answer_feedback_down"
FEEDBACK = "answer_feedback"  # Slack's feedback buttons; the two above stay for answers sent before them
SHARE_ANSWER = "answer_share"  # value: JSON {"q": question, "t": thread_ts}

# Modals (callback ids) and their inputs (block id == action id, to keep lookups plain).
CRITERION_VIEW = "deal_criterion_view"
ACTIVITY_VIEW = "deal_activity_view"
FOLLOWUP_VIEW = "deal_followup_view"
OVERRIDE_VIEW = "deal_override_view"

CRITERION_INPUT = "criterion"
EVIDENCE_INPUT = "evidence"
ACTIVITY_INPUT = "activity"
NOTE_INPUT = "note"
DUE_DATE_INPUT = "due_date"
REASON_INPUT = "reason"
