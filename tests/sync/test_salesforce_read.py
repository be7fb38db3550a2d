"""The Salesforce read path against a Salesforce API emulator on 127.0.0.1: the JWT bearer login (the test
makes its own key pair), SOQL query and queryMore, the daily API limit, expired sessions, and the org's
stages, users and opportunities as the same typed records the HubSpot read path gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.core.config import Settings
from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.sync.client import CrmAuthError, CrmError
from bot.sync.records import CrmDeal
from bot.sync.salesforce import SalesforceClient, SalesforceLimitError, SalesforceSource, client_for, parse_limit_info
from tests.utils.salesforce_emulator import SalesforceEmulator

CLIENT_ID = "3MVG9_test_consumer_key"
USERNAME = "stagecoach@acme.example"
T0 = datetime(2026, 9, 1, 12, tzinfo=UTC)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def org(key) -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(batch_size=2) as emulator:
        emulator.add_app(CLIENT_ID, key.public_key())
        emulator.add_user(T0, Username=USERNAME, FirstName="Stage", LastName="Coach", Email=USERNAME)
        yield emulator


@pytest.fixture
def sf_settings(settings: Settings, org: SalesforceEmulator, key, tmp_path) -> Settings:
    key_file = tmp_path / "server.key"
    key_file.write_text(_pem(key))
    return settings.model_copy(update={"salesforce_instance_url": org.instance_url, "salesforce_client_id": CLIENT_ID,
                                       "salesforce_username": USERNAME, "salesforce_private_key_file": key_file})


@pytest.fixture
def client(sf_settings) -> Iterator[SalesforceClient]:
    with client_for(sf_settings, sleep=lambda seconds: None) as client:
        yield client


def _client(org, key, **kwargs) -> SalesforceClient:
    return SalesforceClient(org.instance_url, kwargs.pop("client_id", CLIENT_ID), kwargs.pop("username", USERNAME),
                            _pem(key), sleep=lambda seconds: None, **kwargs)


# ---- login -------------------------------------------------------------------------------------------------

def test_the_jwt_login_gives_a_session(org, client):
    client.login()
    assert [call for call in org.calls if call[0] == "POST"] == [("POST", "/services/oauth2/token")]
    assert len(org.sessions) == 1


def test_a_key_the_app_does_not_hold_is_refused_in_one_line(org, key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(CrmAuthError) as caught:
        _client(org, other).login()
    message = str(caught.value)
    assert message.startswith("Salesforce refused the JWT login (invalid_grant: invalid assertion)")
    assert "\n" not in message and "PRIVATE KEY" not in message and not org.sessions


@pytest.mark.parametrize(("kwargs", "reply"), [
    ({"client_id": "someone-else"}, "invalid_client_id: client identifier invalid"),
    ({"username": "nobody@acme.example"}, "invalid_grant: user hasn't approved this consumer"),
    ({"audience": "https://acme.my.salesforce.com"}, "invalid_grant: audience is invalid"),
    ({"now": lambda: datetime.now(UTC).timestamp() - 3600}, "invalid_grant: expired assertion"),
])
def test_each_claim_is_checked(org, key, kwargs, reply):
    with pytest.raises(CrmAuthError, match=f"refused the JWT login \\({reply}\\)"):
        _client(org, key, **kwargs).login()


def test_settings_name_what_is_missing(settings):
    with pytest.raises(InvalidInput, match="set SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID, SALESFORCE_USERNAME, "
                                           "SALESFORCE_PRIVATE_KEY_FILE"):
        client_for(settings)


def test_an_expired_session_is_renewed_once(org, client):
    assert len(list(client.query("SELECT Id FROM User"))) == 1
    org.expire_sessions()

    assert len(list(client.query("SELECT Id FROM User"))) == 1
    assert [call for call in org.calls if call[0] == "POST"] == [("POST", "/services/oauth2/token")] * 2


# ---- query and queryMore -----------------------------------------------------------------------------------

def _stages(org):
    for label, closed, won in (("Needs Analysis", False, False), ("Value Proposition", False, False),
                               ("Closed Won", True, True), ("Closed Lost", True, False)):
        org.add_stage(label, T0, closed=closed, won=won)


def test_query_follows_next_records_url_to_the_last_batch(org, client):
    _stages(org)
    owner = next(iter(org.records["User"]))
    for n in range(5):
        org.add_opportunity(T0 + timedelta(minutes=n % 2), Name=f"Deal {n}", StageName="Needs Analysis",
                            OwnerId=owner)

    records = list(client.query("SELECT Id, Name, SystemModstamp FROM Opportunity ORDER BY SystemModstamp, Id"))

    assert len(records) == 5 and all(r["attributes"]["type"] == "Opportunity" for r in records)
    assert [r["Name"] for r in records] == ["Deal 0", "Deal 2", "Deal 4", "Deal 1", "Deal 3"]
    pages = [path for method, path in org.calls if method == "GET"]
    assert len(pages) == 3 and "/query/" in pages[1] and "/query/" in pages[2]


@pytest.mark.parametrize("soql", [
    "SELECT Id FROM Opportunity WHERE Name LIKE 'Glob%'",
    "SELECT Id FROM Opportunity WHERE StageName = 'a' OR StageName = 'b'",
    "SELECT Id FROM Opportunity WHERE CloseDate = NEXT_MONTH",
    "SELECT Id FROM Opportunity WHERE SystemModstamp > 2026-09-01T12:00:00.000Z",  # SOQL: whole seconds
    "SELECT Id FROM Opportunity GROUP BY StageName",
])
def test_the_emulator_refuses_a_query_it_does_not_answer(client, soql):
    with pytest.raises(CrmError, match="HTTP 400 (MALFORMED_QUERY|INVALID_FIELD)"):
        list(client.query(soql))


def test_an_unknown_field_is_refused(client):
    with pytest.raises(CrmError, match="INVALID_FIELD\\): No such column 'Probabilty' on entity 'Opportunity'"):
        list(client.query("SELECT Id, Probabilty FROM Opportunity"))


# ---- limits ------------------------------------------------------------------------------------------------

def test_the_limit_header_is_read():
    assert parse_limit_info("api-usage=18/5000") == (18, 5000)
    assert parse_limit_info("per-app-api-usage=2/250(appName=x), api-usage=25/5000") == (25, 5000)
    assert parse_limit_info(None) is None and parse_limit_info("api-usage=?") is None


def test_the_sync_stops_before_the_share_left_to_other_integrations(org, key):
    org.daily_limit, org.api_used = 100, 78
    client = _client(org, key, reserve=0.2)
    list(client.query("SELECT Id FROM User"))  # the 79th call of the day
    list(client.query("SELECT Id FROM User"))  # the 80th
    assert (client.usage.used, client.usage.limit) == (80, 100)

    with pytest.raises(SalesforceLimitError, match="used 80 of its 100 daily API calls; the sync stops at 80%"):
        list(client.query("SELECT Id FROM User"))
    assert org.api_used == 80  # the call was not made


def test_request_limit_exceeded_stops_in_one_line(org, key):
    org.daily_limit, org.api_used = 100, 100
    with pytest.raises(SalesforceLimitError, match="daily API limit is spent \\(TotalRequests Limit exceeded.\\)"):
        list(_client(org, key, reserve=0.0).query("SELECT Id FROM User"))


# ---- the org as records ------------------------------------------------------------------------------------

def test_mapping_maps_stages_and_keeps_people_only(org, client, runtime: Runtime):
    _stages(org)
    org.add_stage("Renewal Won", T0, closed=True, won=True)  # not a preset name: closed and won, so won
    ann = org.add_user(T0, Username="ann@acme.example", FirstName="Ann", LastName="Archer", Email="ann@acme.example")
    gone = org.add_user(T0, Username="bob@acme.example", FirstName="Bob", LastName="Baker", Email="bob@acme.example",
                        IsActive=False)
    org.add_user(T0, Username="autoproc@00d8a000000abcd", FirstName="Automated", LastName="Process",
                 Email="noreply@acme.example", UserType="AutomatedProcess")
    org.add_user(T0, Username="integration@00d8a000000abcd.ext", FirstName="Integration", LastName="User",
                 Email="integration@acme.example")

    mapping = SalesforceSource(client).mapping(runtime.process)

    assert mapping.stages == {"Needs Analysis": "discover", "Value Proposition": "validate", "Closed Won": "won",
                              "Closed Lost": "lost", "Renewal Won": "won"}
    people = {owner.email: (owner.name, owner.archived) for owner in mapping.owners.values()}
    assert people == {USERNAME: ("Stage Coach", False), "ann@acme.example": ("Ann Archer", False),
                      "bob@acme.example": ("Bob Baker", True)}
    assert set(mapping.owners) == {next(iter(org.records["User"])), ann, gone}


def test_unmapped_stages_fail_in_one_message(org, client, runtime: Runtime):
    _stages(org)
    org.add_stage("Prospecting", T0)
    org.add_stage("Legal Review", T0)

    with pytest.raises(InvalidInput) as caught:
        SalesforceSource(client).mapping(runtime.process)

    assert str(caught.value).startswith("2 Salesforce stage(s) map to no stage of")
    assert "'Prospecting'" in str(caught.value) and "'Legal Review'" in str(caught.value)
    SalesforceSource(client).mapping(runtime.process, {"Prospecting": "discover", "legal review": "validate"})


def test_opportunities_come_as_crm_deals(org, client):
    _stages(org)
    owner = next(iter(org.records["User"]))
    globex = org.add_account("Globex", T0)
    first = org.add_opportunity(T0 + timedelta(hours=1), Name=" Globex renewal ", AccountId=globex,
                                StageName="Value Proposition", Amount=9225.225, CloseDate=date(2026, 12, 15),
                                CreatedDate=T0, OwnerId=owner, NextStep="Send the proposal")
    second = org.add_opportunity(T0, Name="No account", StageName="Closed Won", OwnerId=owner)

    source = SalesforceSource(client)
    assert source.count(T0, T0 + timedelta(hours=1)) == 2
    assert source.count(T0 + timedelta(seconds=1), T0 + timedelta(hours=2)) == 1
    assert list(source.changed_ids(T0, T0 + timedelta(minutes=59, seconds=59, microseconds=500_000))) == [[second]]
    deals = {deal.crm_id: deal for deal in source.deals([first, second, "006000000000999AAA"])}

    assert deals[first] == CrmDeal(
        crm_id=first, name="Globex renewal", stage="Value Proposition", pipeline=None, owner_id=owner,
        amount="9225.225", currency=None, created_at="2026-09-01T12:00:00.000+0000", close_date="2026-12-15",
        next_step="Send the proposal", forecast_category="Pipeline", modified_at=T0 + timedelta(hours=1),
        company="Globex", stage_history=(("Value Proposition", T0),), close_date_history=(("2026-12-15", T0),),
        amount_history=(("9225.225", T0),), stage_entered_at=T0)
    assert (deals[second].company, deals[second].amount, deals[second].forecast_category) == (None, None, "Closed")
    assert len(deals) == 2  # an id Salesforce no longer has is left out


def test_no_secret_in_the_client_or_its_errors(org, client, key):
    list(client.query("SELECT Id FROM User"))
    session = next(iter(org.sessions))
    with pytest.raises(CrmError) as caught:
        list(client.query("SELECT Id FROM Opportunity WHERE Name LIKE 'x'"))
    for text in (repr(client), str(caught.value)):
        assert session not in text and "PRIVATE KEY" not in text and _pem(key)[40:80] not in text
