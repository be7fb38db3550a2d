"""A manager's roll-up: overdue per rep, stuck deals with owner and days over, moves since the last roll-up."""

from datetime import UTC, date, datetime, timedelta

from bot.digest.blocks import manager_message
from storage import digest as store
from storage.models import DealStatus
from tests.digest.fixtures import digest_for
from tests.utils import factories as f

AT = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # Monday 08:30 in New York, where Mia is


def _utc(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def _team_floor(runtime, floor):
    """Overdue follow-ups, stuck deals and moves on Mia's team, and the same on Otto's other team."""
    with runtime.session() as s:
        kenji_deal = f.deal(s, floor.kenji, "Kenji Co", days_in_stage=12, now=AT)  # discover expects 10: 2 over
        f.followup(s, kenji_deal, _utc(17, 3))
        f.followup(s, kenji_deal, _utc(20, 3))
        f.followup(s, kenji_deal, _utc(23, 20))  # later today: not overdue
        lucy_deal = f.deal(s, floor.lucy, "Lucy Ltd", stage="validate", days_in_stage=30, now=AT)  # 10 over
        f.followup(s, lucy_deal, _utc(19, 20))
        f.followup(s, lucy_deal, _utc(15, 20), done=_utc(16, 1))  # done: not counted
        otto_deal = f.deal(s, floor.otto, "Otto GmbH", days_in_stage=50, now=AT)
        f.followup(s, otto_deal, _utc(10, 9))
        won = f.deal(s, floor.lucy, "Won Inc", stage="close", now=AT, status=DealStatus.won)
        lost = f.deal(s, floor.kenji, "Lost KK", now=AT, status=DealStatus.lost)
        moved = f.deal(s, floor.kenji, "Moved KK", stage="validate", days_in_stage=0, now=AT)
        f.move(s, moved, None, "discover", _utc(1, 9))  # a creation, not a move
        f.move(s, moved, "discover", "validate", _utc(23, 10))
        f.move(s, won, "close", "won", _utc(23, 12))
        f.move(s, lost, "discover", "lost", _utc(22, 12))  # after Friday's roll-up, over a day ago
        f.move(s, lost, "prospect", "discover", _utc(19, 9))  # before the last roll-up
        f.move(s, otto_deal, "discover", "validate", _utc(23, 11))  # another team
        f.move(s, won, "validate", "close", _utc(23, 14))  # after the roll-up's instant


def test_the_roll_up_counts_overdue_follow_ups_per_rep_and_lists_stuck_deals_with_owner_and_days_over(runtime, floor):
    _team_floor(runtime, floor)
    rollup = digest_for(runtime, floor.mia, AT, kind="manager")
    assert [(r.name, r.count, r.oldest_days) for r in rollup.overdue_by_rep] == [("Kenji Sato", 2, 6), ("Lucy Park", 1, 4)]
    assert [(s.deal.name, s.deal.owner_name, s.days_over, s.stage_name) for s in rollup.stuck] == [
        ("Lucy Ltd", "Lucy Park", 10, "Validate"), ("Kenji Co", "Kenji Sato", 2, "Discover")]


def test_moves_wins_and_losses_since_the_last_roll_up(runtime, floor):
    _team_floor(runtime, floor)
    with runtime.session() as s:  # Friday's roll-up went out at 13:00 UTC
        row = store.reserve(session=s, rep_id=floor.mia.id, local_date=date(2026, 11, 20), kind="manager",
                            now=_utc(20, 13))
        store.complete(session=s, delivery_id=row.id, channel="D1", ts="1.1", now=_utc(20, 13))
    rollup = digest_for(runtime, floor.mia, AT, kind="manager")
    assert rollup.since == _utc(20, 13)
    assert [(m.deal.name, m.from_stage, m.to_stage, m.closed) for m in rollup.moves] == [
        ("Lost KK", "Discover", "Lost", True),
        ("Moved KK", "Discover", "Validate", False),
        ("Won Inc", "Close", "Won", True),
    ]
    text = manager_message(rollup).text
    assert "3 moves (1 won)" in text


def test_a_first_roll_up_looks_back_one_day(runtime, floor):
    _team_floor(runtime, floor)
    rollup = digest_for(runtime, floor.mia, AT, kind="manager")
    assert rollup.since == AT - timedelta(days=1)
    assert [m.deal.name for m in rollup.moves] == ["Moved KK", "Won Inc"]


def test_the_roll_up_message_names_reps_owners_and_counts(runtime, floor):
    _team_floor(runtime, floor)
    blocks = manager_message(digest_for(runtime, floor.mia, AT, kind="manager")).blocks
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Kenji Sato — *2* (oldest 6 days)" in text
    assert "*Lucy Ltd* (Lucy Park) — Validate, *10 days over* the 20 expected" in text
    assert "Otto" not in text
    assert "🏆 *Won Inc* (Lucy Park) won (from Close)" in text


def test_a_quiet_team_has_an_empty_roll_up(runtime, floor):
    assert digest_for(runtime, floor.mia, AT, kind="manager").is_empty
