"""App Home's data: the coach's own plans, read in a constant number of queries however many deals."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from bot.core.plan import build_plan
from bot.service.home import home
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import Role
from storage.timeutil import zone
from tests.utils import factories as f
from tests.utils.factories import NOW


@contextmanager
def counted_queries(engine):
    """Every statement the engine runs inside the block, in order."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _book(runtime, name: str, deals: int) -> Viewer:
    """A rep with ``deals`` open deals, each with checks, two open follow-ups, a done one and two activities."""
    with runtime.session() as s:
        rep = f.rep(s, name, timezone="America/New_York")
        for i in range(deals):
            deal = f.deal(s, rep, f"{name} deal {i}", stage="validate", days_in_stage=i % 40, amount=1_000 + i)
            f.check(s, deal, "pain_confirmed", stage="discover")
            f.check(s, deal, "technical_fit_confirmed", met=False, at=NOW - timedelta(days=2))
            if i % 2:
                f.check(s, deal, "technical_fit_confirmed", at=NOW - timedelta(days=1))
            f.followup(s, deal, NOW + timedelta(days=i % 5 - 2), note=f"call {i}")
            f.followup(s, deal, NOW + timedelta(days=9), note="later")
            f.followup(s, deal, NOW - timedelta(days=9), note="done", done=NOW - timedelta(days=8))
            f.activity(s, deal, NOW - timedelta(days=3), note="older")
            f.activity(s, deal, NOW - timedelta(days=1), note=f"newest {i}")
        return Viewer.of(rep)


def test_app_home_runs_the_same_number_of_queries_for_2_and_200_deals(runtime):
    small, big = _book(runtime, "Sam Small", 2), _book(runtime, "Bea Big", 200)
    runtime.process  # noqa: B018  (the active map is read once per process, not per Home)
    with counted_queries(runtime.engine) as few:
        small_home = home(runtime, small, NOW)
    with counted_queries(runtime.engine) as many:
        big_home = home(runtime, big, NOW)
    assert len(small_home.deals) == 2 and len(big_home.deals) == 200
    assert len(many) == len(few), (len(few), len(many))
    assert len(many) <= 6, many  # 4 per deal before: 802 for 200 deals


def test_each_home_row_is_the_plan_the_coach_gives_of_that_deal(runtime):
    viewer = _book(runtime, "Pat Plans", 12)
    shown = home(runtime, viewer, NOW)
    with runtime.session() as s:
        deals = deal_store.open_deals_for(session=s, viewer=viewer)
        expected = [build_plan(deal_store.deal_state(session=s, deal=d), runtime.process, NOW) for d in deals]
        soonest = [deal_store.deal_state(session=s, deal=d).open_followups[0] for d in deals]
    assert [row.plan for row in shown.deals] == expected  # biggest first, checks, follow-ups and last activity alike
    assert [row.next_followup.note for row in shown.deals] == [s.note for s in soonest]
    assert {row.plan.last_activity_note for row in shown.deals} == {f"newest {i}" for i in range(12)}
    assert shown.today == NOW.astimezone(zone("America/New_York")).date()
    assert shown.team is None


def test_a_manager_sees_the_team_summary_and_only_their_own_deals_as_rows(runtime, floor):
    shown = home(runtime, Viewer.of(floor.manager), NOW)
    assert shown.deals == []  # the manager owns no deal
    team = shown.team
    assert team.open_deals == 3 and team.amount == 90_000 + 20_000 + 15_000  # East only: not Carol's Umbrella
    by_name = {rep.name: rep for rep in team.reps}
    assert list(by_name) == ["Alice Rep", "Bob Rep", "Maria Manager"]
    assert (by_name["Alice Rep"].open_deals, by_name["Alice Rep"].stuck, by_name["Alice Rep"].overdue_followups) == (2, 1, 1)
    assert by_name["Maria Manager"].open_deals == 0


def test_a_rep_sees_no_team_summary_and_never_another_reps_deal(runtime, floor):
    shown = home(runtime, Viewer.of(floor.alice), NOW)
    assert shown.team is None
    assert [row.plan.deal.name for row in shown.deals] == ["Globex platform rollout", "Hooli analytics"]
    with runtime.session() as s:
        f.deal(s, f.rep(s, "Other Rep", role=Role.rep), "Not Alice's")
    assert len(home(runtime, Viewer.of(floor.alice), NOW).deals) == 2
