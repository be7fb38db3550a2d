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


def test_a_closed_deal_named_in_full_is_answered_not_the_accounts_open_deals(runtime, floor, coach):
    with runtime.session() as s:
        for name in ("United Oil pipeline monitoring", "United Oil refinery analytics", "United Oil EU rollout"):
            f.deal(s, floor.alice, name, account="United Oil", stage="validate")
        f.deal(s, floor.alice, "United Oil SLA", account="United Oil", stage="close", status=DealStatus.won,
               closed_at=LOST_AT, external_id="D-SLA")
    alice = floor.viewer(floor.alice)
    for question in ("what happened on United Oil SLA?", "united oil sla status"):
        answer = coach.ask(alice, question, now=NOW)
        assert answer.intent == "deal_outcome" and answer.deal.external_id == "D-SLA", question
    # The account alone still means its open deals, which one asked back.
    answer = coach.ask(alice, "whats next on united oil", now=NOW)
    assert answer.intent == "deal_choice" and "D-SLA" not in {d.external_id for d in answer.choices}
    assert len(answer.choices) == 3


def test_a_deal_whose_only_recorded_change_is_won_is_described_from_that_history(runtime, floor, coach):
    won_at = datetime(2026, 2, 23, 17, 0, tzinfo=UTC)
    with runtime.session() as s:
        # The CRM left "close" on the row, but history holds only the win: no stage before it is known.
        deal = f.deal(s, floor.alice, "Stark Industries renewal", account="Stark Industries", stage="close",
                      status=DealStatus.won, closed_at=won_at, external_id="D-STARK")
        f.move(s, deal, None, "won", won_at)
    answer = coach.ask(floor.viewer(floor.alice), "what happened on stark industries?", now=NOW)
    text = slack(answer)
    assert answer.intent == "deal_outcome" and "*won* on Feb 23 2026" in text
    assert "Its earlier stages were not recorded." in text
    assert "after" not in text.split("Its earlier")[0] and "Close" not in text
    assert answer.data["last_stage"] is None


def test_the_stage_a_deal_closed_from_is_the_one_its_history_shows(runtime, floor, coach):
    with runtime.session() as s:
        deal = f.deal(s, floor.alice, "Stark Industries renewal", account="Stark Industries", stage="close",
                      status=DealStatus.lost, closed_at=LOST_AT, external_id="D-STARK")
        f.move(s, deal, None, "discover", LOST_AT - timedelta(days=40))
        f.move(s, deal, "discover", "lost", LOST_AT)
    text = slack(coach.ask(floor.viewer(floor.alice), "what happened on stark industries?", now=NOW))
    assert "*lost* on Oct 14 2026" in text and "after Discover" in text and "Close" not in text
    assert "Stages recorded: Discover" in text
