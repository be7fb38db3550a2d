"""A small sales floor for digest tests: a team in Tokyo and Los Angeles, a manager, another team.

Times are chosen around Monday 2026-11-23 so each person's local day differs at one UTC instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from bot.digest import compute
from bot.digest.types import Due, Recipient
from bot.slack.client import make_client
from bot.slack.digest import poster
from storage.access import Viewer
from storage.models import DealStatus, Rep, Role
from storage.timeutil import zone
from tests.utils import factories as f

# Sunday 23:30 UTC: Monday 08:30 in Tokyo, Sunday 15:30 in Los Angeles.
SUNDAY_NIGHT_UTC = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
# Monday 16:30 UTC: Monday 08:30 in Los Angeles, already Tuesday 01:30 in Tokyo.
MONDAY_AFTERNOON_UTC = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
MONDAY = date(2026, 11, 23)


@dataclass
class Floor:
    kenji: Rep  # rep, Asia/Tokyo
    lucy: Rep  # rep, America/Los_Angeles
    mia: Rep  # manager of the team, America/New_York
    otto: Rep  # rep on another team, UTC

    @property
    def people(self) -> list[Rep]:
        return [self.kenji, self.lucy, self.mia, self.otto]


@pytest.fixture
def floor(runtime) -> Floor:
    return make_floor(runtime)


def make_floor(runtime) -> Floor:
    """Kenji and Lucy on the Pacific team with Mia their manager, Otto on the Europe team."""
    with runtime.session() as s:
        west = f.team(s, "Pacific")
        other = f.team(s, "Europe")
        people = Floor(
            kenji=f.rep(s, "Kenji Sato", team=west, timezone="Asia/Tokyo"),
            lucy=f.rep(s, "Lucy Park", team=west, timezone="America/Los_Angeles"),
            mia=f.rep(s, "Mia Manager", team=west, role=Role.manager, timezone="America/New_York"),
            otto=f.rep(s, "Otto Berg", team=other, timezone="UTC"),
        )
    return people


def digests_at(runtime, now: datetime) -> dict[tuple[str, str], object]:
    """Every digest due at ``now``, keyed (person name, kind)."""
    with runtime.session() as s:
        schedule = compute.due_at(session=s, settings=runtime.settings, now=now)
        built = compute.build(session=s, process=runtime.process, dues=schedule.dues)
    return {(d.due.person.name, d.due.kind): d for d in built}


def digest_for(runtime, rep: Rep, now: datetime, kind: str = "rep"):
    """One person's digest as of ``now``, whether or not it is their digest hour."""
    with runtime.session() as s:
        person = Recipient.of(s.get(Rep, rep.id))
        due = Due(person, kind, now.astimezone(zone(person.timezone)).date(), now)
        return compute.build(session=s, process=runtime.process, dues=[due])[0]


def viewer(rep: Rep) -> Viewer:
    return Viewer.of(rep)


def sections(digest) -> dict[str, list[tuple[str, int, str | None]]]:
    """A rep digest as {section: [(deal name, days, next activity key)]}, in the digest's order."""
    return {name: [(i.deal.name, i.days, i.next_activity.key if i.next_activity else None) for i in items]
            for name, items in (("overdue", digest.overdue), ("due_today", digest.due_today),
                                ("stuck", digest.stuck), ("past_close", digest.past_close))}


def client_for(runtime, emulator):
    """The app's own Web API client (with its retry handlers), pointed at the Slack emulator."""
    settings = runtime.settings.model_copy(update={"slack_bot_token": "xoxb-test", "slack_api_url": emulator.base_url})
    return make_client(settings)


def poster_for(runtime, emulator):
    """The Slack poster the app delivers digests with, through its own client, pointed at the Slack emulator."""
    return poster(client_for(runtime, emulator))


ROLLUP_AT = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # Monday 08:30 in New York, where Mia is


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def team_floor(runtime, floor):
    """Overdue follow-ups, stuck deals and moves on Mia's team, and the same on Otto's other team."""
    with runtime.session() as s:
        kenji_deal = f.deal(s, floor.kenji, "Kenji Co", days_in_stage=12, now=ROLLUP_AT)  # discover expects 10: 2 over
        f.followup(s, kenji_deal, utc(17, 3))
        f.followup(s, kenji_deal, utc(20, 3))
        f.followup(s, kenji_deal, utc(23, 20))  # later today: not overdue
        lucy_deal = f.deal(s, floor.lucy, "Lucy Ltd", stage="validate", days_in_stage=30, now=ROLLUP_AT)  # 10 over
        f.followup(s, lucy_deal, utc(19, 20))
        f.followup(s, lucy_deal, utc(15, 20), done=utc(16, 1))  # done: not counted
        otto_deal = f.deal(s, floor.otto, "Otto GmbH", days_in_stage=50, now=ROLLUP_AT)
        f.followup(s, otto_deal, utc(10, 9))
        won = f.deal(s, floor.lucy, "Won Inc", stage="close", now=ROLLUP_AT, status=DealStatus.won)
        lost = f.deal(s, floor.kenji, "Lost KK", now=ROLLUP_AT, status=DealStatus.lost)
        moved = f.deal(s, floor.kenji, "Moved KK", stage="validate", days_in_stage=0, now=ROLLUP_AT)
        f.move(s, moved, None, "discover", utc(1, 9))  # a creation, not a move
        f.move(s, moved, "discover", "validate", utc(23, 10))
        f.move(s, won, "close", "won", utc(23, 12))
        f.move(s, lost, "discover", "lost", utc(22, 12))  # after Friday's roll-up, over a day ago
        f.move(s, lost, "prospect", "discover", utc(19, 9))  # before the last roll-up
        f.move(s, otto_deal, "discover", "validate", utc(23, 11))  # another team
        f.move(s, won, "validate", "close", utc(23, 14))  # after the roll-up's instant
