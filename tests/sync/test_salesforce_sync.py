"""A Salesforce org synced through the same engine as HubSpot (``bot.sync.engine.sync``), against the
Salesforce API emulator, on SQLite and PostgreSQL: windows of SystemModstamp read whole through queryMore,
however many opportunities share one stamp."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import func, select

from bot.cli import main
from bot.core.runtime import Runtime
from bot.sync.engine import sync
from bot.sync.salesforce import SalesforceSource, client_for
from storage.models import Deal, DealStatus
from tests.conftest import SMALL_PROCESS
from tests.sync.conftest import CLIENT_ID, USERNAME
from tests.utils import factories
from tests.utils.salesforce_emulator import SalesforceEmulator

pytestmark = pytest.mark.postgres

def _deals(runtime: Runtime) -> dict[str, Deal]:
    with runtime.session() as session:
        return {deal.external_id: deal for deal in session.exec(select(Deal))}


def test_2500_opportunities_sharing_one_stamp_sync_once_and_a_second_run_changes_nothing(org, sf_runtime, clock):
    with sf_runtime.session() as session:
        ann = factories.rep(session, "Ann Archer")
    owner = org.add_user(clock.now(), Username="ann@acme.example", FirstName="Ann", LastName="Archer",
                         Email="Ann.Archer@Example.com")
    org.add_user(clock.now(), Username="autoproc@00d8a000000abcd", FirstName="Automated", LastName="Process",
                 Email="noreply@acme.example", UserType="AutomatedProcess")  # not a person: needs no rep
    stamp = clock.now() - timedelta(hours=1)  # a mass update: one SystemModstamp for all
    globex = org.add_account("Globex", stamp)
    ids = [org.add_opportunity(stamp, Name=f"Deal {n}", StageName="Value Proposition", OwnerId=owner,
                               AccountId=globex, Amount=1000 + n, CreatedDate=stamp - timedelta(days=3))
           for n in range(2500)]

    with client_for(sf_runtime.settings) as client:
        first = sync(sf_runtime, SalesforceSource(client), budget=client.usage)

    assert (first.deals_read, first.created) == (2500, 2500)
    deals = _deals(sf_runtime)
    assert set(deals) == set(ids)
    assert (deals[ids[7]].owner_id, deals[ids[7]].stage_key, deals[ids[7]].amount, deals[ids[7]].account) == (
        ann.id, "validate", Decimal("1007.00"), "Globex")
    # The 2,500 ids came in two batches (queryMore), then 13 Id IN (...) reads of 200 and 13 of their
    # OpportunityHistory: with the stages, the users, the count, whether the integration user (no rep) owns
    # a deal and the describe that says whether the org has currencies, 33 API calls (and one login).
    assert sum("/query/" in path for method, path in org.calls) == 1
    assert first.api_calls == 33 and org.calls.count(("POST", "/services/oauth2/token")) == 1

    with client_for(sf_runtime.settings) as client:
        second = sync(sf_runtime, SalesforceSource(client))
    assert (second.created, second.updated) == (0, 0)

    clock.advance(timedelta(minutes=10))
    org.edit_opportunity(ids[0], clock.now() - timedelta(minutes=5), StageName="Closed Won")
    with client_for(sf_runtime.settings) as client:
        third = sync(sf_runtime, SalesforceSource(client))
    assert (third.deals_read, third.updated) == (1, 1)
    assert _deals(sf_runtime)[ids[0]].status == DealStatus.won
    with sf_runtime.session() as session:
        assert session.exec(select(func.count()).select_from(Deal)).one() == 2500


def test_an_owner_who_is_no_rep_stops_the_sync_in_one_message(org, sf_runtime, clock):
    owner = org.add_user(clock.now(), Username="zed@acme.example", FirstName="Zed", LastName="Zane",
                         Email="zed@acme.example")
    org.add_opportunity(clock.now() - timedelta(hours=1), Name="Orphan", StageName="Needs Analysis", OwnerId=owner)

    with client_for(sf_runtime.settings) as client, pytest.raises(Exception) as caught:
        sync(sf_runtime, SalesforceSource(client))

    assert str(caught.value).startswith("1 salesforce deal owner(s) match no rep by email")
    assert _deals(sf_runtime) == {}


def _cli(db_url: str, org: SalesforceEmulator, key_file, *args: str):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
           "SALESFORCE_INSTANCE_URL": org.instance_url, "SALESFORCE_CLIENT_ID": CLIENT_ID,
           "SALESFORCE_USERNAME": USERNAME, "SALESFORCE_PRIVATE_KEY_FILE": str(key_file)}
    return CliRunner().invoke(main, list(args), env=env)


def test_stagecoach_sync_salesforce(runtime, db_url, org, sf_runtime):
    """As a user runs it, on the real clock (the CLI's); a key the app does not hold is one line, unprinted."""
    with runtime.session() as session:
        factories.rep(session, "Ann Archer")
    owner = org.add_user(datetime.now(UTC), Username="ann@acme.example", FirstName="Ann", LastName="Archer",
                         Email="ann.archer@example.com")
    org.add_opportunity(datetime.now(UTC) - timedelta(days=1), Name="Globex", StageName="Needs Analysis",
                        OwnerId=owner, Amount=100)
    key_file = sf_runtime.settings.salesforce_private_key_file

    dry = _cli(db_url, org, key_file, "sync", "salesforce", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["created"] == 1 and json.loads(dry.output)["dry_run"] is True
    done = _cli(db_url, org, key_file, "sync", "salesforce")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("salesforce: synced 1 deal(s): 1 created, 0 updated, 0 unchanged")

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = key_file.with_name("other.key")
    wrong.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    refused = _cli(db_url, org, wrong, "sync", "salesforce")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.output.strip().count("\n") == 0 and "invalid_grant" in refused.output
    assert "PRIVATE KEY" not in refused.output


def test_an_amount_with_more_decimals_than_its_currency_is_rounded_by_the_sync(org, sf_runtime, clock):
    with sf_runtime.session() as session:
        factories.rep(session, "Ann Archer")
    owner = org.add_user(clock.now(), Username="ann@acme.example", FirstName="Ann", LastName="Archer",
                         Email="ann.archer@example.com")
    deal_id = org.add_opportunity(clock.now() - timedelta(hours=1), Name="Globex", StageName="Needs Analysis",
                                  OwnerId=owner, Amount=9225.225)

    with client_for(sf_runtime.settings) as client:
        sync(sf_runtime, SalesforceSource(client))

    assert _deals(sf_runtime)[deal_id].amount == Decimal("9225.22")
