"""Salesforce beside HubSpot: `sync status` shows both CRMs, `stagecoach run`'s clock syncs whichever are set
up, and the freshness line covers Salesforce."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlmodel import select

from bot.cli import main
from bot.core.runtime import Runtime
from bot.sync.freshness import freshness_notice
from bot.sync.schedule import run_scheduled_sync
from bot.sync.service import sync_salesforce, sync_statuses
from storage.models import Deal
from tests.conftest import SMALL_PROCESS
from tests.sync.conftest import USERNAME, with_ann


def test_status_shows_both_crms_and_a_coming_full_reconciliation(org, sf_runtime, clock):
    ann = with_ann(org, sf_runtime, clock)
    org.add_opportunity(clock.now() - timedelta(days=1), Name="Globex", StageName="Needs Analysis", OwnerId=ann)
    sync_salesforce(sf_runtime)
    hubspot, salesforce = sync_statuses(sf_runtime)
    assert (hubspot.crm, hubspot.configured) == ("hubspot", False)
    assert (salesforce.configured, salesforce.counts["created"], salesforce.reconcile_next) == (True, 1, False)
    assert salesforce.auth.startswith(f"JWT bearer as {USERNAME}, key file ")
    clock.advance(timedelta(days=16))
    assert sync_statuses(sf_runtime)[1].reconcile_next
    assert sync_salesforce(sf_runtime).reconciled
    assert not sync_statuses(sf_runtime)[1].reconcile_next


def test_stagecoach_sync_status_prints_both(runtime, db_url, org, sf_runtime):
    settings = sf_runtime.settings
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
           "SALESFORCE_INSTANCE_URL": org.instance_url, "SALESFORCE_CLIENT_ID": settings.salesforce_client_id,
           "SALESFORCE_USERNAME": USERNAME, "SALESFORCE_PRIVATE_KEY_FILE": str(settings.salesforce_private_key_file)}
    assert CliRunner().invoke(main, ["sync", "salesforce"], env=env).exit_code == 0
    text = CliRunner().invoke(main, ["sync", "status"], env=env).output
    assert "HubSpot sync: not set up" in text
    assert f"Salesforce sync ({org.instance_url}, JWT bearer as {USERNAME}" in text and "last run read 0 deal(s)" in text
    shown = json.loads(CliRunner().invoke(main, ["sync", "status", "--json"], env=env).output)
    assert set(shown) == {"hubspot", "salesforce"} and shown["salesforce"]["last_error"] is None


def test_the_scheduled_sync_runs_salesforce_when_it_is_set_up(org, sf_runtime, clock):
    ann = with_ann(org, sf_runtime, clock)
    org.add_opportunity(clock.now() - timedelta(days=1), Name="Globex", StageName="Needs Analysis", OwnerId=ann)
    assert freshness_notice(sf_runtime) == "deal data not synced from Salesforce yet"
    run_scheduled_sync(sf_runtime)
    with sf_runtime.session() as session:
        assert [deal.name for deal in session.exec(select(Deal))] == ["Globex"]
    assert freshness_notice(sf_runtime) is None
    clock.advance(timedelta(hours=3))
    assert freshness_notice(sf_runtime) == "deal data last synced 3 h ago"
    org.sessions_refused = True  # Salesforce refuses: logged, not raised; the schedule goes on
    run_scheduled_sync(Runtime(sf_runtime.settings, engine=sf_runtime.engine, clock=clock))
    assert "INVALID_SESSION_ID" in sync_statuses(sf_runtime)[1].last_error
