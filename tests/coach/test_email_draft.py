"""Email drafts through ``Coach.ask``: grounded in the deal's last activity, aimed at one unmet criterion,
a next step on a date in the asker's timezone, no invented names, and refusals that leak nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from bot.coach.intents.email_draft import proposed_day
from storage.access import Viewer
from storage.models import Rep
from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model

GLOBEX_BODY = """Hi Globex Corporation team,

Following up on our last exchange on Saturday, Nov 14.
One thing would help us plan the next step: could you agree on written success criteria?

Would Monday, Nov 23 work for a short call to go through it together?

Best,
Alice Rep"""



def test_the_globex_draft_is_grounded_in_its_last_activity_and_first_unmet_criterion(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "draft a follow-up email for Globex", now=NOW)

    assert answer.intent == "email_draft" and answer.deal.external_id == "D-GLOBEX"
    # Friday Nov 20 + 2 days is Sunday: the next workday is Monday Nov 23.
    assert answer.data == {
        "subject": "Globex platform rollout: next step on Monday, Nov 23", "body": GLOBEX_BODY,
        "criterion_key": "success_criteria_agreed", "criterion_stage": "validate", "proposed_date": "2026-11-23",
    }
    assert ("This email should move *Buyer agreed on written success criteria* — the first exit criterion of "
            "Validate the buyer hasn't confirmed. Last activity: 6 days ago — Ran tech review.") in slack(answer)
    assert "\nSubject: Globex platform rollout: next step on Monday, Nov 23\n\n" + GLOBEX_BODY in answer.text
    # Nothing invented: every capitalised word is the account, a date, the owner or the email's own words.
    assert set(re.findall(r"\b[A-Z][a-z]+", GLOBEX_BODY)) == {
        "Hi", "Globex", "Corporation", "Following", "Saturday", "Nov", "One", "Would", "Monday", "Best", "Alice", "Rep"}
    assert json.loads(json.dumps(answer.to_json()))["data"] == answer.data  # what `ask --json` prints


def test_dates_are_the_askers_calendar_and_the_draft_is_signed_by_the_deals_owner(runtime, floor, coach):
    wednesday_evening = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)  # already Thursday 05:00 in Tokyo
    with runtime.session() as s:
        alice = s.get(Rep, floor.alice.id)
        alice.timezone = "Asia/Tokyo"
        tokyo = Viewer.of(alice)

    mine = coach.ask(tokyo, "write a follow up email to globex", now=wednesday_evening)
    managers = coach.ask(floor.viewer(floor.manager), "write a follow up email to globex", now=wednesday_evening)

    # Tokyo: Thursday + 2 = Saturday, so Monday Nov 23; the tech review (Nov 14 15:00 UTC) was Sunday there.
    assert mine.data["proposed_date"] == "2026-11-23"
    assert "Would Monday, Nov 23 work" in mine.data["body"] and "on Sunday, Nov 15." in mine.data["body"]
    # UTC: Wednesday + 2 = Friday Nov 20; the review was Saturday Nov 14.
    assert managers.data["proposed_date"] == "2026-11-20"
    assert "Would Friday, Nov 20 work" in managers.data["body"] and "on Saturday, Nov 14." in managers.data["body"]
    assert managers.data["body"].endswith("Best,\nAlice Rep")  # the rep writes it, whoever asked for the draft
    assert "tech review" not in mine.data["body"]  # the rep's internal note stays out of the buyer's email


def test_with_the_stage_confirmed_it_aims_at_the_earlier_gap_then_at_the_next_stage(runtime, floor, coach):
    with runtime.session() as s:
        f.check(s, floor.globex, "success_criteria_agreed")  # Validate is now fully confirmed
        for key in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
            f.check(s, floor.hooli, key)  # Discover fully confirmed, and no stage before it
    alice = floor.viewer(floor.alice)

    globex = coach.ask(alice, "draft a follow-up to globex", now=NOW)
    hooli = coach.ask(alice, "draft a follow-up to hooli", now=NOW)

    assert (globex.data["criterion_stage"], globex.data["criterion_key"]) == ("discover", "budget_confirmed")
    assert "everything in Validate is confirmed, but this Discover criterion never was" in globex.text
    assert "could you confirm a budget range?" in globex.data["body"]
    assert hooli.data["criterion_key"] is None
    assert "everything is in place to move on to Validate." in hooli.data["body"]
    assert "Following up on Hooli analytics." in hooli.data["body"]  # no activity logged: none referred to


def test_a_rep_asking_to_email_another_reps_deal_gets_not_found_and_nothing_of_it(floor, coach):
    alice = floor.viewer(floor.alice)
    hidden = coach.ask(alice, "draft a follow-up to Umbrella", now=NOW)
    missing = coach.ask(alice, "draft a follow-up to Ghostbusters", now=NOW)

    assert hidden.intent == missing.intent == "not_found"
    assert hidden.text.replace("Umbrella", "X") == missing.text.replace("Ghostbusters", "X")
    assert hidden.deal is None and hidden.data == {} and "Subject:" not in hidden.text
    for leak in ("Umbrella expansion", "Umbrella Corp", "Carol", "commercial terms"):
        assert leak not in hidden.text


@pytest.mark.parametrize(("day", "proposed"), [
    (16, 18),  # Monday -> Wednesday
    (19, 23),  # Thursday -> Saturday -> Monday
    (21, 23),  # Saturday -> Monday
    (22, 24),  # Sunday -> Tuesday
])
def test_the_proposed_day_is_the_first_workday_two_days_on(day, proposed):
    assert proposed_day(datetime(2026, 11, day, 12, 0, tzinfo=UTC), "UTC").day == proposed
