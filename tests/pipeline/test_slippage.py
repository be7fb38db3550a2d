"""The ``slippage`` report against figures computed by hand.

Now: Nov 20 2026 15:00 UTC; this quarter Q4 (Oct 1 – Dec 31), company timezone UTC. Close-date changes:

    deal  owner  amount  changes (made at)                                        pushes, days   out of Q4?
    S1    Alice  10,000  Dec 15 (Oct 1, first value) → Jan 10 (Nov 1) → Feb 1 (Nov 10)   2, 26+22=48   yes
    S2    Alice   5,000  Nov 10 → Dec 20 (Oct 5) → Dec 31 (Nov 2)                  2, 40+11=51   no (stays in Q4)
    S3    Bob    20,000  Dec 31 → Jan 1 (Nov 15, old value given)                 1, 1          yes (across the edge)
    S4    Bob     8,000  Sep 30 → Oct 15 (Sep 20)                                 1, 15         no (out of Q3)
    S5    Carol   7,000  Dec 1 → Mar 1 (Oct 20)                                   1, 90         yes (West)
    S6    Alice   3,000  Aug 1 → Mar 15 2027 (Jul 20)                             1, 226        no (out of Q3, over Q4)
    S7    Alice   4,000  Dec 10 → Jan 5 (Nov 3) → Dec 28 (Nov 12), won            1, 26         yes (then pulled back)
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.pipeline.periods import PeriodSpec
from bot.pipeline.reports import build_report
from bot.pipeline.scope import resolve_scope
from storage.access import Viewer
from storage.models import DealPropertyChange, DealStatus, Role
from tests.utils import factories as f

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
THIS_QUARTER = PeriodSpec("relative", unit="quarter", offset=0)
LAST_QUARTER = PeriodSpec("relative", unit="quarter", offset=-1)


def at(month: int, day: int, year: int = 2026, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def dates(session, deal, *changes) -> None:
    """Close-date changes (at, new, old): old None means the previous one."""
    for when, new, old in changes:
        session.add(DealPropertyChange(deal_id=deal.id, property="close_date", value=new, old_value=old,
                                       changed_at=when, source="test"))
    session.flush()


@pytest.fixture
def slips(runtime):
    runtime.process  # noqa: B018  (activate the small map)
    with runtime.session() as s:
        east, west = f.team(s, "East"), f.team(s, "West")
        people = {"maria": f.rep(s, "Maria Manager", team=east, role=Role.manager),
                  "alice": f.rep(s, "Alice Rep", team=east), "bob": f.rep(s, "Bob Rep", team=east),
                  "carol": f.rep(s, "Carol Rep", team=west), "ada": f.rep(s, "Ada Admin", role=Role.admin)}
        deal = {name: f.deal(s, people[owner], f"Deal {name}", amount=amount, now=NOW)
                for name, owner, amount in (("S1", "alice", 10_000), ("S2", "alice", 5_000), ("S3", "bob", 20_000),
                                            ("S4", "bob", 8_000), ("S5", "carol", 7_000), ("S6", "alice", 3_000),
                                            ("S7", "alice", 4_000))}
        dates(s, deal["S1"], (at(10, 1), "2026-12-15", None), (at(11, 1), "2027-01-10T00:00:00Z", None),
              (at(11, 10), "2027-02-01", None))
        dates(s, deal["S2"], (at(10, 5), "2026-12-20", "2026-11-10"), (at(11, 2), "2026-12-31", None))
        dates(s, deal["S3"], (at(11, 15), "2027-01-01", "2026-12-31"))
        dates(s, deal["S4"], (at(9, 20), "2026-10-15", "2026-09-30"))
        dates(s, deal["S5"], (at(10, 20), "2027-03-01", "2026-12-01"))
        dates(s, deal["S6"], (at(7, 20), "2027-03-15", "2026-08-01"))
        dates(s, deal["S7"], (at(11, 3), "2027-01-05", "2026-12-10"), (at(11, 12), "2026-12-28", None))
        deal["S7"].status, deal["S7"].closed_at = DealStatus.won, at(11, 14)
        return {name: Viewer.of(person) for name, person in people.items()}


def report(runtime, viewer, period=THIS_QUARTER, now=NOW, **scope_args):
    with runtime.session() as s:
        scope = resolve_scope(session=s, viewer=viewer, company_timezone=runtime.settings.timezone, **scope_args)
        return build_report("slippage", session=s, viewer=viewer, process=runtime.process, scope=scope,
                            period=period.resolve(now, scope.timezone), now=now)


def deals(result) -> dict[str, tuple]:
    return {r["deal"]: (r["from"], r["to"], r["pushes"], r["days"]) for r in result.rows}


def test_a_managers_team_deals_pushed_out_of_this_quarter(runtime, slips):
    result = report(runtime, slips["maria"])
    assert deals(result) == {"Deal S3": ("2026-12-31", "2027-01-01", 1, 1),
                             "Deal S1": ("2026-12-15", "2027-02-01", 2, 48),
                             "Deal S7": ("2026-12-10", "2026-12-28", 1, 26)}
    assert [r["deal"] for r in result.rows] == ["Deal S3", "Deal S1", "Deal S7"]  # largest first
    assert result.details["amount"] == 34_000
    assert [(t["name"], t["deals"], t["amount"], t["pushes"], t["days"]) for t in result.details["by_rep"]] == [
        ("Bob Rep", 1, 20_000, 1, 1), ("Alice Rep", 2, 14_000, 3, 74)]
    assert result.lines[0] == "3 deals slipped out of Q4, 34,000; 4 pushes in all"
    assert "Deal S1 (Alice Rep): Dec 15, 2026 → Feb 1, 2027, pushed 2 times, 48 days in all" in result.lines


def test_a_rep_sees_their_own_and_an_admin_every_team(runtime, slips):
    assert set(deals(report(runtime, slips["alice"]))) == {"Deal S1", "Deal S7"}
    everyone = report(runtime, slips["ada"])
    assert set(deals(everyone)) == {"Deal S1", "Deal S3", "Deal S5", "Deal S7"}
    assert [(t["name"], t["deals"], t["amount"]) for t in everyone.details["by_team"]] == [
        ("East", 3, 34_000), ("West", 1, 7_000)]


def test_last_quarter_counts_the_deals_pushed_out_of_it_even_over_the_next(runtime, slips):
    assert deals(report(runtime, slips["ada"], period=LAST_QUARTER)) == {
        "Deal S4": ("2026-09-30", "2026-10-15", 1, 15), "Deal S6": ("2026-08-01", "2027-03-15", 1, 226)}


def test_no_slipped_deal_says_so(runtime, slips):
    result = report(runtime, slips["alice"], period=PeriodSpec("month", month=10, year=2026))
    assert result.rows == [] and result.notes[0] == "No deal's close date was pushed out of October."


def test_the_scopes_timezone_decides_which_quarter_a_close_date_edge_falls_in(runtime):
    # 16:00 UTC on Dec 31 is 01:00 on Jan 1 in Tokyo: there "this quarter" is already Q1 2027.
    now = datetime(2026, 12, 31, 16, tzinfo=UTC)
    runtime.process  # noqa: B018
    with runtime.session() as s:
        tokyo = f.team(s, "Tokyo", timezone="Asia/Tokyo")
        kenji, ada = f.rep(s, "Kenji Rep", team=tokyo), f.rep(s, "Ada Admin", role=Role.admin)
        edge = f.deal(s, kenji, "Quarter edge", now=now)
        early = f.deal(s, kenji, "Year edge", now=now)
        dates(s, edge, (datetime(2026, 12, 31, 15, 30, tzinfo=UTC), "2027-04-01", "2027-03-31"))
        dates(s, early, (datetime(2026, 12, 31, 10, tzinfo=UTC), "2027-01-02", "2026-12-31"))
        kenji_viewer, admin = Viewer.of(kenji), Viewer.of(ada)
    in_tokyo = report(runtime, kenji_viewer, now=now)
    assert in_tokyo.period.label == "Q1" and in_tokyo.period.first_day == date(2027, 1, 1)
    assert deals(in_tokyo) == {"Quarter edge": ("2027-03-31", "2027-04-01", 1, 1)}
    in_utc = report(runtime, admin, now=now)  # the company's timezone, UTC: still Q4 2026
    assert in_utc.period.label == "Q4" and deals(in_utc) == {"Year edge": ("2026-12-31", "2027-01-02", 1, 2)}
