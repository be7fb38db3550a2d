"""The composer's wording of retrieved passages: sentences cut cleanly, lists kept as lists."""

from __future__ import annotations

from dataclasses import dataclass

from bot.coach.composer import compose_passages, excerpt
from tests.utils.rendered import slack


@dataclass
class Passage:
    text: str
    source: str = "methodologies/challenger.md"
    section: str = "Handling objections"
    title: str = "Challenger selling"


OBJECTIONS = """## Handling objections
- "Your price is too high." Compare it to the cost of the problem the buyer quantified.
- "We're fine the way we are." Return to the insight with their own data.
- "Send me some information." Ask what they would look for in it first.
"""


def test_a_list_keeps_one_item_per_line_and_stops_before_the_limit():
    text = excerpt(OBJECTIONS, limit=180)
    assert text.splitlines() == [
        '• "Your price is too high." Compare it to the cost of the problem the buyer quantified.',
        '• "We\'re fine the way we are." Return to the insight with their own data.',
    ]


def test_prose_is_cut_at_a_sentence_never_mid_word():
    prose = "Lead with a provocation. Pick one belief buyers hold. Show with a number why it is costly."
    assert excerpt(prose, limit=60) == "Lead with a provocation. Pick one belief buyers hold."


def test_a_listed_passage_starts_its_list_on_a_new_line():
    answer = slack(compose_passages([Passage(OBJECTIONS)]))
    assert answer.startswith('*Challenger selling — Handling objections:*\n• "Your price is too high."')
