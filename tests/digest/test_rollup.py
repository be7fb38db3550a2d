"""A manager's roll-up: overdue per rep, stuck deals with owner and days over, moves since the last roll-up."""

from datetime import date, timedelta

from storage import digest as store
from tests.digest.fixtures import ROLLUP_AT as AT
from tests.digest.fixtures import digest_for, team_floor, utc


def test_the_roll_up_counts_overdue_follow_ups_per_rep_and_lists_stuck_deals_with_owner_and_days_over(runtime, floor):
    team_floor(runtime, floor)
    rollup = digest_for(runtime, floor.mia, AT, kind="manager")
    assert [(r.name, r.count, r.oldest_days) for r in rollup.overdue_by_rep] == [("Kenji Sato", 2, 6), ("Lucy Park", 1, 4)]
    assert [(s.deal.name, s.deal.owner_name, s.days_over, s.stage_name) for s in rollup.stuck] == [
        ("Lucy Ltd", "Lucy Park", 10, "Validate"), ("Kenji Co", "Kenji Sato", 2, "Discover")]


def test_moves_wins_and_losses_since_the_last_roll_up(runtime, floor):
    team_floor(runtime, floor)
    with runtime.session() as s:  # Friday's roll-up went out at 13:00 UTC
        row = store.reserve(session=s, rep_id=floor.mia.id, local_date=date(2026, 11, 20), kind="manager",
                            now=utc(20, 13))
        store.complete(session=s, delivery_id=row.id, channel="D1", ts="1.1", now=utc(20, 13))
    rollup = digest_for(runtime, floor.mia, AT, kind="manager")
    assert rollup.since == utc(20, 13)
    assert [(m.deal.name, m.from_stage, m.to_stage, m.closed) for m in rollup.moves] == [
        ("Lost KK", "Discover", "Lost", True),
        ("Moved KK", "Discover", "Validate", False),
        ("Won Inc", "Close", "Won", True),
    ]


def test_a_first_roll_up_looks_back_one_day(runtime, floor):
    team_floor(runtime, floor)
    rollup = digest_for(runtime, floor.mia, AT, kind="manager")
    assert rollup.since == AT - timedelta(days=1)
    assert [m.deal.name for m in rollup.moves] == ["Moved KK", "Won Inc"]


def test_a_quiet_team_has_an_empty_roll_up(runtime, floor):
    assert digest_for(runtime, floor.mia, AT, kind="manager").is_empty
