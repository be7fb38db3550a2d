"""Team rankings through ``Coach.ask``: the order by each metric, hand-computed from scorecard_fixtures.py.

East as Maria sees it (she owns nothing, so only her reps are ranked), as of NOW and for Q4:
    Alice  2 overdue, 105,000 open in 5, 2 over the norm, won 50,000 (2), win rate 2 of 4
    Bob    3 overdue, 103,000 open in 2, 1 over the norm, won 60,000 (1), win rate 1 of 1
    Dana   nothing at all (no deals closed)
    Evan   2 overdue,  12,000 open in 1, 0 over the norm, won nothing,    win rate 0 of 1
Carol (West): 1 overdue, 77,000 open, won 500,000 — only the admin sees her.
"""

from __future__ import annotations

import pytest

from bot.coach.intents.team_ranking import REFUSAL
from tests.coach.scorecard_fixtures import SalesFloor, build_sales_floor
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = [pytest.mark.model, pytest.mark.postgres]


@pytest.fixture
def sales(runtime) -> SalesFloor:
    return build_sales_floor(runtime)



def _ranked(answer) -> list[tuple[str, float | None]]:
    return [(row["name"].split()[0], row["value"]) for row in answer.data["ranking"]]


def _ask(coach, sales, question: str, who=None):
    answer = coach.ask(sales.viewer(who or sales.maria), question, now=NOW)
    assert answer.intent == "team_ranking", answer.text
    return answer


def test_most_overdue_follow_ups_first_and_a_tie_goes_by_name(sales, coach):
    answer = _ask(coach, sales, "who on my team has the most overdue follow-ups")
    # Bob 3; Alice and Evan 2 each (by name); Dana 0. Maria, a manager with no deals, is not ranked.
    assert _ranked(answer) == [("Bob", 3), ("Alice", 2), ("Evan", 2), ("Dana", 0)]
    assert answer.data["metric"] == "overdue_followups" and answer.data["period"] is None
    assert slack(answer) == "\n".join([
        "*Overdue follow-ups — East*, highest first:",
        "1. Bob Brown — 3 overdue follow-ups",
        "2. Alice Adams — 2 overdue follow-ups",
        "3. Evan Evans — 2 overdue follow-ups",
        "4. Dana Diaz — 0 overdue follow-ups",
    ])
    assert _ranked(_ask(coach, sales, "who's got the most overdue fus")) == _ranked(answer)


def test_biggest_and_smallest_pipeline(sales, coach):
    biggest = _ask(coach, sales, "who has the biggest pipeline")
    assert _ranked(biggest) == [("Alice", 105_000), ("Bob", 103_000), ("Evan", 12_000), ("Dana", 0)]
    assert "1. Alice Adams — 105,000 in 5 open deals" in biggest.text
    smallest = _ask(coach, sales, "who has the smallest pipeline")
    assert _ranked(smallest) == [("Dana", 0), ("Evan", 12_000), ("Bob", 103_000), ("Alice", 105_000)]
    assert slack(smallest).startswith("*Open pipeline — East*, lowest first:")


def test_most_deals_over_the_norm(sales, coach):
    answer = _ask(coach, sales, "which rep has the most stuck deals")
    # Alice: Wayne and Acme; Bob: Soylent; Dana and Evan none (by name).
    assert _ranked(answer) == [("Alice", 2), ("Bob", 1), ("Dana", 0), ("Evan", 0)]


def test_won_and_win_rate_for_the_period(sales, coach):
    won = _ask(coach, sales, "who won the most this quarter")
    assert won.data["period"]["label"] == "Q4"
    assert _ranked(won) == [("Bob", 60_000), ("Alice", 50_000), ("Dana", 0), ("Evan", 0)]
    rate = _ask(coach, sales, "who has the best win rate this quarter")
    # Bob 1/1, Alice 2/4, Evan 0/1; Dana closed nothing, so she has no rate and comes last.
    assert _ranked(rate) == [("Bob", 1.0), ("Alice", 0.5), ("Evan", 0.0), ("Dana", None)]
    assert "2. Alice Adams — 50% (2 won of 4 closed)" in rate.text and "4. Dana Diaz — no deals closed" in rate.text


def test_no_metric_named_ranks_by_overdue_and_says_what_else_can_be_asked(sales, coach):
    answer = _ask(coach, sales, "rank my team")
    assert answer.data["metric"] == "overdue_followups" and answer.data["metric_named"] is False
    assert _ranked(answer) == [("Bob", 3), ("Alice", 2), ("Evan", 2), ("Dana", 0)]
    assert answer.text.endswith("I ranked by overdue follow-ups; you can also rank by win rate, "
                                "deals over their stage's norm, open pipeline or won amount.")


def test_a_manager_never_sees_another_team_and_an_admin_sees_everyone(sales, coach):
    # November: Bob won Vandelay 60,000, Alice Initech 20,000; Carol's Monarch (500,000, Nov 2) is West's.
    team = _ask(coach, sales, "who closed the most deals this month")
    assert team.data["period"]["label"] == "November"
    assert _ranked(team) == [("Bob", 60_000), ("Alice", 20_000), ("Dana", 0), ("Evan", 0)]
    assert "Carol" not in team.text and "500,000" not in team.text
    # October: only Alice's Globex (30,000, Oct 15).
    october = _ask(coach, sales, "who closed the most deals in october")
    assert _ranked(october) == [("Alice", 30_000), ("Bob", 0), ("Dana", 0), ("Evan", 0)]
    everyone = _ask(coach, sales, "who on my team has the most overdue follow-ups", who=sales.ada)
    assert _ranked(everyone) == [("Bob", 3), ("Alice", 2), ("Evan", 2), ("Carol", 1), ("Dana", 0)]
    assert slack(everyone).startswith("*Overdue follow-ups — everyone*")


def test_a_rep_asking_for_a_ranking_is_kindly_refused(sales, coach):
    answer = coach.ask(sales.viewer(sales.alice), "who on my team has the most overdue follow-ups", now=NOW)
    assert answer.intent == "team_ranking_denied" and answer.text == REFUSAL and set(answer.data) <= {"refused", "offer"}
    assert "Bob" not in answer.text and not any(ch.isdigit() for ch in answer.text)


def test_no_metric_named_but_a_period_ranks_by_what_was_won_in_it(sales, coach):
    answer = _ask(coach, sales, "rank my team for this month")
    assert answer.data["metric"] == "won_amount" and answer.data["period"]["label"] == "November"
    assert "I ranked by won amount; you can also rank by win rate, overdue follow-ups" in answer.text
