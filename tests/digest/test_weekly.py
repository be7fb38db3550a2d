"""A manager's weekly summary: on the team's chosen day, hand-computed, rendered as Block Kit, DMed once.

Owls chose Wednesday; Larks chose nothing (the default: Friday). AT is Wednesday 2026-11-25 09:00 UTC (everyone in
UTC, digest hour 8), so the week is [Nov 18 09:00, Nov 25 09:00). Ria's deals (Owls), by hand:
- Push Co: close date Dec 01 (Nov 10) → Dec 20 (Nov 19, pushed) → Dec 05 (Nov 21, pulled in) → Jan 10 (Nov 24,
  pushed): two pushes this week. Its "pushed twice" warning has no known start: not a *new* warning.
- Quiet Co: last activity Nov 08 09:00, so quiet (over 14 days) since Nov 22 09:00: new, "no activity for 17 days".
- Old Quiet: last activity Oct 01: quiet since Oct 15, not new.
- Moved Co: Discover (Nov 10) → Validate (Nov 20 09:00) with no Discover criterion met: unmet criteria since
  Nov 20 09:00, new.
Flow (backward from today's open deals: Discover 3, Validate 1; one move this week, Discover → Validate):
Discover 4 +0 −1 = 3, Validate 0 +1 −0 = 1.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.runtime import Runtime
from bot.digest import compute
from bot.digest.deliver import deliver_due
from bot.digest.types import WEEKLY
from bot.slack.digest import weekly_message
from storage import digest as store
from storage.db import make_engine
from storage.models import DealPropertyChange, Role
from tests.digest.fixtures import poster_for
from tests.utils import factories as f
from tests.utils.block_kit import message_problems
from tests.utils.slack_emulator import SlackEmulator

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
WEDNESDAY, FRIDAY = date(2026, 11, 25), date(2026, 11, 27)
UNMET = ("left Discover without: Buyer described the pain in their own words; Buyer confirmed a budget range; "
         "Buyer named who signs off")


@pytest.fixture
def owls(runtime):
    with runtime.session() as s:
        owls, larks = f.team(s, "Owls", summary_day="wed"), f.team(s, "Larks")
        mo = f.rep(s, "Mo Owl", team=owls, role=Role.manager, timezone="UTC", slack_user_id="UMO")
        ria = f.rep(s, "Ria Owl", team=owls, timezone="UTC", slack_user_id="URIA")
        f.rep(s, "Lars Lark", team=larks, role=Role.manager, timezone="UTC", slack_user_id="ULARS")
        push = f.deal(s, ria, "Push Co", days_in_stage=2, now=AT, amount=30_000)
        for day, value in ((10, "2026-12-01"), (19, "2026-12-20"), (21, "2026-12-05"), (24, "2027-01-10")):
            s.add(DealPropertyChange(deal_id=push.id, property="close_date", value=value,
                                     changed_at=datetime(2026, 11, day, 12, tzinfo=UTC)))
        quiet = f.deal(s, ria, "Quiet Co", days_in_stage=3, now=AT, amount=20_000)
        old = f.deal(s, ria, "Old Quiet", days_in_stage=3, now=AT, amount=10_000)
        moved = f.deal(s, ria, "Moved Co", stage="validate", days_in_stage=5, now=AT, amount=40_000)
        f.move(s, moved, None, "discover", datetime(2026, 11, 10, 9, tzinfo=UTC))
        f.move(s, moved, "discover", "validate", datetime(2026, 11, 20, 9, tzinfo=UTC))
        f.activity(s, quiet, datetime(2026, 11, 8, 9, tzinfo=UTC))
        f.activity(s, old, datetime(2026, 10, 1, 9, tzinfo=UTC))
        for deal in (push, moved):
            f.activity(s, deal, AT - timedelta(days=1))
        return mo


def weekly_of(runtime, on: date):
    with runtime.session() as s:
        return [d for d in compute.due_on(session=s, settings=runtime.settings, day=on).dues if d.kind == WEEKLY]


def test_each_team_gets_its_summary_on_its_own_day(runtime, owls):
    assert [d.person.name for d in weekly_of(runtime, WEDNESDAY)] == ["Mo Owl"]
    assert [d.person.name for d in weekly_of(runtime, FRIDAY)] == ["Lars Lark"]  # the default day
    with runtime.session() as s:  # not a digest day, still the summary's
        saturday = compute.due_on(session=s, settings=runtime.settings, day=date(2026, 11, 28)).dues
    assert saturday == []


def test_the_summary_holds_pushed_dates_new_warnings_one_finding_and_the_flow(runtime, owls):
    with runtime.session() as s:
        due, = [d for d in compute.due_at(session=s, settings=runtime.settings, now=AT).dues if d.kind == WEEKLY]
        summary, = compute.build(session=s, process=runtime.process, dues=[due])
    assert (due.person.name, due.at) == ("Mo Owl", AT)
    assert [(p.deal.name, p.before, p.after) for p in summary.pushed] == [
        ("Push Co", "2026-12-01", "2026-12-20"), ("Push Co", "2026-12-05", "2027-01-10")]
    assert [(w.deal.name, list(w.reasons)) for w in summary.new_warnings] == [
        ("Moved Co", [UNMET]), ("Quiet Co", ["no activity for 17 days"])]
    assert [(f.stage_name, f.at_start, f.entered, f.left, f.at_end) for f in summary.flow] == [
        ("Discover", 4, 0, 1, 3), ("Validate", 0, 1, 0, 1)]
    assert summary.finding is not None and summary.finding.endswith("(last 90 days)")
    message = weekly_message(summary)
    assert message_problems(message.blocks) == []
    text = "\n".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert "*Push Co* (Ria Owl): 2026-12-05 → 2027-01-10" in text and "Discover: 4 +0 −1 = 3" in text
    assert f"*Moved Co* (Ria Owl, Validate): {UNMET}" in text


def test_two_runners_send_the_summary_exactly_once(runtime, db_url, owls):
    start, summaries = threading.Barrier(2), []
    with SlackEmulator() as slack:
        def run() -> None:
            engine = make_engine(db_url)  # its own pool, as another worker would have
            worker = Runtime(runtime.settings, engine=engine, clock=runtime.clock)
            worker.process  # noqa: B018 - load the map before the race
            start.wait()
            summaries.append(deliver_due(worker, poster_for(worker, slack), now=AT))
            engine.dispose()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        weekly_posts = [b for b in slack.calls_to("chat.postMessage") if b.get("text", "").startswith("Your team's week")]
        assert [b["channel"] for b in weekly_posts] == ["UMO"]
        outcomes = Counter((o.person.name, o.kind, o.status) for summary in summaries for o in summary.outcomes)
        assert outcomes[("Mo Owl", WEEKLY, "sent")] == 1 and outcomes[("Mo Owl", WEEKLY, "skipped")] == 1
        later = deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(hours=3))
        assert [o for o in later.outcomes if o.kind == WEEKLY] == []
    with runtime.session() as s:
        rows = [r for r in store.deliveries(session=s, local_date=WEDNESDAY) if r.kind == WEEKLY]
    assert [(r.rep_id, r.status) for r in rows] == [(owls.id, "sent")]
