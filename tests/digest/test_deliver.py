"""Delivery: one DM per person and local day, whatever overlaps, fails or crashes; Slack is the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.runtime import Runtime
from bot.digest.deliver import NotPosted, Posted, deliver_due
from storage import digest as store
from storage.db import make_engine
from storage.models import Role, Team
from tests.conftest import SMALL_PROCESS
from tests.digest.fixtures import MONDAY, MONDAY_AFTERNOON_UTC, poster_for
from tests.utils import clock_shift
from tests.utils import factories as f
from tests.utils.slack_emulator import SlackEmulator

AT = MONDAY_AFTERNOON_UTC  # Monday: 08:30 in Los Angeles, 16:30 in UTC, 11:30 in New York
OVERDUE = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@pytest.fixture
def slack():
    with SlackEmulator() as emulator:
        yield emulator


def posts_per_channel(emulator: SlackEmulator) -> Counter:
    return Counter(body["channel"] for body in emulator.calls_to("chat.postMessage"))


def give_work(runtime, *reps) -> None:
    """An overdue follow-up for each rep, so each has a digest worth sending."""
    with runtime.session() as s:
        for rep in reps:
            f.followup(s, f.deal(s, rep, f"{rep.name} deal", now=AT), OVERDUE, "Call back")


def crowd(runtime, n: int) -> list:
    """``n`` reps in UTC (due at AT), each with an overdue follow-up."""
    with runtime.session() as s:
        team = f.team(s, "Crowd")
        reps = [f.rep(s, f"Crowd Rep {i}", team=team) for i in range(n)]
    give_work(runtime, *reps)
    return reps


def test_each_due_person_gets_one_dm_and_a_second_run_sends_nothing(runtime, floor, slack):
    give_work(runtime, floor.lucy, floor.otto)
    summary = deliver_due(runtime, poster_for(runtime, slack), now=AT)

    expected = {floor.lucy.slack_user_id: 1, floor.otto.slack_user_id: 1, floor.mia.slack_user_id: 1}
    assert posts_per_channel(slack) == expected  # Mia: her team roll-up; her own digest is empty, so not sent
    assert "conversations.open" not in slack.methods()
    assert sorted((o.person.name, o.kind, o.status) for o in summary.outcomes) == [
        ("Lucy Park", "rep", "sent"), ("Mia Manager", "manager", "sent"), ("Mia Manager", "rep", "empty"),
        ("Otto Berg", "rep", "sent")]
    with runtime.session() as s:
        rows = {(r.rep_id, r.kind): r for r in store.deliveries(session=s, local_date=MONDAY)}
    lucy = rows[(floor.lucy.id, "rep")]
    assert (lucy.status, lucy.slack_channel) == ("sent", floor.lucy.slack_user_id) and lucy.slack_ts

    again = deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(hours=2))
    assert again.outcomes == [] and posts_per_channel(slack) == expected


def test_with_send_empty_a_rep_with_nothing_due_hears_so(runtime, floor, slack):
    runtime.settings.digest_send_empty = True
    deliver_due(runtime, poster_for(runtime, slack), now=AT)
    texts = {b["channel"]: b["text"] for b in slack.calls_to("chat.postMessage")}
    assert set(texts) == {floor.lucy.slack_user_id, floor.otto.slack_user_id, floor.mia.slack_user_id}
    assert "Nothing needs you today" in texts[floor.lucy.slack_user_id]


def test_rate_limits_are_waited_out_and_every_digest_still_goes_once(runtime, slack):
    reps = crowd(runtime, 12)
    slack.script("chat.postMessage", *[{"status": 429, "headers": {"Retry-After": "0"}}] * 10)
    summary = deliver_due(runtime, poster_for(runtime, slack), now=AT)

    assert posts_per_channel(slack) == {r.slack_user_id: 1 for r in reps}
    assert sum(1 for c in slack.calls if c.method == "chat.postMessage" and c.status == 429) == 10
    assert (len(summary.of("sent")), summary.ok) == (12, True)


def test_more_429s_than_the_client_retries_are_still_waited_out(runtime, slack):
    (rep,) = crowd(runtime, 1)
    slack.script("chat.postMessage", *[{"status": 429, "headers": {"Retry-After": "0"}}] * 6)
    summary = deliver_due(runtime, poster_for(runtime, slack), now=AT, workers=1)
    assert posts_per_channel(slack) == {rep.slack_user_id: 1}
    assert [o.status for o in summary.outcomes] == ["sent"]


class OneBadChannel(SlackEmulator):
    """Slack refusing one person's DM."""

    def __init__(self, bad_channel: str):
        super().__init__()
        self.bad_channel = bad_channel

    def answer(self, method: str, body: dict) -> dict:
        if method == "chat.postMessage" and body.get("channel") == self.bad_channel:
            return {"ok": False, "error": "channel_not_found"}
        return super().answer(method, body)


def test_a_failing_dm_is_reported_and_does_not_stop_the_others(runtime):
    reps = crowd(runtime, 6)
    bad = reps[2]
    with OneBadChannel(bad.slack_user_id) as slack:
        summary = deliver_due(runtime, poster_for(runtime, slack), now=AT)
        again = deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(minutes=5))
    assert posts_per_channel(slack) == {r.slack_user_id: 1 for r in reps}  # the bad one tried once, not again
    assert len(summary.of("sent")) == 5
    assert [(o.person.name, o.reason) for o in summary.of("failed")] == [(bad.name, "Slack error channel_not_found (HTTP 200)")]
    assert "failed: Crowd Rep 2 (rep, 2026-11-23) — Slack error channel_not_found" in "\n".join(summary.lines())
    with runtime.session() as s:
        row = next(r for r in store.deliveries(session=s, local_date=MONDAY) if r.rep_id == bad.id)
    assert (row.status, row.error) == ("failed", "Slack error channel_not_found (HTTP 200)")
    assert again.outcomes == []  # recorded for the day: not retried every few minutes


def test_a_person_without_a_slack_id_is_skipped_with_a_reason_once(runtime, slack):
    with runtime.session() as s:
        ghost = f.rep(s, "Ghost Rep", slack_user_id=None)
    give_work(runtime, ghost)
    summary = deliver_due(runtime, poster_for(runtime, slack), now=AT)
    assert [(o.person.name, o.status, o.reason) for o in summary.outcomes] == [
        ("Ghost Rep", "skipped", "no Slack user id: link them with their Slack id or email")]
    assert slack.calls_to("chat.postMessage") == []
    assert deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(hours=1)).outcomes == []


def test_a_reservation_left_by_a_crash_blocks_a_second_message_and_is_reported_once(runtime, floor, slack):
    give_work(runtime, floor.otto)
    with runtime.session() as s:  # what a run that died between reserving and recording the send leaves
        store.reserve(session=s, rep_id=floor.otto.id, local_date=MONDAY, kind="rep", now=AT)

    soon = deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(minutes=5))
    later = deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(minutes=20))
    after = deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(minutes=40))

    assert floor.otto.slack_user_id not in posts_per_channel(slack)
    assert soon.stale == []  # it may still be mid-send
    assert [(s.rep_name, s.local_date, s.kind) for s in later.stale] == [("Otto Berg", MONDAY, "rep")]
    assert "stale: Otto Berg (rep, 2026-11-23)" in "\n".join(later.lines())
    assert after.stale == []
    with runtime.session() as s:
        (row,) = [r for r in store.deliveries(session=s, local_date=MONDAY) if r.rep_id == floor.otto.id]
    assert row.status == "unconfirmed"


def test_two_runs_at_once_deliver_exactly_one_dm_per_person(runtime, db_url, slack):
    reps = crowd(runtime, 30)
    with runtime.session() as s:
        boss = f.rep(s, "Crowd Boss", role=Role.manager, team=s.get(Team, reps[0].team_id))
    start = threading.Barrier(2)
    summaries = []

    def run() -> None:
        engine = make_engine(db_url)  # its own pool, as another worker or machine would have
        worker = Runtime(runtime.settings, engine=engine, clock=runtime.clock)
        worker.process  # noqa: B018 - load the map before the race, as a running worker has
        start.wait()
        summaries.append(deliver_due(worker, poster_for(worker, slack), now=AT))
        engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert posts_per_channel(slack) == {**{r.slack_user_id: 1 for r in reps}, boss.slack_user_id: 1}
    outcomes = Counter(o.status for summary in summaries for o in summary.outcomes)
    assert outcomes["sent"] == 31 and outcomes["failed"] == 0
    with runtime.session() as s:
        assert Counter(r.status for r in store.deliveries(session=s, local_date=MONDAY)) == {"sent": 31, "empty": 1}


class HangingSlack(SlackEmulator):
    """Receives a DM and never answers, so the sender is stuck between posting and recording."""

    def __init__(self):
        super().__init__()
        self.posted = threading.Event()
        self.release = threading.Event()

    def answer(self, method: str, body: dict) -> dict:
        if method == "chat.postMessage":
            self.posted.set()
            self.release.wait(30)
        return super().answer(method, body)


def test_a_run_killed_mid_send_never_causes_a_second_message_and_the_next_run_reports_it(runtime, db_url, floor, slack,
                                                                                         tmp_path):
    give_work(runtime, floor.otto)  # only Otto has anything to send at AT
    env = {**os.environ, "STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
           "STAGECOACH_HOME": str(tmp_path / "child"), "SLACK_BOT_TOKEN": "xoxb-test"}
    with HangingSlack() as hanging:
        child = subprocess.Popen(
            clock_shift.command("digest", "--now", AT.isoformat()),
            env={**env, "SLACK_API_URL": hanging.base_url}, cwd=clock_shift.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert hanging.posted.wait(60), child.communicate(timeout=5)
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            hanging.release.set()
            if child.poll() is None:
                child.kill()
    assert [body["channel"] for body in hanging.calls_to("chat.postMessage")] == [floor.otto.slack_user_id]

    rerun = deliver_due(runtime, poster_for(runtime, slack), now=AT + timedelta(minutes=30))
    assert slack.calls_to("chat.postMessage") == []
    assert [(s.rep_name, s.kind) for s in rerun.stale] == [("Otto Berg", "rep")]


def test_any_poster_delivers_typed_digests_and_its_refusal_is_the_reason(runtime, floor):
    """The engine knows no Slack: it hands each digest to the poster and records where the poster says it went."""
    give_work(runtime, floor.lucy, floor.otto)
    received = []

    def post(digest) -> Posted:
        if digest.due.person.rep_id == floor.otto.id:
            raise NotPosted("mailbox full")
        received.append(digest)
        return Posted(f"inbox-{digest.due.person.rep_id}", f"{len(received)}.0")

    summary = deliver_due(runtime, post, now=AT, workers=1)
    assert sorted((d.due.person.name, d.due.kind, [i.deal.name for i in getattr(d, "items", [])]) for d in received) == [
        ("Lucy Park", "rep", ["Lucy Park deal"]), ("Mia Manager", "manager", [])]
    assert [(o.person.name, o.reason) for o in summary.of("failed")] == [("Otto Berg", "mailbox full")]
    with runtime.session() as s:
        rows = {r.rep_id: r for r in store.deliveries(session=s, local_date=MONDAY) if r.kind == "rep"}
    assert (rows[floor.lucy.id].status, rows[floor.lucy.id].slack_channel) == ("sent", f"inbox-{floor.lucy.id}")
    assert (rows[floor.otto.id].status, rows[floor.otto.id].error) == ("failed", "mailbox full")
