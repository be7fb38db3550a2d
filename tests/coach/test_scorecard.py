"""Scorecards through ``Coach.ask``: every figure against the hand computation in scorecard_fixtures.py,
whose numbers each answer gives, and refusals that leak nothing."""

from __future__ import annotations

import pytest

from bot.coach.intents.scorecard import REP_REFUSAL
from tests.coach.scorecard_fixtures import SalesFloor, build_sales_floor
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = [pytest.mark.model, pytest.mark.postgres]


@pytest.fixture
def sales(runtime) -> SalesFloor:
    return build_sales_floor(runtime)


def figures(won=(0, 0), lost=0, new=(0, 0), open_=(0, 0), weighted=0, overdue=0, over=0) -> dict:
    """The ``figures`` payload: counts, amounts as floats, and the win rate from won ÷ closed (None: none closed)."""
    closed = won[0] + lost
    return {"won_count": won[0], "won_amount": float(won[1]), "lost_count": lost, "new_count": new[0],
            "new_amount": float(new[1]), "open_count": open_[0], "open_amount": float(open_[1]),
            "weighted_amount": float(weighted), "overdue_followups": overdue, "over_norm": over,
            "closed_count": closed, "win_rate": won[0] / closed if closed else None}


# Alice as of NOW: open 5 = 105,000, weighted 25,000, 2 overdue, 2 over the norm (see the fixture's docstring).
ALICE_NOW = {"open_": (5, 105_000), "weighted": 25_000, "overdue": 2, "over": 2}
ALICE_Q4 = figures(won=(2, 50_000), lost=2, new=(4, 117_000), **ALICE_NOW)
SECRETS = ("Bob", "Carol", "Jordan", "60,000", "500,000", "Vandelay", "Umbrella", "Monarch", "Soylent")



def test_a_rep_gets_their_own_numbers_for_this_quarter_by_default(sales, coach):
    answer = coach.ask(sales.viewer(sales.alice), "how am I doing?", now=NOW)

    assert answer.intent == "scorecard"
    assert answer.data["figures"] == ALICE_Q4
    assert answer.data["whose"] == {"kind": "self", "name": "Alice Adams", "people": 1, "rep_id": sales.alice.id}
    assert answer.data["period"]["label"] == "Q4"
    assert answer.data["period"]["start"] == "2026-10-01T00:00:00+00:00"
    assert answer.data["period"]["end"] == NOW.isoformat()
    assert slack(answer) == "\n".join([
        "*Your numbers — Q4*",
        "• Won: 2 deals, 50,000",
        "• Win rate: 50% (2 won of 4 closed)",
        "• New pipeline: 4 deals, 117,000",
        "• Open pipeline now: 5 deals, 105,000, 25,000 weighted",
        "• Overdue follow-ups: 2",
        "• Deals over their stage's norm: 2",
    ])


def test_a_named_period_changes_the_period_figures_only(sales, coach):
    answer = coach.ask(sales.viewer(sales.alice), "hows my month", now=NOW)
    # November: won Initech 20,000, lost Hooli (1 of 2), new Stark 40,000.
    assert answer.intent == "scorecard" and answer.data["period"]["label"] == "November"
    assert answer.data["figures"] == figures(won=(1, 20_000), lost=1, new=(1, 40_000), **ALICE_NOW)
    assert "• Win rate: 50% (1 won of 2 closed)" in answer.text


def test_a_manager_gets_a_teammates_numbers_in_the_teammates_own_day(sales, coach):
    answer = coach.ask(sales.viewer(sales.maria), "how is Bob doing this month", now=NOW)
    # November: won Vandelay 60,000 (1 of 1); new Tyrell 3,000. Now: 103,000 open, 80,300 weighted,
    # 3 overdue (Nov 20 03:00 UTC is yesterday evening in Los Angeles), Soylent over the norm.
    assert answer.intent == "scorecard"
    assert answer.data["whose"] == {"kind": "rep", "name": "Bob Brown", "people": 1, "rep_id": sales.bob.id}
    assert answer.data["figures"] == figures(won=(1, 60_000), new=(1, 3_000), open_=(2, 103_000), weighted=80_300,
                                             overdue=3, over=1)
    assert slack(answer).startswith("*Bob Brown's numbers — November*\n• Won: 1 deal, 60,000\n• Win rate: 100%")


def test_last_quarter_ends_where_this_one_begins(sales, coach):
    answer = coach.ask(sales.viewer(sales.maria), "how did alice do last quarter", now=NOW)
    # Q3: Oldco won Sep 30 23:00 (99,000, 1 of 1); new Globex, Hooli, Acme, Umbra, Oldco = 149,000.
    # Pied Piper, created Oct 1 00:00, is Q4's.
    assert answer.data["period"]["label"] == "Q3"
    assert answer.data["figures"] == figures(won=(1, 99_000), new=(5, 149_000), **ALICE_NOW)


@pytest.mark.parametrize("question", ["how's the team doing this quarter", "hey how's the team doing this qtr"])
def test_a_manager_gets_the_team_total_and_nothing_of_another_team(sales, coach, question):
    answer = coach.ask(sales.viewer(sales.maria), question, now=NOW)
    # East, Q4: won 50,000 + 60,000; lost 2 + 1 (3 of 6); new 117,000 + 103,000 + 12,000;
    # open 105,000 + 103,000 + 12,000, weighted 25,000 + 80,300 + 1,200; overdue 2 + 3 + 2; over 2 + 1.
    assert answer.intent == "scorecard"
    assert answer.data["whose"] == {"kind": "team", "name": "East", "people": 5, "rep_id": None}
    assert answer.data["figures"] == figures(won=(3, 110_000), lost=3, new=(7, 232_000), open_=(8, 220_000),
                                             weighted=106_500, overdue=7, over=3)
    assert slack(answer).startswith("*Numbers for East — Q4*")
    assert "500,000" not in answer.text and "Carol" not in answer.text


def test_no_deals_closed_is_said_rather_than_a_zero_rate(sales, coach):
    answer = coach.ask(sales.viewer(sales.dana), "how am i doing this quarter?", now=NOW)
    assert answer.data["figures"] == figures()
    assert "• Win rate: no deals closed in Q4" in answer.text and "0%" not in answer.text
    assert "• Won: no deals" in answer.text and "• Overdue follow-ups: none" in answer.text


def test_an_admin_sees_anyone(sales, coach):
    answer = coach.ask(sales.viewer(sales.ada), "how is Carol doing", now=NOW)
    # Q4: Monarch won 500,000; Umbrella 77,000 new and open (61,600 weighted), 1 overdue, over the norm.
    assert answer.data["figures"] == figures(won=(1, 500_000), new=(1, 77_000), open_=(1, 77_000), weighted=61_600,
                                             overdue=1, over=1)


def test_a_rep_asking_about_anyone_else_is_refused_alike_whoever_it_is(sales, coach):
    alice = sales.viewer(sales.alice)
    teammate = coach.ask(alice, "how is Bob doing", now=NOW)
    nobody = coach.ask(alice, "show me Jordan Lee's numbers", now=NOW)
    team = coach.ask(alice, "how's the team doing", now=NOW)
    for answer in (teammate, nobody, team):
        assert answer.intent == "scorecard_denied" and answer.text == REP_REFUSAL and set(answer.data) <= {"refused", "offer"}
        assert not any(ch.isdigit() for ch in answer.text) and not any(s in answer.text for s in SECRETS)


def test_a_manager_asking_outside_the_team_hears_what_a_stranger_would(sales, coach):
    maria = sales.viewer(sales.maria)
    other_team = coach.ask(maria, "how is Carol doing this month", now=NOW)
    nobody = coach.ask(maria, "how is Frank doing this month", now=NOW)
    assert other_team.intent == nobody.intent == "not_found"
    assert other_team.text == "I can't find “Carol” among the people you can see."
    assert other_team.text.replace("Carol", "X") == nobody.text.replace("Frank", "X")
    assert other_team.data == nobody.data and set(nobody.data) <= {"refused", "offer"}
    assert not any(ch.isdigit() for ch in other_team.text) and "Umbrella" not in other_team.text


ALICE_NOVEMBER = figures(won=(1, 20_000), lost=1, new=(1, 40_000), **ALICE_NOW)
BOB_NOVEMBER = figures(won=(1, 60_000), new=(1, 3_000), open_=(2, 103_000), weighted=80_300, overdue=3, over=1)


@pytest.mark.parametrize("question", ["how's alice doing vs bob this month", "alice's numbers vs Bob's this month",
                                      "how is alice tracking compared to bob this month"])
def test_a_manager_compares_two_people_side_by_side(sales, coach, question):
    answer = coach.ask(sales.viewer(sales.maria), question, now=NOW)
    assert answer.intent == "scorecard"
    left, right = answer.data["compare"]
    assert (left["whose"]["name"], right["whose"]["name"]) == ("Alice Adams", "Bob Brown")
    assert (left["figures"], right["figures"]) == (ALICE_NOVEMBER, BOB_NOVEMBER)
    assert slack(answer).startswith("*Alice Adams's numbers — November*")
    assert "\n\n*Bob Brown's numbers — November*\n• Won: 1 deal, 60,000" in slack(answer)


def test_a_comparison_is_refused_or_not_found_as_one_person_would_be(sales, coach):
    rep = coach.ask(sales.viewer(sales.alice), "how am i doing vs bob", now=NOW)
    assert rep.intent == "scorecard_denied" and rep.text == REP_REFUSAL and set(rep.data) <= {"refused", "offer"}
    stranger = coach.ask(sales.viewer(sales.maria), "how's alice doing vs carol", now=NOW)
    assert stranger.intent == "not_found" and stranger.text == "I can't find “carol” among the people you can see."


@pytest.mark.parametrize("question", ["my numbers vs last month", "how am i tracking this month compared to last month",
                                      "hows my month vs the last one"])
def test_a_period_after_vs_puts_this_period_beside_that_one(sales, coach, question):
    answer = coach.ask(sales.viewer(sales.alice), question, now=NOW)
    # October: won Globex 30,000, lost Pied Piper (1 of 2 closed); new Initech, Pied Piper, Wayne = 77,000.
    october = figures(won=(1, 30_000), lost=1, new=(3, 77_000), **ALICE_NOW)
    assert answer.intent == "scorecard"
    this, last = answer.data["compare"]
    assert (this["period"]["label"], last["period"]["label"]) == ("November", "October")
    assert (this["figures"], last["figures"]) == (ALICE_NOVEMBER, october)
    assert this["whose"] == last["whose"] == {"kind": "self", "name": "Alice Adams", "people": 1,
                                              "rep_id": sales.alice.id}
    assert slack(answer).startswith("*Your numbers — November*") and "\n\n*Your numbers — October*" in slack(answer)
    # What is as of now (open pipeline, overdue follow-ups, deals over the norm) is said once, in the first card.
    assert answer.text.count("• Open pipeline now") == answer.text.count("• Overdue follow-ups") == 1
    assert answer.text.split("\n\n")[1].endswith("• New pipeline: 3 deals, 77,000")


def test_a_quarter_is_compared_with_this_quarter_when_no_period_comes_first(sales, coach):
    answer = coach.ask(sales.viewer(sales.maria), "how's alice doing vs last quarter", now=NOW)
    this, last = answer.data["compare"]
    assert (this["period"]["label"], last["period"]["label"]) == ("Q4", "Q3")
    assert this["figures"] == ALICE_Q4 and last["whose"]["name"] == "Alice Adams"
