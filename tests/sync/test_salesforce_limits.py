"""Salesforce's limits and failures during a sync: the daily budget kept, retries with backoff, an expired
session renewed, and one clear line for what only a person can mend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.runtime import Runtime
from bot.sync.client import CrmAuthError, CrmError
from bot.sync.engine import sync
from bot.sync.salesforce import SalesforceLimitError, SalesforceSource, client_for
from bot.sync.service import sync_salesforce
from storage import sync as store
from storage.models import Deal
from tests.sync.conftest import USERNAME, with_ann

pytestmark = pytest.mark.postgres


def _org_with_deals(org, runtime: Runtime, clock, n: int) -> list[str]:
    ann = with_ann(org, runtime, clock)
    start = clock.now() - timedelta(days=2)
    return [org.add_opportunity(start + timedelta(seconds=i), Name=f"Deal {i}", StageName="Needs Analysis",
                                OwnerId=ann) for i in range(n)]


def _deal_count(runtime: Runtime) -> int:
    with runtime.session() as session:
        return len(session.exec(select(Deal.id)).all())


def test_5xx_dropped_connections_and_the_concurrent_limit_are_retried_with_backoff(org, sf_runtime, clock):
    _org_with_deals(org, sf_runtime, clock, 3)
    org.fail_next({"status": 503}, {"drop": True}, {"status": 500},
                  {"status": 403, "code": "REQUEST_LIMIT_EXCEEDED",
                   "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded."})
    waits: list[float] = []
    with client_for(sf_runtime.settings, sleep=waits.append, jitter=lambda: 1.0) as client:
        summary = sync(sf_runtime, SalesforceSource(client))
        assert client.usage.retries == 4
    assert summary.created == 3
    assert waits == [1.0, 2.0, 4.0, 8.0]  # exponential backoff (full jitter, here at its top)


def test_the_daily_budget_stops_the_sync_leaving_the_configured_share(org, sf_runtime, clock):
    _org_with_deals(org, sf_runtime, clock, 450)  # three pages of 200
    runtime = Runtime(sf_runtime.settings.model_copy(update={"salesforce_api_reserve": 0.5}),
                      engine=sf_runtime.engine, clock=clock)
    org.daily_limit, org.api_used = 100, 40  # other integrations used 40 today
    with pytest.raises(SalesforceLimitError) as stopped:
        sync_salesforce(runtime)
    assert "used 50 of its 100 daily API calls; the sync stops at 50%" in str(stopped.value)
    assert org.api_used == 50  # not one call past the share
    with runtime.session() as session:
        state = store.sync_state(session=session, crm="salesforce")
    assert "daily API calls" in state.last_error and state.last_success_at is None


def test_the_daily_limit_spent_by_salesforces_count_is_not_retried(org, sf_runtime, clock):
    _org_with_deals(org, sf_runtime, clock, 1)
    org.fail_next({"status": 403, "code": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."})
    with pytest.raises(SalesforceLimitError, match="daily API limit is spent"):
        sync_salesforce(sf_runtime)
    assert _deal_count(sf_runtime) == 0


def test_an_expired_session_is_renewed_once_mid_sync(org, sf_runtime, clock):
    ids = _org_with_deals(org, sf_runtime, clock, 450)
    pages = []

    def expire_after_first_page(method, path):
        if "Id+IN" in path:
            pages.append(path)
            if len(pages) == 1:
                org.expire_sessions()

    org.on_request = expire_after_first_page
    summary = sync_salesforce(sf_runtime)
    assert summary.created == len(ids)
    assert org.calls.count(("POST", "/services/oauth2/token")) == 2


def test_a_session_refused_even_when_new_stops_in_one_line(org, sf_runtime, clock):
    _org_with_deals(org, sf_runtime, clock, 1)
    org.sessions_refused = True
    with pytest.raises(CrmAuthError) as refused:
        sync_salesforce(sf_runtime)
    message = str(refused.value)
    assert "\n" not in message and "INVALID_SESSION_ID" in message and USERNAME in message
    assert org.calls.count(("POST", "/services/oauth2/token")) == 2  # renewed once, then stopped


def test_a_missing_permission_stops_in_one_line_naming_the_object(org, sf_runtime, clock):
    _org_with_deals(org, sf_runtime, clock, 1)
    org.hide("OpportunityHistory")
    with pytest.raises(CrmAuthError) as refused:
        sync_salesforce(sf_runtime)
    message = str(refused.value)
    assert "\n" not in message and "OpportunityHistory" in message and "permissions in the README" in message
    assert _deal_count(sf_runtime) == 0


def test_an_unapproved_connected_app_stops_in_one_line(org, sf_runtime, clock):
    _org_with_deals(org, sf_runtime, clock, 1)
    integration = next(u for u in org.records["User"].values() if u["Username"] == USERNAME)
    integration["IsActive"] = False  # Salesforce answers an unapproved (or not pre-authorized) user the same way
    with pytest.raises(CrmError) as refused:
        sync_salesforce(sf_runtime)
    message = str(refused.value)
    assert "\n" not in message and "invalid_grant" in message and "not approved" in message
