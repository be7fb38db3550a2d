"""An answer's words as each surface shows them, for tests that check emphasis and marks, not only facts."""

from __future__ import annotations

from bot.cli.output import MARKS, answer_text
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


def printed_as_plain(answer: CoachAnswer) -> bool:
    """The terminal prints the answer's plain text, line for line, adding nothing but a mark's sign before a
    line's text or after it: no asterisks, no markup, nothing of the text lost."""
    printed, plain = terminal(answer).splitlines(), answer.text.splitlines()
    signs = {sign for sign, _ in MARKS.values()}

    def same(shown: str, words: str) -> bool:
        return shown == words or any(shown.replace(f"{sign} ", "", 1) == words or shown == f"{words} {sign}"
                                     for sign in signs)

    return len(printed) == len(plain) and all(map(same, printed, plain))
