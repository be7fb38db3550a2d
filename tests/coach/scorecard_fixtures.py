"""A sales floor for the scorecard and ranking tests, with every expected figure worked out by hand.

NOW is Friday 2026-11-20 15:00 UTC. Teams have no timezone, so periods are read in the company's
(UTC): this quarter (Q4) is [Oct 1, now), this month [Nov 1, now), last quarter (Q3) [Jul 1, Oct 1).
The small map (tests/data/process_small.yaml): discover 10 days at 0.1, validate 20 days at 0.4,
close 15 days at 0.8. A deal is over its stage's norm when its whole days in stage exceed the norm.

East: Maria (manager, no deals), Alice, Bob (America/Los_Angeles), Dana (no deals), Evan.
West: Walt (manager, no deals), Carol. Ada is an admin on no team.

Alice (UTC; today began Nov 20 00:00 UTC)
    Globex      won   30,000  created Sep 1,       closed Oct 15            -> won in Q4
    Initech     won   20,000  created Oct 5,       closed Nov 3             -> won in Q4 and November; new in Q4
    Oldco       won   99,000  created Jul 15,      closed Sep 30 23:00      -> won in Q3 (one hour before Q4)
    Hooli       lost  10,000  created Sep 10,      closed Nov 10            -> lost in Q4 and November
    Pied Piper  lost   7,000  created Oct 1 00:00, closed Oct 2             -> lost in Q4; new in Q4 (its first instant)
    Wayne       open  50,000  validate, 25 days in stage, created Oct 20    -> over (25 > 20); new in Q4
    Stark       open  40,000  discover,  8 days, created Nov 12             -> new in Q4 and November
    Acme        open   8,000  discover, 11 days, created Sep 1              -> over (11 > 10)
    Umbra       open   2,000  discover, 10 days, created Aug 1              -> not over (10 is the norm, not over it)
    Relic       open   5,000  "legacy", a stage not in the map, 200 days    -> no probability (weighs 0), no norm
    Follow-ups: Wayne Nov 17 and Nov 19 23:00 (overdue); Stark today 09:00 (due today, not overdue);
    Stark Nov 10 done; Hooli Nov 1 open but on a lost deal (not counted).

    Q4:       won 2 = 30,000 + 20,000 = 50,000; lost 2; win rate 2/4 = 50%
              new 4 = Initech 20,000 + Pied Piper 7,000 + Wayne 50,000 + Stark 40,000 = 117,000
    November: won 1 = 20,000; lost 1; win rate 1/2 = 50%; new 1 = Stark 40,000
    Q3:       won 1 = 99,000; lost 0; win rate 1/1 = 100%
              new 5 = Globex 30,000 + Hooli 10,000 + Acme 8,000 + Umbra 2,000 + Oldco 99,000 = 149,000
    Now:      open 5 = 50,000 + 40,000 + 8,000 + 2,000 + 5,000 = 105,000
              weighted = 50,000*0.4 + 40,000*0.1 + 8,000*0.1 + 2,000*0.1 + 5,000*0 = 20,000 + 4,000 + 800 + 200 = 25,000
              overdue 2; over the norm 2 (Wayne, Acme)

Bob (America/Los_Angeles: NOW is Nov 20 07:00 there, so his today began Nov 20 08:00 UTC)
    Vandelay    won   60,000  created Sep 1, closed Nov 5                    -> won in Q4 and November
    Soylent     open 100,000  close, 20 days in stage, created Oct 3        -> over (20 > 15); new in Q4
    Tyrell      open   3,000  discover, 2 days, created Nov 15              -> new in Q4 and November
    Follow-ups: Nov 16, Nov 18, and Nov 20 03:00 UTC (Nov 19 19:00 in LA: overdue for Bob, though not for
    someone in UTC); Nov 20 10:00 UTC (02:00 today in LA: not overdue).

    Q4:       won 1 = 60,000; lost 0; win rate 1/1 = 100%; new 2 = 100,000 + 3,000 = 103,000
    November: won 1 = 60,000; lost 0; win rate 100%; new 1 = Tyrell 3,000
    Now:      open 2 = 103,000; weighted = 100,000*0.8 + 3,000*0.1 = 80,000 + 300 = 80,300; overdue 3; over 1

Evan (UTC)
    Massive     open  12,000  discover, 1 day, created Nov 18               -> new in Q4 and November
    Cyberdyne   lost   9,000  created Sep 20, closed Nov 1                  -> lost in Q4 and November
    Follow-ups: Massive Nov 18 and Nov 19 (overdue).
    Q4: won 0; lost 1; win rate 0/1 = 0%; new 1 = 12,000. Now: open 1 = 12,000; weighted 1,200; overdue 2; over 0

Dana: nothing at all. Win rate: no deals closed.

Carol (West, UTC) — never in East's figures
    Umbrella    open  77,000  close, 30 days, created Oct 1 12:00           -> over (30 > 15)
    Monarch     won  500,000  created Aug 1, closed Nov 2
    Follow-up: Umbrella Nov 12 (overdue).
    Q4: won 1 = 500,000; win rate 100%; new 1 = 77,000. Now: open 1 = 77,000; weighted 61,600; overdue 1; over 1

East in Q4 (Maria's team; Maria owns nothing):
    won 3 = 50,000 + 60,000 = 110,000; lost 2 + 1 = 3; win rate 3/6 = 50%
    new 4 + 2 + 1 = 7 = 117,000 + 103,000 + 12,000 = 232,000
    open 5 + 2 + 1 = 8 = 105,000 + 103,000 + 12,000 = 220,000; weighted 25,000 + 80,300 + 1,200 = 106,500
    overdue 2 + 3 + 2 = 7; over the norm 2 + 1 + 0 = 3
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage.access import Viewer
from storage.models import DealStatus, Rep, Role
from tests.utils import factories as f
from tests.utils.factories import NOW


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class SalesFloor:
    maria: Rep
    alice: Rep
    bob: Rep
    dana: Rep
    evan: Rep
    walt: Rep
    carol: Rep
    ada: Rep

    def viewer(self, rep: Rep) -> Viewer:
        return Viewer.of(rep)


def build_sales_floor(runtime) -> SalesFloor:
    runtime.process  # noqa: B018  (activate the small map)
    with runtime.session() as s:
        east, west = f.team(s, "East"), f.team(s, "West")
        maria = f.rep(s, "Maria Manager", team=east, role=Role.manager)
        alice = f.rep(s, "Alice Adams", team=east)
        bob = f.rep(s, "Bob Brown", team=east, timezone="America/Los_Angeles")
        dana = f.rep(s, "Dana Diaz", team=east)
        evan = f.rep(s, "Evan Evans", team=east)
        walt = f.rep(s, "Walt West", team=west, role=Role.manager)
        carol = f.rep(s, "Carol Chen", team=west)
        ada = f.rep(s, "Ada Admin", role=Role.admin)

        def closed(owner, name, status, amount, created, closed_at):
            return f.deal(s, owner, name, stage="close", amount=amount, status=status, created_at=created,
                          closed_at=closed_at)

        def opened(owner, name, stage, days, amount, created):
            return f.deal(s, owner, name, stage=stage, days_in_stage=days, amount=amount, created_at=created)

        won, lost = DealStatus.won, DealStatus.lost
        closed(alice, "Globex", won, 30_000, at(9, 1), at(10, 15))
        closed(alice, "Initech", won, 20_000, at(10, 5), at(11, 3))
        closed(alice, "Oldco", won, 99_000, at(7, 15), at(9, 30, 23))
        hooli = closed(alice, "Hooli", lost, 10_000, at(9, 10), at(11, 10))
        closed(alice, "Pied Piper", lost, 7_000, at(10, 1, 0), at(10, 2))
        wayne = opened(alice, "Wayne", "validate", 25, 50_000, at(10, 20))
        stark = opened(alice, "Stark", "discover", 8, 40_000, at(11, 12))
        opened(alice, "Acme", "discover", 11, 8_000, at(9, 1))
        opened(alice, "Umbra", "discover", 10, 2_000, at(8, 1))
        opened(alice, "Relic", "legacy", 200, 5_000, NOW - timedelta(days=205))
        f.followup(s, wayne, at(11, 17), note="Send the Wayne security pack")
        f.followup(s, wayne, at(11, 19, 23))
        f.followup(s, stark, at(11, 20, 9))
        f.followup(s, stark, at(11, 10), done=at(11, 11))
        f.followup(s, hooli, at(11, 1))

        closed(bob, "Vandelay", won, 60_000, at(9, 1), at(11, 5))
        soylent = opened(bob, "Soylent", "close", 20, 100_000, at(10, 3))
        opened(bob, "Tyrell", "discover", 2, 3_000, at(11, 15))
        for due in (at(11, 16), at(11, 18), at(11, 20, 3), at(11, 20, 10)):
            f.followup(s, soylent, due)

        massive = opened(evan, "Massive", "discover", 1, 12_000, at(11, 18))
        closed(evan, "Cyberdyne", lost, 9_000, at(9, 20), at(11, 1))
        f.followup(s, massive, at(11, 18))
        f.followup(s, massive, at(11, 19))

        umbrella = opened(carol, "Umbrella", "close", 30, 77_000, at(10, 1))
        closed(carol, "Monarch", won, 500_000, at(8, 1), at(11, 2))
        f.followup(s, umbrella, at(11, 12), note="Chase the Umbrella redlines")
    return SalesFloor(maria, alice, bob, dana, evan, walt, carol, ada)
