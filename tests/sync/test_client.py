"""The CRM client against the emulator: limits kept, 429s waited out, 5xx retried, 401/403 in one line."""

from __future__ import annotations

import time

import pytest

from bot.sync.client import CrmAuthError, CrmClient, CrmError
from bot.sync.hubspot import scope_for
from tests.utils.hubspot_emulator import READ_SCOPES, HubSpotEmulator

TOKEN = "pat-na1-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SEARCH = "/crm/v3/objects/deals/search"


class Sleeps:
    """Records waits instead of waiting (the client's ``sleep``)."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def emulator():
    with HubSpotEmulator(token=TOKEN, limit_per_10s=None, search_per_second=None) as server:
        server.add_default_pipeline()
        yield server


def test_429_waits_retry_after_when_sent_else_backs_off_with_jitter(emulator):
    sleeps = Sleeps()
    with CrmClient(emulator.base_url, TOKEN, sleep=sleeps, jitter=lambda: 0.5) as client:
        emulator.fail_next({"status": 429, "retry_after": 7})
        assert client.get("/crm/v3/pipelines/deals")["results"]
        emulator.fail_next({"status": 429}, {"status": 429})
        assert client.get("/crm/v3/pipelines/deals")["results"]
    assert sleeps.waits == [7.0, 0.5 * 1.0, 0.5 * 2.0]  # Retry-After; then half of 1 s, 2 s (full jitter)
    assert client.budget.retries == 3


def test_5xx_and_timeouts_are_retried_then_reported_in_one_line(emulator):
    sleeps = Sleeps()
    with CrmClient(emulator.base_url, TOKEN, sleep=sleeps, timeout=0.5, retries=2) as client:
        emulator.fail_next({"status": 502}, {"delay": 1.0})
        assert client.get("/crm/v3/pipelines/deals")["results"]  # a 502, a timeout, then an answer
        emulator.fail_next(*[{"status": 500}] * 3)
        with pytest.raises(CrmError) as failed:
            client.get("/crm/v3/pipelines/deals")
    assert str(failed.value) == "GET /crm/v3/pipelines/deals: HTTP 500 after 2 retries; try again later"


def test_401_stops_at_once_in_one_line_without_the_token(emulator):
    wrong = "pat-na1-wrong-token-0000-1111"
    with CrmClient(emulator.base_url, wrong, sleep=Sleeps()) as client, pytest.raises(CrmAuthError) as refused:
        client.get("/crm/v3/owners")
    message = str(refused.value)
    assert "\n" not in message and "HTTP 401" in message and "HUBSPOT_ACCESS_TOKEN" in message
    assert wrong not in message and emulator.calls == [("GET", "/crm/v3/owners")]  # no retry of a refusal


def test_403_names_the_missing_scope(emulator):
    emulator.scopes = set(READ_SCOPES - {"crm.objects.owners.read"})
    with CrmClient(emulator.base_url, TOKEN, scope_hint=scope_for) as client, pytest.raises(CrmAuthError) as refused:
        client.get("/crm/v3/owners")
    assert "crm.objects.owners.read" in str(refused.value) and "\n" not in str(refused.value)


def test_the_client_stays_under_the_search_limit_per_second(emulator):
    emulator.search_per_second = 2
    with CrmClient(emulator.base_url, TOKEN, search_per_second=2) as client:
        started = time.monotonic()
        for _ in range(5):
            client.post(SEARCH, {"limit": 1})
        took = time.monotonic() - started
    assert 429 not in emulator.statuses and took >= 2.0  # 5 calls at 2 per second: two full seconds of waiting
    assert client.budget.search_calls == 5


def test_the_rate_limit_headers_make_the_client_wait_when_the_app_has_no_calls_left(emulator):
    emulator.limit_per_10s = 3  # the app's real limit, lower than the client was told (another integration...)
    sleeps = Sleeps()
    with CrmClient(emulator.base_url, TOKEN, calls_per_10s=100, sleep=sleeps) as client:
        client.get("/crm/v3/pipelines/deals")
        assert (client.budget.limit, client.budget.remaining) == (3, 2)
        assert sleeps.waits == []
        client.get("/crm/v3/pipelines/deals")
        client.get("/crm/v3/pipelines/deals")
    assert client.budget.remaining == 0 and sleeps.waits == [10.0]  # X-HubSpot-RateLimit-Interval-Milliseconds
    assert 429 not in emulator.statuses


def test_a_client_ignoring_the_limits_meets_hubspots_429(emulator):
    emulator.search_per_second = 2
    with (CrmClient(emulator.base_url, TOKEN, search_per_second=None, sleep=Sleeps(), retries=0) as client,
          pytest.raises(CrmError) as limited):
        for _ in range(5):
            client.post(SEARCH, {"limit": 1})
    assert "HTTP 429" in str(limited.value)
