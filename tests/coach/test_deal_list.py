"""Lists of deals by whose, by stage and by close date, through ``Coach.ask``.

The floor: Alice has Globex (Validate, 90,000) and Hooli (Discover, 15,000); Bob, on her team,
Initech (Discover, 20,000); Carol, on another team, Umbrella (Close). NOW is Friday 2026-11-20.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model



def test_a_rep_lists_their_deals_in_one_stage(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "what deals r in validate", now=NOW)

    assert answer.intent == "deal_list" and answer.data["deals"] == ["D-GLOBEX"] and answer.data["stage"] == "validate"
    assert "open deals in Validate* (1)" in slack(answer) and "Hooli" not in answer.text


def test_a_manager_lists_the_teams_deals_with_their_owners_but_not_another_teams(floor, coach):
    answer = coach.ask(floor.viewer(floor.manager), "which deals are in discovery", now=NOW)

    assert answer.data["deals"] == ["D-INITECH", "D-HOOLI"]  # biggest first
    assert "Initech renewal* — Discover, 20,000, Bob Rep" in slack(answer)
    everything = coach.ask(floor.viewer(floor.manager), "list all the team's open deals", now=NOW)
    assert set(everything.data["deals"]) == {"D-GLOBEX", "D-INITECH", "D-HOOLI"}  # no Umbrella


def test_a_manager_asking_for_their_own_gets_their_own(floor, coach):
    answer = coach.ask(floor.viewer(floor.manager), "show me my deals", now=NOW)

    assert answer.data["deals"] == [] and answer.text == "No open deals in your name right now."


def test_deals_closing_this_month_or_next(runtime, floor, coach):
    with runtime.session() as s:
        f.deal(s, floor.alice, "Wayne Foods pilot", close_date=date(2026, 11, 30), external_id="D-WAYNE")
        f.deal(s, floor.alice, "Stark supply deal", close_date=date(2026, 12, 1), external_id="D-STARK")
        f.deal(s, floor.alice, "Old close date", close_date=date(2026, 10, 31), external_id="D-OLD")

    this_month = coach.ask(floor.viewer(floor.alice), "my deals closing this month", now=NOW)
    assert this_month.data["deals"] == ["D-WAYNE"] and this_month.data["closing"] == ["2026-11-01", "2026-11-30"]
    next_month = coach.ask(floor.viewer(floor.alice), "which of my deals close next month", now=NOW)
    assert next_month.data["deals"] == ["D-STARK"] and "closing next month" in next_month.text
    this_week = coach.ask(floor.viewer(floor.alice), "deals closing this week?", now=NOW)
    assert this_week.data["closing"] == ["2026-11-16", "2026-11-22"] and this_week.data["deals"] == []
