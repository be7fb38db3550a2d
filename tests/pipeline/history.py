"""A small pipeline history with hand-computed figures for October 2026 (see the table below).

Process: tests/data/process_small.yaml — discover (10 days, 10%) → validate (20 days, 40%) → close (15 days, 80%).
Every change is at 12:00 UTC except H's move to validate, at 23:00 UTC on Oct 31 (08:00 on Nov 1 in Tokyo).

    deal owner  timeline                                                         now (Nov 20 15:00 UTC)
    A    Alice  discover Sep 1, validate Sep 20                                  open, validate, 10,000
    B    Alice  discover Sep 10, validate Oct 5, close Oct 20                    open, close, 20,000
    C    Alice  discover Oct 3, lost Oct 10                                      lost
    D    Alice  discover Oct 8, close Oct 15 (skips validate), won Nov 5          won
    E    Bob    discover Aug 1, validate Aug 20, close Sep 15, won Oct 12        won
    F    Bob    discover Nov 2                                                   open, discover, 5,000
    G    Carol  discover Jul 1, lost Aug 15                                      lost (West)
    H    Bob    discover Sep 28, validate Oct 31 23:00                           open, validate, 30,000
    I    Bob    discover Oct 12, validate Oct 18, lost Oct 25                    lost
    J    Carol  discover Oct 2, validate Oct 9                                   open, validate, 7,000 (West)

Alice, Bob and the manager Maria are team East; Carol is team West.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.pipeline.periods import PeriodSpec
from storage.access import Viewer
from storage.models import Deal, DealStatus, Rep, Role, Team
from tests.utils import factories as f
from tests.utils.factories import NOW

OCTOBER = PeriodSpec("month", month=10, year=2026)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


TIMELINES = {
    "A": ("alice", 10_000, [("discover", at(9, 1)), ("validate", at(9, 20))]),
    "B": ("alice", 20_000, [("discover", at(9, 10)), ("validate", at(10, 5)), ("close", at(10, 20))]),
    "C": ("alice", 12_000, [("discover", at(10, 3)), ("lost", at(10, 10))]),
    "D": ("alice", 40_000, [("discover", at(10, 8)), ("close", at(10, 15)), ("won", at(11, 5))]),
    "E": ("bob", 25_000, [("discover", at(8, 1)), ("validate", at(8, 20)), ("close", at(9, 15)), ("won", at(10, 12))]),
    "F": ("bob", 5_000, [("discover", at(11, 2))]),
    "G": ("carol", 8_000, [("discover", at(7, 1)), ("lost", at(8, 15))]),
    "H": ("bob", 30_000, [("discover", at(9, 28)), ("validate", at(10, 31, 23))]),
    "I": ("bob", 9_000, [("discover", at(10, 12)), ("validate", at(10, 18)), ("lost", at(10, 25))]),
    "J": ("carol", 7_000, [("discover", at(10, 2)), ("validate", at(10, 9))]),
}


@dataclass
class History:
    east: Team
    west: Team
    alice: Rep
    bob: Rep
    carol: Rep
    manager: Rep
    west_manager: Rep
    admin: Rep
    deals: dict[str, Deal]

    def viewer(self, rep: Rep) -> Viewer:
        return Viewer.of(rep)


def add_deal(session, owner: Rep, name: str, amount: int, timeline: list[tuple[str, datetime]]) -> Deal:
    """A deal whose row agrees with its timeline: current stage, status, entry time, close time."""
    *_, (last_stage, last_at) = timeline
    closed = last_stage in ("won", "lost")
    stage = timeline[-2][0] if closed else last_stage
    entered = timeline[-2][1] if closed else last_at
    deal = Deal(external_id=f"D-{name}", name=f"Deal {name}", account=f"Account {name}", owner_id=owner.id,
                stage_key=stage, amount=Decimal(amount), status=DealStatus(last_stage) if closed else DealStatus.open,
                created_at=timeline[0][1], stage_entered_at=entered, closed_at=last_at if closed else None)
    session.add(deal)
    session.flush()
    previous = None
    for to_stage, when in timeline:
        f.move(session, deal, previous, to_stage, when)
        previous = to_stage
    return deal


@pytest.fixture
def history(runtime) -> History:
    runtime.process  # noqa: B018  (activate the small map)
    with runtime.session() as s:
        east, west = f.team(s, "East"), f.team(s, "West")
        manager = f.rep(s, "Maria Manager", team=east, role=Role.manager)
        west_manager = f.rep(s, "Walter Manager", team=west, role=Role.manager)
        reps = {"alice": f.rep(s, "Alice Rep", team=east), "bob": f.rep(s, "Bob Rep", team=east),
                "carol": f.rep(s, "Carol Rep", team=west)}
        admin = f.rep(s, "Ada Admin", role=Role.admin)
        deals = {name: add_deal(s, reps[owner], name, amount, timeline)
                 for name, (owner, amount, timeline) in TIMELINES.items()}
        # Exit criteria: A confirmed success criteria; F confirmed pain, then the buyer walked it back.
        f.check(s, deals["A"], "success_criteria_agreed", stage="validate")
        f.check(s, deals["F"], "pain_confirmed", stage="discover", at=at(11, 3))
        f.check(s, deals["F"], "pain_confirmed", stage="discover", met=False, at=at(11, 4))
    return History(east, west, reps["alice"], reps["bob"], reps["carol"], manager, west_manager, admin, deals)


__all__ = ["NOW", "OCTOBER", "History", "history", "at"]
