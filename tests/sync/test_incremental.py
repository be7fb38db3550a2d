"""Incremental sync: windows after the cursor, never missing a change, nothing doubled, one runner."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.core.runtime import Runtime
from bot.sync.client import CrmError
from bot.sync.engine import SyncBusy, sync
from bot.sync.hubspot import HubSpotSource, client_for
from storage import sync as store
from storage.models import Deal
from tests.conftest import fresh_database
from tests.sync.conftest import TOKEN, add_owners, dump, hours
from tests.utils import factories

pytestmark = pytest.mark.postgres


def _deal_count(runtime: Runtime) -> int:
    with runtime.session() as session:
        return session.exec(select(func.count()).select_from(Deal)).one()


def test_10050_deals_sharing_one_timestamp_all_arrive(hubspot, sync_runtime, source, reps, clock):
    add_owners(hubspot)
    bulk = clock.now() - timedelta(days=2)
    for _ in range(10_050):  # a bulk edit: one hs_lastmodifieddate for all
        hubspot.add_deal(name="Bulk", stage="s-discover", owner="501", created=bulk)
    for n in range(20):
        hubspot.add_deal(name=f"Later {n}", stage="s-validate", owner="501", created=bulk + timedelta(hours=n + 1))
    # HubSpot itself refuses to page a query past 10,000 results:
    client = httpx.Client(base_url=hubspot.base_url, headers={"Authorization": f"Bearer {TOKEN}"})
    refused = client.post("/crm/v3/objects/deals/search", json={"limit": 200, "after": "10000"})
    assert refused.status_code == 400
    summary = sync(sync_runtime, source)
    assert summary.deals_read == 10_070 and summary.created == 10_070
    assert summary.windows >= 2  # split by time; the one instant holding 10,050 is paged by id
    assert _deal_count(sync_runtime) == 10_070


def test_an_edit_made_during_a_sync_arrives_at_the_next(hubspot, sync_runtime, source, reps, clock):
    add_owners(hubspot)
    start = clock.now() - timedelta(days=5)
    first = hubspot.add_deal(name="First", stage="s-discover", owner="501", created=start)
    second = hubspot.add_deal(name="Second", stage="s-discover", owner="501", created=start)
    edited = []

    def edit_while_reading(method, path, body):
        if path.endswith("/batch/read") and not edited:  # the sync has its page of ids: edit one of them
            edited.append(True)
            hubspot.edit_deal(first, dealstage="s-close", at=clock.now())

    hubspot.on_request = edit_while_reading
    sync(sync_runtime, source)
    hubspot.on_request = None
    clock.advance(timedelta(minutes=2))  # past the lag the sync leaves for HubSpot's index
    summary = sync(sync_runtime, source)
    assert summary.deals_read == 1
    with sync_runtime.session() as session:
        stages = dict(session.exec(select(Deal.external_id, Deal.stage_key)).all())
    assert stages == {first: "close", second: "discover"}


def test_an_edit_the_search_index_has_not_seen_yet_arrives_through_the_lookback(hubspot, sync_settings, engine, clock,
                                                                               reps):
    hubspot.index_lag = 30  # seconds before search sees an edit
    add_owners(hubspot)
    deal = hubspot.add_deal(name="Lagging", stage="s-discover", owner="501", created=clock.now() - timedelta(days=1))
    settings = sync_settings.model_copy(update={"sync_lag_seconds": 0})  # trusting the index: the lookback saves us
    runtime = Runtime(settings, engine=engine, clock=clock)
    with client_for(settings) as client:
        sync(runtime, HubSpotSource(client))
        hubspot.edit_deal(deal, dealstage="s-validate", at=clock.now())
        clock.advance(timedelta(seconds=10))
        sync(runtime, HubSpotSource(client))  # the cursor passes the edit's time; search still shows the old deal
        with runtime.session() as session:
            assert session.exec(select(Deal.stage_key)).one() == "discover"
        clock.advance(timedelta(minutes=1))
        sync(runtime, HubSpotSource(client))
    with runtime.session() as session:
        assert session.exec(select(Deal.stage_key)).one() == "validate"


def test_a_failed_run_keeps_the_cursor_and_the_next_run_equals_one_clean_sync(hubspot, sync_settings, engine, clock,
                                                                             reps, tmp_path):
    add_owners(hubspot)
    start = clock.now() - timedelta(days=3)
    for n in range(1250):  # seven pages: the sync writes a thousand deals per transaction
        deal = hubspot.add_deal(name=f"Deal {n}", stage="s-discover", owner="501", created=start + timedelta(minutes=n))
        if n % 3 == 0:
            hubspot.edit_deal(deal, dealstage="s-validate", amount=str(100 + n), at=start + timedelta(hours=10, minutes=n))
    runtime = Runtime(sync_settings, engine=engine, clock=clock)
    pages = []

    def fail_seventh_page(method, path, body):
        if path.endswith("/deals/search") and body.get("limit") == 200:
            pages.append(path)
            if len(pages) == 7:  # after the first thousand deals were committed
                hubspot.fail_next(*[{"status": 503}] * 3)  # the first try and both retries

    hubspot.on_request = fail_seventh_page
    with client_for(sync_settings, retries=2, sleep=lambda s: None) as client, pytest.raises(CrmError) as failed:
        sync(runtime, HubSpotSource(client))
    assert "503" in str(failed.value) and "after 2 retries" in str(failed.value)
    assert _deal_count(runtime) == 1000  # the committed batch stays...
    with runtime.session() as session:
        state = store.sync_state(session=session, crm="hubspot")
        assert state.cursor is None and "503" in state.last_error  # ...but the cursor covers none of the window
    hubspot.on_request = None
    with client_for(sync_settings) as client:
        sync(runtime, HubSpotSource(client))
    resumed = dump(runtime)

    backend = "postgres" if sync_settings.database_url.startswith("postgresql") else "sqlite"
    with fresh_database(backend, tmp_path / "clean.db") as url:  # the same account synced once, into an empty database
        clean = sync_settings.model_copy(update={"database_url": url})
        clean_runtime = Runtime(clean, clock=clock)
        with clean_runtime.session() as session:
            factories.rep(session, "Ann Archer")
            factories.rep(session, "Bob Baker")
        with client_for(clean) as client:
            sync(clean_runtime, HubSpotSource(client))
        assert resumed == dump(clean_runtime)
        clean_runtime.engine.dispose()


def test_a_second_runner_stops_while_one_holds_the_lease(hubspot, sync_runtime, source, reps, clock):
    add_owners(hubspot)
    hubspot.add_deal(name="One", stage="s-discover", owner="501", created=clock.now() - timedelta(days=1))
    with sync_runtime.session() as session:
        assert store.take_lease(session=session, crm="hubspot", owner="other-worker", now=clock.now(),
                                until=clock.now() + timedelta(minutes=10))
    with pytest.raises(SyncBusy):
        sync(sync_runtime, source)
    assert _deal_count(sync_runtime) == 0
    clock.advance(timedelta(minutes=11))  # the other runner died: its lease runs out
    assert sync(sync_runtime, source).created == 1


def test_the_cursor_is_the_last_window_end_and_an_unchanged_account_reads_nothing(hubspot, sync_runtime, source, reps,
                                                                                  clock):
    add_owners(hubspot)
    hubspot.add_deal(name="One", stage="s-discover", owner="501", created=clock.now() - timedelta(days=1))
    sync(sync_runtime, source)
    with sync_runtime.session() as session:
        assert store.sync_state(session=session, crm="hubspot").cursor == clock.now() - timedelta(seconds=60)
    clock.advance(hours(3))
    assert sync(sync_runtime, source).deals_read == 0
