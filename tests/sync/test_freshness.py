"""People see how fresh synced deal data is; the scheduled sync never stops the schedule."""

from __future__ import annotations

from datetime import timedelta

from bot.sync.freshness import freshness_notice
from bot.sync.schedule import run_scheduled_sync
from bot.sync.service import sync_hubspot
from storage import sync as store
from tests.sync.conftest import add_owners, hours


def test_freshness_is_said_only_when_older_than_twice_the_interval(hubspot, sync_runtime, reps, clock):
    add_owners(hubspot)
    hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=3))
    assert freshness_notice(sync_runtime) == "deal data not synced from HubSpot yet"
    sync_hubspot(sync_runtime)
    assert freshness_notice(sync_runtime) is None
    clock.advance(timedelta(minutes=29))  # the interval is 15 minutes: twice that is still fresh
    assert freshness_notice(sync_runtime) is None
    clock.advance(hours(3) - timedelta(minutes=29))
    assert freshness_notice(sync_runtime) == "deal data last synced 3 h ago"


def test_a_scheduled_sync_that_finds_another_running_or_fails_does_not_raise(hubspot, sync_runtime, reps, clock):
    with sync_runtime.session() as session:
        store.take_lease(session=session, crm="hubspot", owner="elsewhere", now=clock.now(),
                         until=clock.now() + timedelta(minutes=5))
    run_scheduled_sync(sync_runtime)  # busy: returns quietly
    clock.advance(timedelta(minutes=6))
    hubspot.scopes = set()  # HubSpot refuses everything: logged, not raised
    run_scheduled_sync(sync_runtime)
    with sync_runtime.session() as session:
        assert "HTTP 403" in store.sync_state(session=session, crm="hubspot").last_error
