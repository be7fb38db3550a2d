"""``stagecoach sync hubspot`` and ``stagecoach sync status`` against the emulator, as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.conftest import SMALL_PROCESS
from tests.sync.conftest import STAGES, TOKEN, add_owners
from tests.utils import factories
from tests.utils.hubspot_emulator import HubSpotEmulator


@pytest.fixture
def account():
    """HubSpot on the real clock (the CLI's), with two deals."""
    with HubSpotEmulator(token=TOKEN, limit_per_10s=None, search_per_second=None) as emulator:
        emulator.add_pipeline("default", "Sales Pipeline", STAGES)
        add_owners(emulator)
        week_ago = datetime.now(UTC) - timedelta(days=7)
        emulator.add_deal(name="Globex", stage="s-discover", owner="501", created=week_ago, amount="100")
        emulator.add_deal(name="Initech", stage="s-validate", owner="502", created=week_ago, amount="200")
        yield emulator


def _cli(db_url: str, account: HubSpotEmulator, *args: str, token: str = TOKEN):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
           "HUBSPOT_ACCESS_TOKEN": token, "STAGECOACH_HUBSPOT_API_URL": account.base_url}
    return CliRunner().invoke(main, list(args), env=env)


def test_sync_then_status(runtime, db_url, account):
    with runtime.session() as session:
        factories.rep(session, "Ann Archer")
        factories.rep(session, "Bob Baker")
    dry = _cli(db_url, account, "sync", "hubspot", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["created"] == 2 and json.loads(dry.stdout)["dry_run"] is True
    done = _cli(db_url, account, "sync", "hubspot")
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("hubspot: synced 2 deal(s): 2 created, 0 updated, 0 unchanged")
    status = _cli(db_url, account, "sync", "status", "--json")
    shown = json.loads(status.output)["hubspot"]
    assert shown["counts"]["created"] == 2 and shown["last_error"] is None and shown["api_calls"] > 0
    assert shown["token"] == "****" + TOKEN[-4:] and TOKEN not in status.output
    text = _cli(db_url, account, "sync", "status")
    assert "last run read 2 deal(s)" in text.output and TOKEN not in text.output
    assert "Salesforce sync: not set up (set SALESFORCE_INSTANCE_URL" in text.output


def test_a_wrong_token_is_one_line_and_never_printed(runtime, db_url, account):
    wrong = "pat-na1-99999999-8888-7777-6666-555555555555"
    result = _cli(db_url, account, "sync", "hubspot", token=wrong)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0 and "HTTP 401" in result.output
    assert wrong not in result.output
    status = _cli(db_url, account, "sync", "status", token=wrong)
    assert "HTTP 401" in status.output and wrong not in status.output


def test_a_first_sync_shows_its_progress_on_stderr_and_json_stays_clean(runtime, db_url, account):
    """The first sync of 1,203 deals: progress lines on stderr count up to the search's total as pages are
    committed (1,000 deals per transaction); stdout is the summary's JSON alone."""
    with runtime.session() as session:
        factories.rep(session, "Ann Archer")
        factories.rep(session, "Bob Baker")
    week_ago = datetime.now(UTC) - timedelta(days=7)
    for i in range(1201):
        account.add_deal(name=f"Deal {i}", stage="s-discover", owner="501", created=week_ago)
    result = _cli(db_url, account, "sync", "hubspot", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1203  # nothing but the JSON on stdout
    assert result.stderr.splitlines() == ["read 0 of 1,203 HubSpot deals", "read 1,000 of 1,203 HubSpot deals",
                                          "read 1,203 of 1,203 HubSpot deals"]
    quiet = _cli(db_url, account, "sync", "hubspot", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""
