"""Scorecard figures straight from storage: each owner's, hand-computed (tests/coach/scorecard_fixtures.py),
and access held by the queries themselves, whatever owners the caller asks for."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.digest.rows import stuck_cutoffs
from storage import scorecard as store
from storage.access import Viewer
from storage.scorecard import Figures
from tests.coach.scorecard_fixtures import SalesFloor, at, build_sales_floor
from tests.utils.factories import NOW

pytestmark = pytest.mark.postgres


@pytest.fixture
def sales(runtime) -> SalesFloor:
    return build_sales_floor(runtime)

Q4 = (at(10, 1, 0), NOW)
TODAY_STARTS = {"UTC": at(11, 20, 0), "America/Los_Angeles": at(11, 20, 8)}  # 07:00 in LA at NOW: today began 08:00 UTC

ALICE_Q4 = Figures(won_count=2, won_amount=Decimal("50000.00"), lost_count=2, new_count=4,
                   new_amount=Decimal("117000.00"), open_count=5, open_amount=Decimal("105000.00"),
                   weighted_amount=Decimal("25000.00"), overdue_followups=2, over_norm=2)
BOB_Q4 = Figures(won_count=1, won_amount=Decimal("60000.00"), lost_count=0, new_count=2,
                 new_amount=Decimal("103000.00"), open_count=2, open_amount=Decimal("103000.00"),
                 weighted_amount=Decimal("80300.00"), overdue_followups=3, over_norm=1)
EVAN_Q4 = Figures(lost_count=1, new_count=1, new_amount=Decimal("12000.00"), open_count=1,
                  open_amount=Decimal("12000.00"), weighted_amount=Decimal("1200.00"), overdue_followups=2)
CAROL_Q4 = Figures(won_count=1, won_amount=Decimal("500000.00"), new_count=1, new_amount=Decimal("77000.00"),
                   open_count=1, open_amount=Decimal("77000.00"), weighted_amount=Decimal("61600.00"),
                   overdue_followups=1, over_norm=1)


def _figures(runtime, viewer: Viewer, *, owner_ids=None, period=Q4, today_starts=TODAY_STARTS) -> dict[int, Figures]:
    process = runtime.process
    with runtime.session() as s:
        return store.figures_by_owner(
            session=s, viewer=viewer, start=period[0], end=period[1], owner_ids=owner_ids, today_starts=today_starts,
            stuck_entered_by=stuck_cutoffs(process, NOW),
            probabilities={st.key: st.probability for st in process.stages if st.probability is not None})


def test_each_owners_figures_for_the_quarter_and_now(runtime, sales):
    figures = _figures(runtime, sales.viewer(sales.maria))
    # Dana owns nothing and Maria nothing: no rows. Carol is on another team: never read.
    assert figures == {sales.alice.id: ALICE_Q4, sales.bob.id: BOB_Q4, sales.evan.id: EVAN_Q4}
    assert ALICE_Q4.win_rate == 0.5 and BOB_Q4.win_rate == 1.0 and EVAN_Q4.win_rate == 0.0


def test_another_month_changes_only_the_period_figures(runtime, sales):
    november = _figures(runtime, sales.viewer(sales.alice), period=(at(11, 1, 0), NOW))
    # Won Initech 20,000; lost Hooli; new Stark 40,000; the open pipeline and the rest are as of now.
    assert november == {sales.alice.id: Figures(
        won_count=1, won_amount=Decimal("20000.00"), lost_count=1, new_count=1, new_amount=Decimal("40000.00"),
        open_count=5, open_amount=Decimal("105000.00"), weighted_amount=Decimal("25000.00"),
        overdue_followups=2, over_norm=2)}


def test_a_follow_up_is_overdue_by_its_owners_own_day(runtime, sales):
    # Read as if Bob lived in UTC, Nov 20 03:00 UTC would be today's, not overdue: 2 instead of 3.
    as_utc = _figures(runtime, sales.viewer(sales.bob), today_starts={**TODAY_STARTS, "America/Los_Angeles": at(11, 20, 0)})
    assert as_utc[sales.bob.id].overdue_followups == 2
    assert _figures(runtime, sales.viewer(sales.bob))[sales.bob.id].overdue_followups == 3


def test_access_is_held_by_the_query_whatever_owners_are_asked_for(runtime, sales):
    # A manager asking for another team's rep, and a rep for a teammate, read nothing at all.
    assert _figures(runtime, sales.viewer(sales.maria), owner_ids=[sales.carol.id]) == {}
    assert _figures(runtime, sales.viewer(sales.alice), owner_ids=[sales.bob.id, sales.carol.id]) == {}
    assert _figures(runtime, sales.viewer(sales.alice)) == {sales.alice.id: ALICE_Q4}
    # The admin sees everyone.
    assert _figures(runtime, sales.viewer(sales.ada), owner_ids=[sales.carol.id]) == {sales.carol.id: CAROL_Q4}


def test_a_groups_figures_are_summed_and_its_win_rate_comes_from_the_sums():
    team = store.total([ALICE_Q4, BOB_Q4, EVAN_Q4])
    assert (team.won_count, team.won_amount, team.closed_count) == (3, Decimal("110000.00"), 6)
    assert team.win_rate == 0.5  # 3 of 6, not the mean of 50%, 100% and 0%
    assert (team.new_count, team.new_amount) == (7, Decimal("232000.00"))
    assert (team.open_count, team.open_amount, team.weighted_amount) == (8, Decimal("220000.00"), Decimal("106500.00"))
    assert (team.overdue_followups, team.over_norm) == (7, 3)
    assert store.total([]).win_rate is None and store.total([]).to_json()["win_rate"] is None
