"""A HubSpot account and a Salesforce org on 127.0.0.1 (``tests.utils.hubspot_emulator``,
``tests.utils.salesforce_emulator``), and runtimes pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text

from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.sync.hubspot import HubSpotSource, client_for
from storage.timeutil import FixedClock
from tests.utils import factories
from tests.utils.hubspot_emulator import HubSpotEmulator
from tests.utils.salesforce_emulator import SalesforceEmulator

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"

# The test process map's stages as a HubSpot pipeline (id, label, probability, isClosed).
STAGES = [("s-discover", "Discover", 0.2, False), ("s-validate", "Validate", 0.5, False),
          ("s-close", "Close", 0.8, False), ("s-won", "Closed Won", 1.0, True), ("s-lost", "Closed Lost", 0.0, True)]


@pytest.fixture
def hubspot(clock: FixedClock) -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(token=TOKEN, clock=clock.now, limit_per_10s=None, search_per_second=None) as emulator:
        emulator.add_pipeline("default", "Sales Pipeline", STAGES)
        yield emulator


@pytest.fixture
def sync_settings(settings: Settings, hubspot: HubSpotEmulator) -> Settings:
    return settings.model_copy(update={"hubspot_access_token": TOKEN, "hubspot_api_url": hubspot.base_url,
                                       "sync_lag_seconds": 60, "sync_lookback_seconds": 300,
                                       "hubspot_calls_per_10s": 10_000, "hubspot_search_per_second": 100})


@pytest.fixture
def sync_runtime(sync_settings: Settings, engine, clock: FixedClock) -> Runtime:
    return Runtime(sync_settings, engine=engine, clock=clock)


@pytest.fixture
def source(sync_settings: Settings) -> Iterator[HubSpotSource]:
    with client_for(sync_settings) as client:
        yield HubSpotSource(client)


@pytest.fixture
def reps(sync_runtime: Runtime):
    """Ann and Bob as reps; HubSpot's owners 501 (Ann, email in other case) and 502 (Bob, deactivated)."""
    with sync_runtime.session() as session:
        ann = factories.rep(session, "Ann Archer")
        bob = factories.rep(session, "Bob Baker")
    return ann, bob


def add_owners(hubspot: HubSpotEmulator) -> None:
    hubspot.add_owner("501", "ANN.Archer@Example.com", "Ann", "Archer")
    hubspot.add_owner("502", "bob.baker@example.com", "Bob", "Baker", archived=True)


def dump(runtime: Runtime) -> dict[str, list[tuple]]:
    """The tables a sync writes, as sorted rows without generated ids: equal dumps, equal databases."""
    queries = {
        "deal": "SELECT external_id, name, account, owner_id, stage_key, amount, status, created_at, stage_entered_at,"
                " close_date, closed_at, next_step, currency, undated FROM deal",
        "stagechange": "SELECT d.external_id, c.from_stage, c.to_stage, c.changed_at, c.source FROM stagechange c "
                       "JOIN deal d ON d.id = c.deal_id",
        "dealpropertychange": "SELECT d.external_id, p.property, p.value, p.changed_at FROM dealpropertychange p "
                              "JOIN deal d ON d.id = p.deal_id",
    }
    with runtime.engine.connect() as connection:
        return {name: sorted(tuple(str(v) for v in row) for row in connection.execute(text(sql)))
                for name, sql in queries.items()}


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# ---- Salesforce -------------------------------------------------------------------------------------------

CLIENT_ID = "3MVG9_sync_consumer_key"
USERNAME = "stagecoach@acme.example"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def org(key, clock: FixedClock) -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(clock=clock.now) as emulator:
        emulator.add_app(CLIENT_ID, key.public_key())
        start = clock.now() - timedelta(days=30)
        emulator.add_user(start, Username=USERNAME, FirstName="Stage", LastName="Coach", Email=USERNAME,
                          UserType="Standard")
        for label, closed, won in (("Needs Analysis", False, False), ("Value Proposition", False, False),
                                   ("Closed Won", True, True), ("Closed Lost", True, False)):
            emulator.add_stage(label, start, closed=closed, won=won)
        yield emulator


@pytest.fixture
def sf_runtime(settings: Settings, engine, clock: FixedClock, org, key, tmp_path) -> Runtime:
    key_file = tmp_path / "server.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Runtime(settings.model_copy(update={
        "salesforce_instance_url": org.instance_url, "salesforce_client_id": CLIENT_ID,
        "salesforce_username": USERNAME, "salesforce_private_key_file": key_file,
        "sync_lag_seconds": 60, "sync_lookback_seconds": 300}), engine=engine, clock=clock)


def with_ann(org: SalesforceEmulator, runtime: Runtime, clock: FixedClock) -> str:
    """Ann Archer as a rep here and a Salesforce user there; her user id."""
    with runtime.session() as session:
        factories.rep(session, "Ann Archer")
    return org.add_user(clock.now() - timedelta(days=60), Username="ann@acme.example", FirstName="Ann",
                        LastName="Archer", Email="ann.archer@example.com")
