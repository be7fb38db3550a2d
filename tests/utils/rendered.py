"""An answer's words as each surface shows them, for tests that check emphasis and marks, not only facts."""

from __future__ import annotations

from bot.cli.output import answer_text
from bot.coach.rich import Doc
from bot.coach.types import CoachAnswer
from bot.slack.blocks import mrkdwn


def _doc(answer: CoachAnswer | Doc) -> Doc:
    return answer if isinstance(answer, Doc) else answer.result.doc()


def slack(answer: CoachAnswer | Doc) -> str:
    """The mrkdwn the Slack renderer makes of an answer's words (``*bold*``, emoji for marks, text escaped)."""
    return mrkdwn(_doc(answer))


def terminal(answer: CoachAnswer | Doc) -> str:
    """The text the CLI renderer prints for an answer's words (styles aside)."""
    return answer_text(_doc(answer)).plain
