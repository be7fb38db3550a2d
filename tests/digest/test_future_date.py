"""``stagecoach digest --date`` a day after today: a dry run unless --force; a forced send never suppresses that day's."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from storage import digest as store
from storage.models import Rep
from tests.digest.fixtures import MONDAY_AFTERNOON_UTC
from tests.digest.test_cli import run
from tests.utils import factories as f
from tests.utils.slack_emulator import SlackEmulator

AT = MONDAY_AFTERNOON_UTC.isoformat()  # Monday 16:30 UTC: Tuesday 01:30 in Tokyo
TUESDAY_AFTERNOON = (MONDAY_AFTERNOON_UTC + timedelta(days=1)).isoformat()
NOTE = ("2026-11-24 is after today (2026-11-23, UTC): a dry run, nothing sent. Add --force to send that day's "
        "digests now (recorded as early: that day's scheduled digest still goes out).")


@pytest.fixture
def work(runtime, floor):
    with runtime.session() as s:
        for rep, name in ((floor.lucy, "Acme"), (floor.otto, "Umbrella"), (floor.kenji, "Hooli")):
            f.followup(s, f.deal(s, rep, name, now=MONDAY_AFTERNOON_UTC),
                       MONDAY_AFTERNOON_UTC - timedelta(days=3), "Call the CFO")
    return floor


def deliveries(runtime) -> list[tuple[str, str, str]]:
    """(name, kind, local date) of every digest recorded as sent."""
    with runtime.session() as s:
        names = {r.id: r.name for r in s.exec(select(Rep)).all()}
        return sorted((names[d.rep_id], d.kind, d.local_date.isoformat())
                      for d in store.deliveries(session=s) if d.status == "sent")


def test_a_future_date_without_force_is_a_dry_run_that_says_so(runtime, work):
    with SlackEmulator() as slack:
        result = run(runtime, "--now", AT, "--date", "2026-11-24", slack=slack)
        # Positive control: the same command for today does send.
        today = run(runtime, "--now", AT, "--date", "2026-11-23", slack=slack)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == NOTE
    assert "Lucy Park · digest · Tue 2026-11-24" in result.stdout
    assert today.exit_code == 0 and today.stderr == ""
    posted = slack.calls_to("chat.postMessage")
    assert {b["channel"] for b in posted} == {work.lucy.slack_user_id, work.otto.slack_user_id,
                                              work.kenji.slack_user_id, work.mia.slack_user_id}
    assert deliveries(runtime) == sorted([("Kenji Sato", "rep", "2026-11-23"), ("Lucy Park", "rep", "2026-11-23"),
                                          ("Otto Berg", "rep", "2026-11-23"), ("Mia Manager", "manager", "2026-11-23")])


def test_a_forced_early_send_is_recorded_as_early_and_the_day_s_digest_still_goes_out(runtime, work):
    with SlackEmulator() as slack:
        forced = run(runtime, "--now", AT, "--date", "2026-11-24", "--force", "--json", slack=slack)
        again = run(runtime, "--now", AT, "--date", "2026-11-24", "--force", "--json", slack=slack)
        early_posts = len(slack.calls_to("chat.postMessage"))
        on_the_day = run(runtime, "--now", TUESDAY_AFTERNOON, "--json", slack=slack)
    assert forced.exit_code == 0, forced.output
    sent = {(o["name"], o["kind"]): o["reason"] for o in json.loads(forced.stdout)["outcomes"] if o["status"] == "sent"}
    early = "early: that day's scheduled digest still goes out"
    # Tuesday has begun in Tokyo: Kenji's is no early send, and is recorded as his day's digest.
    assert sent == {("Lucy Park", "rep"): early, ("Otto Berg", "rep"): early, ("Mia Manager", "manager"): early,
                    ("Kenji Sato", "rep"): None}
    assert json.loads(again.stdout)["sent"] == 0  # an early send happens once
    # On Tuesday the scheduled run sends Lucy's, Otto's and Mia's roll-up again; Kenji already had his.
    assert on_the_day.exit_code == 0, on_the_day.output
    assert {(o["name"], o["kind"]) for o in json.loads(on_the_day.stdout)["outcomes"] if o["status"] == "sent"} == {
        ("Lucy Park", "rep"), ("Otto Berg", "rep"), ("Mia Manager", "manager")}
    assert len(slack.calls_to("chat.postMessage")) == early_posts + 3
    assert deliveries(runtime) == sorted([
        ("Kenji Sato", "rep", "2026-11-24"), ("Lucy Park", "rep", "2026-11-24"), ("Lucy Park", "rep-early", "2026-11-24"),
        ("Otto Berg", "rep", "2026-11-24"), ("Otto Berg", "rep-early", "2026-11-24"),
        ("Mia Manager", "manager", "2026-11-24"), ("Mia Manager", "manager-early", "2026-11-24")])
