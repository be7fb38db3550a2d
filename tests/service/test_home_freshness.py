"""App Home says when deal data was last synced when that is stale; a manager's shows each sync's last run."""

from __future__ import annotations

from datetime import timedelta

from bot.service.home import home
from bot.slack.home import home_view
from storage.access import Viewer
from tests.utils.sync_state import record_sync, with_hubspot

STALE = "deal data last synced 3 h ago"


def _texts(view: dict) -> str:
    return "\n".join(b["text"]["text"] if b["type"] == "section" else b["elements"][0]["text"]
                     for b in view["blocks"] if b["type"] in ("section", "context"))


def test_a_stale_sync_shows_on_home_and_a_manager_sees_the_last_run_and_its_error(runtime, floor, clock):
    crm = with_hubspot(runtime)
    record_sync(crm, at=clock.now() - timedelta(hours=3), conflicts=2)  # the last good run
    clock.advance(timedelta(minutes=10))
    failed_at = clock.now() - timedelta(hours=3)
    record_sync(crm, at=failed_at, error="HTTP 401 from HubSpot: token pat-na1-test expired")
    rep_home = home(crm, Viewer.of(floor.alice))
    assert rep_home.freshness == STALE and rep_home.sync_runs is None  # a rep sees freshness, not the runs
    assert f"_{STALE}_" in _texts(home_view(rep_home)) and "CRM sync" not in _texts(home_view(rep_home))
    manager_home = home(crm, Viewer.of(floor.manager))
    assert manager_home.freshness == STALE
    [run] = manager_home.sync_runs
    assert (run.crm, run.last_run_at, run.conflicts) == ("HubSpot", failed_at, 0)
    assert "HTTP 401" in run.error and "pat-na1-test" not in run.error  # the token is masked
    shown = _texts(home_view(manager_home))
    assert f"*HubSpot*: last run {failed_at:%a %b %d %H:%M} UTC · error: HTTP 401" in shown
    assert "pat-na1-test" not in shown


def test_a_fresh_sync_or_no_crm_shows_no_line(runtime, floor, clock):
    crm = with_hubspot(runtime)
    record_sync(crm, at=clock.now() - timedelta(minutes=25), conflicts=1)
    manager_home = home(crm, Viewer.of(floor.manager))
    assert manager_home.freshness is None and "synced" not in _texts(home_view(manager_home))
    assert "*HubSpot*" in _texts(home_view(manager_home)) and "1 conflict(s)" in _texts(home_view(manager_home))
    clock.advance(timedelta(hours=5))
    no_crm = home(runtime, Viewer.of(floor.manager))
    assert no_crm.freshness is None and no_crm.sync_runs == []
    assert "synced" not in _texts(home_view(no_crm)) and "CRM sync" not in _texts(home_view(no_crm))
