"""Diagnosis through ``Coach.ask``: the deal's figures against the map, the verdict by its rules, one move.

Verdict rules (bot/coach/intents/diagnosis.py): *stuck* = over the stage's norm and quiet for 14+ days,
or over by the whole norm again; *at risk* = over the norm, an overdue follow-up, close date passed,
quiet, or earlier-stage criteria never confirmed; else *on track*. NOW is Friday 2026-11-20 15:00 UTC.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model



def test_globex_is_at_risk_with_every_figure_from_the_fixture(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "why is Globex stuck?", now=NOW)

    assert answer.intent == "diagnosis" and answer.deal.external_id == "D-GLOBEX"
    assert answer.data == {
        "days_in_stage": 25, "expected_days": 20, "days_over": 5,  # Validate expects 20
        "unmet": ["success_criteria_agreed"],  # technical_fit_confirmed is met
        "unconfirmed_earlier": ["discover.budget_confirmed"],  # pain and decision maker were checked
        "last_activity_days": 6, "close_date": None, "close_date_passed": False, "overdue_followups": 1,
        "verdict": "at risk",  # over the norm, but the tech review 6 days ago is not 14 days of quiet
        "reasons": ["5 days over the norm", "1 overdue follow-up", "earlier-stage criteria never confirmed"],
        "next_move": "Do the follow-up “Send the pricing recap”, 3 days overdue.",
    }
    text = slack(answer)  # as Slack shows it: strong words in bold
    assert "day 25 of 20 expected, *5 days over*" in text
    assert "The buyer hasn't confirmed (1 of 2): Buyer agreed on written success criteria." in text
    assert "Last activity: 6 days ago — Ran tech review." in text
    assert "1 criterion of Discover never confirmed — Buyer confirmed a budget range." in text
    assert "*Verdict: at risk*" in text
    assert text.endswith("*Most useful next move:* Do the follow-up “Send the pricing recap”, 3 days overdue.")
    assert [c.section for c in answer.citations] == ["Stage: Validate", "Stage: Discover"]
    assert json.loads(json.dumps(answer.to_json()))["data"] == answer.data  # what `ask --json` prints


def test_over_the_norm_and_quiet_with_a_passed_close_date_is_stuck(runtime, floor, coach):
    with runtime.session() as s:
        soylent = f.deal(s, floor.alice, "Soylent catering", stage="validate", days_in_stage=30, amount=12_000,
                         close_date=date(2026, 11, 1), external_id="D-SOYLENT")
        for key in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
            f.check(s, soylent, key, stage="discover")
        f.activity(s, soylent, NOW - timedelta(days=20), key="success_plan", note="Sent a success plan draft")

    answer = coach.ask(floor.viewer(floor.alice), "what's blocking soylent", now=NOW)

    data = answer.data
    assert (data["days_in_stage"], data["days_over"], data["last_activity_days"]) == (30, 10, 20)
    assert data["close_date"] == "2026-11-01" and data["close_date_passed"] is True
    assert data["unmet"] == ["success_criteria_agreed", "technical_fit_confirmed"]
    assert data["unconfirmed_earlier"] == []
    assert data["verdict"] == "stuck"  # 10 days over and 20 days without activity
    assert data["reasons"] == ["10 days over the norm", "close date passed", "no activity in 20 days"]
    # Nothing owed and no earlier gap: the plan's first next activity, for the first unmet criterion.
    assert data["next_move"] == "Draft success criteria with the champion."
    assert "Close date Nov 1 passed 19 days ago." in answer.text


def test_over_by_a_whole_norm_again_is_stuck_even_with_recent_activity(runtime, floor, coach):
    with runtime.session() as s:
        deal = f.deal(s, floor.alice, "Initrode licences", stage="discover", days_in_stage=20, external_id="D-INITRODE")
        f.activity(s, deal, NOW - timedelta(days=1), note="Left a voicemail")

    answer = coach.ask(floor.viewer(floor.alice), "is initrode at risk?", now=NOW)

    assert answer.data["days_over"] == 10 and answer.data["expected_days"] == 10  # day 20 of 10
    assert answer.data["last_activity_days"] == 1 and answer.data["verdict"] == "stuck"


def test_a_deal_never_worked_is_quiet_since_it_was_created(runtime, floor, coach):
    with runtime.session() as s:
        f.deal(s, floor.alice, "Initrode licences", stage="discover", days_in_stage=20, external_id="D-INITRODE")

    answer = coach.ask(floor.viewer(floor.alice), "why is initrode stuck", now=NOW)

    # Created 25 days ago (5 days before it entered Discover), nothing ever logged: quiet for all 25.
    assert answer.data["last_activity_days"] is None and answer.data["verdict"] == "stuck"
    assert answer.data["reasons"] == ["10 days over the norm", "no activity logged since it was created, 25 days ago"]
    assert "Last activity: none logged yet." in answer.text


def test_a_fresh_deal_with_nothing_late_is_on_track(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "is hooli at risk", now=NOW)

    data = answer.data
    # Day 1 of 10 in Discover, the first stage; no activity logged, but created 6 days ago: not 14 days quiet.
    assert (data["days_in_stage"], data["days_over"], data["last_activity_days"]) == (1, 0, None)
    assert data["unmet"] == ["pain_confirmed", "budget_confirmed", "decision_maker_named"]
    assert data["verdict"] == "on track" and data["reasons"] == []
    assert data["next_move"] == "Run a discovery call on pain and impact."
    assert "Last activity: none logged yet." in answer.text
    assert "*Verdict: on track*" in slack(answer)


def test_a_rep_asking_about_another_reps_deal_gets_not_found_and_nothing_of_it(floor, coach):
    alice = floor.viewer(floor.alice)
    hidden = coach.ask(alice, "what's blocking Umbrella?", now=NOW)
    missing = coach.ask(alice, "what's blocking Ghostbusters?", now=NOW)

    assert hidden.intent == missing.intent == "not_found"
    assert hidden.text.replace("Umbrella", "X") == missing.text.replace("Ghostbusters", "X")
    assert hidden.deal is None and hidden.plan is None and not hidden.citations and hidden.data == {}
    for leak in ("Umbrella expansion", "Umbrella Corp", "Close", "commercial terms", "Carol"):
        assert leak not in hidden.text
