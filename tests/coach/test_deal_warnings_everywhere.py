"""Deal warnings reach the attention list, focus, the digest and App Home through one function, in words.

By hand, as of NOW (Fri 2026-11-20 15:00 UTC), Rita's team (Hawks; everyone in UTC):
- The team's pace in Validate: Ron's five deals stayed there 10, 12, 14, 16 and 18 days (all left for lost in the
  last 180 days); the 75th percentile (nearest rank: the 4th of 5) is 16 days, on 5 stays (the minimum).
- "Stalled Co": 20 days in Validate (not over the map's 20), activity yesterday, every Discover criterion met:
  stalled only — 20 > 16.
- "Pushed Co": Discover, close date history Dec 01 → Dec 15 (later) → Dec 10 (earlier) → Dec 30 (later): pushed
  2 times; activity yesterday.
- "Quiet Co": Discover, its only activity Oct 31 15:00: 20 days quiet.
- "Fine Co": Discover, activity yesterday, no close date: no warning.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.digest.compute import build
from bot.digest.types import REP, Due, Recipient
from bot.service.home import home
from storage.access import Viewer
from storage.models import DealPropertyChange, DealStatus
from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model

STALLED = "20 days in Validate; the team's deals usually leave it within 16 (75th percentile of 5 stays)"
PUSHED = "close date pushed later 2 times"
QUIET = "no activity for 20 days"


@pytest.fixture
def hawks(runtime):
    with runtime.session() as s:
        team = f.team(s, "Hawks")
        rita = f.rep(s, "Rita Hawk", team=team, timezone="UTC", slack_user_id="URITA")
        ron = f.rep(s, "Ron Hawk", team=team, timezone="UTC")
        for i, days in enumerate((10, 12, 14, 16, 18)):
            left = NOW - timedelta(days=30 + i)
            paced = f.deal(s, ron, f"Paced {i}", stage="lost", status=DealStatus.lost, days_in_stage=30 + i)
            f.move(s, paced, None, "validate", left - timedelta(days=days))
            f.move(s, paced, "validate", "lost", left)
        stalled = f.deal(s, rita, "Stalled Co", stage="validate", days_in_stage=20, amount=40_000)
        for criterion in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
            f.check(s, stalled, criterion, stage="discover", at=NOW - timedelta(days=21))
        pushed = f.deal(s, rita, "Pushed Co", days_in_stage=2, amount=30_000, close_date=datetime(2026, 12, 30).date())
        for day, value in ((1, "2026-12-01T00:00:00Z"), (5, "2026-12-15T00:00:00Z"), (10, "2026-12-10T00:00:00Z"),
                           (15, "2026-12-30T00:00:00Z")):
            s.add(DealPropertyChange(deal_id=pushed.id, property="close_date", value=value,
                                     changed_at=datetime(2026, 11, day, 12, tzinfo=NOW.tzinfo)))
        quiet = f.deal(s, rita, "Quiet Co", days_in_stage=3, amount=20_000)
        fine = f.deal(s, rita, "Fine Co", days_in_stage=1, amount=10_000)
        for deal in (stalled, pushed, fine):
            f.activity(s, deal, NOW - timedelta(days=1))
        f.activity(s, quiet, NOW - timedelta(days=20))
        f.followup(s, fine, NOW - timedelta(days=2), note="Send the deck")  # so the digest has something due
        return Viewer.of(rita)


def test_app_home_shows_each_deals_warnings_in_words(runtime, hawks):
    rows = {row.plan.deal.name: row.warning.words() if row.warning else [] for row in home(runtime, hawks, NOW).deals}
    assert rows == {"Stalled Co": [STALLED], "Pushed Co": [PUSHED], "Quiet Co": [QUIET], "Fine Co": []}


def test_the_attention_list_and_focus_give_the_same_reasons(hawks, coach):
    attention = slack(coach.ask(hawks, "what needs my attention", now=NOW))
    # Fine's follow-up 2 days late 102; stalled 20, pushed 30, quiet 15 (bot/coach/intents/attention.py).
    assert attention.splitlines()[1:] == ["• *Fine Co*: 1 overdue follow-up, 2 days late", f"• *Pushed Co*: {PUSHED}", f"• *Stalled Co*: {STALLED}",
                                          f"• *Quiet Co*: {QUIET}"]
    focus = coach.ask(hawks, "what should I work on today?", now=NOW)
    # Fine Co's follow-up 2 days late: 50 + 2*2 = 54; stalled 15, pushed 15, quiet 10.
    assert [(row["name"], row["score"], row["reasons"]) for row in focus.data["deals"]] == [
        ("Fine Co", 54, ["1 overdue follow-up, 2 days late"]), ("Stalled Co", 15, [STALLED]),
        ("Pushed Co", 15, [PUSHED])]


def test_the_digest_lists_the_warnings_beside_what_is_due(runtime, hawks):
    due = Due(Recipient(hawks.rep_id, hawks.name, hawks.email, "URITA", "UTC", hawks.role, hawks.team_id), REP,
              NOW.date(), NOW)
    with runtime.session() as s:
        digest, = build(session=s, process=runtime.process, dues=[due])
    assert [(w.deal.name, list(w.reasons)) for w in digest.warnings] == [
        ("Stalled Co", [STALLED]), ("Pushed Co", [PUSHED]), ("Quiet Co", [QUIET])]
    assert [i.deal.name for i in digest.overdue] == ["Fine Co"]
