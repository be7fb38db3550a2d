"""``stagecoach digest``: preview as text or JSON, send with a summary, and clear errors; as cron would run it."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from storage import digest as store
from tests.conftest import SMALL_PROCESS
from tests.digest.fixtures import MONDAY, MONDAY_AFTERNOON_UTC
from tests.utils import factories as f
from tests.utils.slack_emulator import SlackEmulator

AT = MONDAY_AFTERNOON_UTC.isoformat()


@pytest.fixture
def work(runtime, floor):
    """Lucy has an overdue follow-up on CRM-7; Otto a deal past its close date."""
    with runtime.session() as s:
        f.followup(s, f.deal(s, floor.lucy, "Acme", external_id="CRM-7", now=MONDAY_AFTERNOON_UTC),
                   MONDAY_AFTERNOON_UTC - timedelta(days=3), "Call the CFO")
        f.deal(s, floor.otto, "Umbrella", stage="validate", external_id="CRM-8", now=MONDAY_AFTERNOON_UTC,
               close_date=MONDAY - timedelta(days=2))
    return floor


def run(runtime, *args, slack=None):
    env = {"STAGECOACH_DATABASE_URL": runtime.settings.database_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
    if slack is not None:
        env |= {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url}
    return CliRunner().invoke(main, ["digest", *args], env=env)


def test_dry_run_json_lists_each_person_with_items_and_deal_external_ids_and_records_nothing(runtime, work):
    result = run(runtime, "--now", AT, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    digests = {(d["person"]["name"], d["kind"]): d for d in json.loads(result.stdout)["digests"]}
    assert set(digests) == {("Lucy Park", "rep"), ("Otto Berg", "rep"), ("Mia Manager", "rep"), ("Mia Manager", "manager")}
    lucy = digests[("Lucy Park", "rep")]
    assert [(i["section"], i["deal"], i["days"], i["note"]) for i in lucy["items"]] == [("overdue", "CRM-7", 3, "Call the CFO")]
    assert [(i["section"], i["deal"], i["close_date"]) for i in digests[("Otto Berg", "rep")]["items"]] == [
        ("past_close", "CRM-8", "2026-11-21")]
    assert (digests[("Mia Manager", "rep")]["would_send"], lucy["would_send"]) == (False, True)
    assert digests[("Mia Manager", "manager")]["items"][0] == {
        "section": "overdue_by_rep", "rep_id": work.lucy.id, "rep": "Lucy Park", "count": 1, "oldest_days_overdue": 3}
    with runtime.session() as s:
        assert store.deliveries(session=s) == []


def test_dry_run_text_shows_each_digest_as_it_would_read(runtime, work):
    result = run(runtime, "--now", AT, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Lucy Park · digest · Mon 2026-11-23 · America/Los_Angeles" in result.output
    assert "Acme · Discover" in result.output and "3 days overdue" in result.output
    assert "Next: Run a discovery call on pain and impact" in result.output
    assert "Mia Manager · digest" in result.output and "Nothing due: not sent" in result.output


def test_a_date_previews_everyone_whose_workday_it_is(runtime, work):
    result = run(runtime, "--date", "2026-11-23", "--dry-run", "--json")
    names = {d["person"]["name"] for d in json.loads(result.stdout)["digests"]}
    assert names == {"Kenji Sato", "Lucy Park", "Otto Berg", "Mia Manager"}
    saturday = run(runtime, "--date", "2026-11-21", "--dry-run")
    assert saturday.exit_code == 0 and "No digests due." in saturday.output


def test_sending_prints_the_summary_and_a_second_run_sends_nothing(runtime, work):
    with SlackEmulator() as slack:
        first = run(runtime, "--now", AT, slack=slack)
        second = run(runtime, "--now", AT, "--json", slack=slack)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "digest: 3 sent, 1 empty (nothing due, not sent), 0 skipped, 0 failed"
    assert sorted(b["channel"] for b in slack.calls_to("chat.postMessage")) == sorted(
        [work.lucy.slack_user_id, work.otto.slack_user_id, work.mia.slack_user_id])
    assert json.loads(second.stdout)["sent"] == 0


def test_a_failed_dm_makes_the_command_fail_for_cron(runtime, work):
    with SlackEmulator() as slack:
        slack.script("chat.postMessage", *[{"ok": False, "error": "account_inactive"}] * 3)
        result = run(runtime, "--now", AT, slack=slack)
    assert result.exit_code == 1
    assert "0 sent" in result.output and "3 failed" in result.output and "account_inactive" in result.output


def test_sending_without_a_token_says_how_to_preview(runtime, work):
    result = run(runtime, "--now", AT)
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN is not set" in result.output and "--dry-run" in result.output


@pytest.mark.parametrize("args, message", [
    (["--date", "23/11/2026"], "Invalid value for '--date'"),
    (["--now", "monday"], "not an ISO 8601 date or datetime"),
])
def test_bad_dates_are_refused_clearly(runtime, args, message):
    result = run(runtime, *args, "--dry-run")
    assert result.exit_code == 2 and message in result.output
