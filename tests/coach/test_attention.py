"""The attention list through ``Coach.ask``: every deal with a problem, or only the kind a question asks for.

Severity (bot/coach/intents/attention.py), counted for the kinds asked: overdue follow-ups 100 + the oldest's
days late; 1 per day over the stage's expected days; 50 for a passed close date. NOW is Friday 2026-11-20.
Alice's book, by hand: Globex 3 days late (103) and 5 days over Validate's 20 (5); Vandelay 20 days late
(120); Wayne 8 days over Discover's 10 (8); Acme's close date Nov 18 passed (50); Hooli nothing.
Deal warnings add to a kind (bot/pipeline/deal_warnings.py): no activity 15 ("quiet"), unmet exit criteria of an
earlier stage 10 ("criteria"), stalled 20 ("stuck"), close date pushed twice 30 ("close").
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model


@pytest.fixture
def book(runtime, floor):
    with runtime.session() as s:
        vandelay = f.deal(s, floor.alice, "Vandelay import", days_in_stage=1, external_id="D-VANDELAY")
        f.followup(s, vandelay, NOW - timedelta(days=20), note="Send the case study")
        f.deal(s, floor.alice, "Wayne pilot", days_in_stage=18, external_id="D-WAYNE")
        f.deal(s, floor.alice, "Acme renewal", days_in_stage=1, close_date=date(2026, 11, 18), external_id="D-ACME")
    return floor


def listed(answer) -> list[str]:
    return answer.data["deals"]


def test_a_plain_question_gets_every_problem_most_pressing_first(book, coach):
    answer = coach.ask(book.viewer(book.alice), "what needs my attention", now=NOW)
    assert answer.intent == "attention" and answer.data["kinds"] == ["close", "criteria", "overdue", "quiet", "stuck"]
    # Vandelay 120, Globex 103 + 5 + 10 (left Discover without its budget) = 118, Acme 50, Wayne 8 + 15 (quiet).
    assert listed(answer) == ["D-VANDELAY", "D-GLOBEX", "D-ACME", "D-WAYNE"]
    # The deal warnings, each in words: Wayne was created 23 days ago (18 in Discover) with no activity since.
    assert ("*Wayne pilot*: 8 days over the 10 expected in Discover; no activity recorded in the 23 days since it "
            "was created") in slack(answer)
    assert "5 days over the 20 expected in Validate; left Discover without: Buyer confirmed a budget range" \
        in slack(answer)
    assert slack(answer).startswith("*4 of your deals need attention:*")
    assert "Globex platform rollout*: 1 overdue follow-up, 3 days late; 5 days over the 20 expected in Validate" \
        in slack(answer)


@pytest.mark.parametrize(("question", "kinds", "deals", "header"), [
    ("what's stuck?", ["stuck"], ["D-WAYNE", "D-GLOBEX"], "*2 of your deals are over their stage's norm:*"),
    ("any overdue fus", ["overdue"], ["D-VANDELAY", "D-GLOBEX"], "*2 of your deals have overdue follow-ups:*"),
    ("anything past its close date", ["close"], ["D-ACME"], "*1 of your deals is past its close date:*"),
    ("whats overdue or stuck", ["overdue", "stuck"], ["D-VANDELAY", "D-GLOBEX", "D-WAYNE"],
     "*3 of your deals need attention:*"),
])
def test_a_question_about_one_kind_of_problem_lists_only_those(book, coach, question, kinds, deals, header):
    answer = coach.ask(book.viewer(book.alice), question, now=NOW)
    assert answer.intent == "attention" and answer.data["kinds"] == kinds
    assert listed(answer) == deals and slack(answer).startswith(header)
    # A deal listed shows all its problems: Globex's overdue follow-up stays beside its days over the norm.
    assert "Hooli" not in answer.text
    assert ("Globex platform rollout*: 1 overdue follow-up, 3 days late; 5 days over" in slack(answer)) == (
        "D-GLOBEX" in deals)


def test_nothing_of_the_kind_asked_is_said_plainly(runtime, floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "anything past its close date", now=NOW)
    assert listed(answer) == [] and slack(answer) == "Nothing to chase right now: no close date has passed. 🎉"


def test_the_header_counts_every_deal_when_only_the_first_ten_are_shown(runtime, floor, coach):
    with runtime.session() as s:
        for i in range(12):
            f.deal(s, floor.alice, f"Stalled {i:02}", days_in_stage=11 + i)
    answer = coach.ask(floor.viewer(floor.alice), "which deals are stuck", now=NOW)
    assert len(listed(answer)) == 13  # the twelve and Globex
    assert slack(answer).startswith("*13 of your deals are over their stage's norm; the 10 most pressing first:*")
    assert answer.text.endswith("…and 3 more.") and "Stalled 11" in answer.text and "Stalled 00" not in answer.text
