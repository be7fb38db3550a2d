"""Focus through ``Coach.ask``: the ranking, hand-computed from the fixture, with why and the first move.

Points (bot/coach/intents/focus.py): overdue follow-ups 50 for the first + 10 per other + 2 per day the
oldest is late (at most 15 days); due today 30; close date passed 40, within 14 days 20; 1 per day over
the stage's expected days (at most 30); deal warnings: stalled 15, pushed 15, no activity 10, unmet criteria of an
earlier stage 5. Ties go to the bigger amount. NOW is Friday 2026-11-20 15:00 UTC.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model

# Globex (fixture): 1 follow-up 3 days overdue 50 + 2*3 = 56; 1 due today 30; day 25 of 20 in Validate 5; it left
# Discover without its budget confirmed 5: 96.
GLOBEX_REASONS = ["1 overdue follow-up, 3 days late", "a follow-up due today", "5 days over the 20 expected in Validate",
                  "left Discover without: Buyer confirmed a budget range"]
PRICING_RECAP_FIRST = "Do the follow-up “Send the pricing recap”, 3 days overdue."



def _ranked(answer) -> list[tuple[str, int]]:
    return [(d["external_id"], d["score"]) for d in answer.data["deals"]]


def test_overdue_follow_ups_rank_first_and_a_tie_goes_to_the_bigger_amount(runtime, floor, coach):
    with runtime.session() as s:
        # One follow-up 20 days late: 50 + 2 * 15 (the cap) = 80.
        vandelay = f.deal(s, floor.alice, "Vandelay import", stage="discover", days_in_stage=1, amount=8_000,
                          external_id="D-VANDELAY")
        f.followup(s, vandelay, NOW - timedelta(days=20), note="Send the case study")
        # Two overdue, the oldest 10 days late: 50 + 10 + 2 * 10 = 80, the same score on a smaller amount.
        wayne = f.deal(s, floor.alice, "Wayne pilot", stage="discover", days_in_stage=1, amount=5_000,
                       external_id="D-WAYNE")
        f.followup(s, wayne, NOW - timedelta(days=10), note="Call the CFO back")
        f.followup(s, wayne, NOW - timedelta(days=1), note="Share the agenda")
        # The biggest deal, with nothing late: 0, so it waits however big it is.
        f.deal(s, floor.alice, "Massive Dynamic", stage="discover", days_in_stage=1, amount=500_000)

    answer = coach.ask(floor.viewer(floor.alice), "which deal should I focus on today?", now=NOW)

    assert answer.intent == "focus"
    assert _ranked(answer) == [("D-GLOBEX", 96), ("D-VANDELAY", 80), ("D-WAYNE", 80)]
    globex, vandelay, wayne = answer.data["deals"]
    assert globex["reasons"] == GLOBEX_REASONS and globex["first_move"] == PRICING_RECAP_FIRST
    assert vandelay["reasons"] == ["1 overdue follow-up, 20 days late"]
    assert vandelay["first_move"] == "Do the follow-up “Send the case study”, 20 days overdue."
    assert wayne["reasons"] == ["2 overdue follow-ups, the oldest 10 days late"]
    assert wayne["first_move"] == "Do the follow-up “Call the CFO back”, 10 days overdue."  # the oldest first
    assert slack(answer).startswith("*Where to start* — the top 3 of your 5 open deals:")
    assert "Why: 1 overdue follow-up, 20 days late." in answer.text
    assert "Massive Dynamic" not in answer.text and "Initech" not in answer.text
    assert json.loads(json.dumps(answer.to_json()))["data"] == answer.data  # what `ask --json` prints


def test_close_dates_and_days_over_the_norm_rank_when_nothing_is_overdue(runtime, floor, coach):
    with runtime.session() as s:
        dana = f.rep(s, "Dana Rep")
        # Close date Nov 15 passed 5 days ago: 40.
        f.deal(s, dana, "Stark upgrade", stage="discover", days_in_stage=3, amount=40_000, external_id="D-STARK",
               close_date=date(2026, 11, 15))
        # Day 45 of 10 in Discover: 35 days over, capped at 30 points; created 50 days ago, no activity: 10. 40 in
        # all, the same as Stark on a smaller amount.
        f.deal(s, dana, "Tyrell sensors", stage="discover", days_in_stage=45, amount=10_000, external_id="D-TYRELL")
        # Closes Nov 27, in 7 days: 20; day 12 of 10 in Discover: 2; created 17 days ago, no activity: 10. 32 in all.
        f.deal(s, dana, "Acme anvils", stage="discover", days_in_stage=12, amount=30_000, external_id="D-ACME",
               close_date=date(2026, 11, 27))
        f.deal(s, dana, "Cyberdyne suite", stage="discover", days_in_stage=1, amount=900_000)  # 0

    answer = coach.ask(floor.viewer(dana), "where do I start?", now=NOW)

    assert _ranked(answer) == [("D-STARK", 40), ("D-TYRELL", 40), ("D-ACME", 32)]
    assert [d["reasons"] for d in answer.data["deals"]] == [
        ["close date Nov 15 passed 5 days ago"],
        ["35 days over the 10 expected in Discover", "no activity recorded in the 50 days since it was created"],
        ["closes Nov 27, in 7 days", "2 days over the 10 expected in Discover",
         "no activity recorded in the 17 days since it was created"],
    ]
    # No follow-up owed: the first move is the plan's first next activity (Discover, nothing confirmed).
    assert {d["first_move"] for d in answer.data["deals"]} == {"Run a discovery call on pain and impact."}
    assert "Cyberdyne" not in answer.text


def test_a_manager_ranks_the_teams_deals_with_owners_and_nothing_of_another_team(runtime, floor, coach):
    with runtime.session() as s:
        f.followup(s, floor.initech, NOW - timedelta(days=30), note="Renewal quote")  # 50 + 2 * 15 = 80, Bob's
        f.followup(s, floor.hooli, NOW - timedelta(days=15), note="Intro deck")  # 50 + 2 * 15 = 80, on 15,000
        f.followup(s, floor.umbrella, NOW - timedelta(days=40), note="West team only")  # Carol's: not the manager's

    answer = coach.ask(floor.viewer(floor.manager), "what should my team focus on today", now=NOW)

    assert _ranked(answer) == [("D-GLOBEX", 96), ("D-INITECH", 80), ("D-HOOLI", 80)]
    assert "*Initech renewal* (Bob Rep) · Discover, 20,000" in slack(answer)
    assert "(Alice Rep)" in answer.text
    assert "Umbrella" not in answer.text and "West team only" not in answer.text


def test_overdue_is_counted_on_the_owners_calendar_day(runtime, floor, coach):
    with runtime.session() as s:
        kiri = f.rep(s, "Kiri Rep", timezone="Pacific/Auckland")  # UTC+13: NOW is Saturday 04:00 there
        deal = f.deal(s, kiri, "Weta workshop", stage="discover", days_in_stage=1, external_id="D-WETA")
        # Friday 10:00 UTC is Friday 23:00 in Auckland: yesterday for Kiri, though still "today" in UTC.
        f.followup(s, deal, NOW.replace(hour=10), note="Send the workshop plan")

    answer = coach.ask(floor.viewer(kiri), "what should i work on today", now=NOW)

    assert answer.data["deals"] == [{
        "external_id": "D-WETA", "name": "Weta workshop", "score": 52,  # 50 + 2 * 1
        "reasons": ["1 overdue follow-up, 1 day late"],
        "first_move": "Do the follow-up “Send the workshop plan”, 1 day overdue.",
    }]
    assert slack(answer).startswith("*Where to start* — your 1 open deal, most pressing first:")


def test_nothing_open_is_said_kindly(runtime, floor, coach):
    with runtime.session() as s:
        newcomer = f.rep(s, "Nina New")

    answer = coach.ask(floor.viewer(newcomer), "what should I work on today?", now=NOW)

    assert answer.intent == "focus" and answer.data == {"deals": []}
    assert answer.text.startswith("Nothing to rank: you have no open deals right now.")
