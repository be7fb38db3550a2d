"""Deals named like the words the router itself uses: its deal placeholder, the word its examples write
for a deal ("acme"), and intent words. Each is asked about as any other deal is."""

from __future__ import annotations

import pytest

from bot.coach.intents import all_intents
from bot.coach.intents.base import DEAL_PLACEHOLDER, EXAMPLES_DEAL
from storage.models import DealStatus
from tests.utils import factories as f
from tests.utils.factories import NOW

pytestmark = pytest.mark.model

NAMES = [EXAMPLES_DEAL.title(), DEAL_PLACEHOLDER.title(), "Pipeline", "Focus", "Scorecard"]


def test_the_placeholder_is_no_word_of_any_example_or_question():
    assert DEAL_PLACEHOLDER not in all_intents().example_words  # a deal so named is looked up, never "known"
    assert all(EXAMPLES_DEAL not in e.split() for i in all_intents().values() for e in i.examples)
    assert all(DEAL_PLACEHOLDER in e for e in all_intents()["deal_plan"].examples[:3])


@pytest.mark.parametrize("name", NAMES)
def test_an_open_deal_named_like_a_router_word_is_answered_about(runtime, floor, coach, name):
    with runtime.session() as s:
        f.deal(s, floor.alice, f"{name} pilot", account=name, stage="validate", external_id="D-NAMED")
    alice = floor.viewer(floor.alice)
    for question in (f"what happened on {name}?", f"whats next on {name.lower()}", f"why is {name} stuck"):
        answer = coach.ask(alice, question, now=NOW)
        assert answer.deal is not None and answer.deal.external_id == "D-NAMED", (question, answer.intent)


@pytest.mark.parametrize("name", [EXAMPLES_DEAL.title(), DEAL_PLACEHOLDER.title()])
def test_a_won_deal_named_like_the_placeholder_says_how_it_ended(runtime, floor, coach, name):
    with runtime.session() as s:
        f.deal(s, floor.alice, f"{name} pilot", account=name, stage="validate", external_id="D-NAMED",
               status=DealStatus.won, closed_at=NOW)
    answer = coach.ask(floor.viewer(floor.alice), f"what happened on {name}?", now=NOW)
    assert answer.intent == "deal_outcome" and answer.deal.external_id == "D-NAMED"
    assert "won" in answer.text and "Which deal" not in answer.text
