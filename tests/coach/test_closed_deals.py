"""A rep asking about their own won or lost deal gets how it ended and how it got there, not "can't find".

NOW is Friday 2026-11-20 15:00 UTC; the small map's stages are Discover, Validate, Close.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.models import DealStatus
from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model

LOST_AT = datetime(2026, 10, 14, 16, 0, tzinfo=UTC)



@pytest.fixture
def closed(runtime, floor):
    """Alice lost Vandelay in Validate; Carol (another team) won Monarch; Alice has an open and a lost Globex."""
    with runtime.session() as s:
        vandelay = f.deal(s, floor.alice, "Vandelay Imports pilot", account="Vandelay Imports", stage="validate",
                          status=DealStatus.lost, closed_at=LOST_AT, amount=42_000, external_id="D-VANDELAY")
        f.move(s, vandelay, None, "discover", datetime(2026, 8, 3, 9, tzinfo=UTC))
        f.move(s, vandelay, "discover", "validate", datetime(2026, 9, 1, 9, tzinfo=UTC))
        f.activity(s, vandelay, LOST_AT - timedelta(days=2), note="Buyer chose the incumbent")
        f.deal(s, floor.carol, "Monarch Travel", stage="close", status=DealStatus.won, closed_at=LOST_AT,
               external_id="D-MONARCH")
        f.deal(s, floor.alice, "Globex platform rollout 2025", account="Globex Corporation", stage="close",
               status=DealStatus.lost, closed_at=LOST_AT - timedelta(days=300), external_id="D-GLOBEX-OLD")
    return vandelay


def test_a_lost_deal_answers_with_its_outcome_and_history(floor, closed, coach):
    answer = coach.ask(floor.viewer(floor.alice), "what happened on vandelay?", now=NOW)

    assert answer.intent == "deal_outcome" and answer.deal.external_id == "D-VANDELAY"
    assert answer.data["status"] == "lost" and answer.data["last_stage"] == "validate"
    assert [m[1] for m in answer.data["moves"]] == ["discover", "validate"]
    assert "*lost* on Oct 14 2026 (" in slack(answer) and "42,000), after Validate" in answer.text
    assert "Discover Aug 3 → Validate Sep 1" in answer.text
    assert "Buyer chose the incumbent" in answer.text
    assert answer.plan is None  # no Advance or Log buttons on a closed deal


def test_any_deal_question_about_a_closed_deal_gets_the_outcome(floor, closed, coach):
    for question in ("whats next on vandelay imports", "why is vandelay stuck", "prep me for my call w vandelay"):
        answer = coach.ask(floor.viewer(floor.alice), question, now=NOW)
        assert answer.intent == "deal_outcome" and answer.deal.external_id == "D-VANDELAY", question


def test_the_open_deal_wins_over_a_closed_one_of_the_same_name(floor, closed, coach):
    answer = coach.ask(floor.viewer(floor.alice), "what should I do next on Globex?", now=NOW)

    assert answer.intent == "deal_plan" and answer.deal.external_id == "D-GLOBEX"


def test_another_teams_closed_deal_stays_unseen(floor, closed, coach):
    answer = coach.ask(floor.viewer(floor.alice), "what happened on monarch travel", now=NOW)

    assert answer.intent == "not_found" and "Monarch" not in answer.text.replace("“monarch travel”", "")
    manager = coach.ask(floor.viewer(floor.manager), "what happened on vandelay", now=NOW)
    assert manager.intent == "deal_outcome" and manager.deal.external_id == "D-VANDELAY"  # Alice is on her team
