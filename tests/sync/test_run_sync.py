"""``stagecoach run`` keeps HubSpot in sync by itself: its scheduler syncs at start (then every
STAGECOACH_SYNC_MINUTES), and it serves ``POST /hubspot/webhooks``, whose signed calls sync the deals they name."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import timedelta

import httpx
from sqlmodel import select

from bot.sync.webhooks import PATH, signature_v3
from storage.models import Deal
from storage.timeutil import SystemClock
from tests.conftest import SMALL_PROCESS
from tests.slack.harness import SECRET as SLACK_SECRET
from tests.slack.test_run import _free_port, _stop, _wait_healthy
from tests.sync.conftest import STAGES, TOKEN, add_owners
from tests.utils import clock_shift
from tests.utils import factories as f
from tests.utils.hubspot_emulator import HubSpotEmulator
from tests.utils.slack_emulator import SlackEmulator

CLIENT_SECRET = "client-secret-0123456789"


def _stage_of(runtime, crm_id: str) -> str | None:
    with runtime.session() as session:
        return session.exec(select(Deal.stage_key).where(Deal.external_id == crm_id)).first()


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def test_run_syncs_on_its_clock_and_a_signed_webhook_syncs_the_deal_it_names(runtime, settings):
    with runtime.session() as session:
        f.rep(session, "Ann Archer")
        f.rep(session, "Bob Baker")
    port = _free_port()
    with (HubSpotEmulator(token=TOKEN, limit_per_10s=None, search_per_second=None) as hubspot,  # the system clock
          SlackEmulator() as slack):
        hubspot.add_pipeline("default", "Sales Pipeline", STAGES)
        add_owners(hubspot)
        crm_id = hubspot.add_deal(name="Globex", stage="s-discover", owner="501",
                                  created=SystemClock().now() - timedelta(days=3))
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SLACK_SECRET,
               "SLACK_API_URL": slack.base_url, "STAGECOACH_DATABASE_URL": settings.resolved_database_url,
               "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS), "HUBSPOT_ACCESS_TOKEN": TOKEN,
               "STAGECOACH_HUBSPOT_API_URL": hubspot.base_url, "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET}
        process = subprocess.Popen(clock_shift.command("run", "--host", "127.0.0.1", "--port", str(port),
                                                       "--no-digest"),
                                   env=env, cwd=clock_shift.REPO, stderr=subprocess.PIPE, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process)
            _wait(lambda: _stage_of(runtime, crm_id) == "discover", 60, "the scheduled first sync")
            # a moment ago (this process and the app may read the clock apart): inside the lag, no scheduled sync reads it
            hubspot.edit_deal(crm_id, dealstage="s-validate", at=SystemClock().now() - timedelta(seconds=5))
            body = json.dumps([{"objectId": int(crm_id), "subscriptionType": "deal.propertyChange",
                                "propertyName": "dealstage", "propertyValue": "s-won"}]).encode()
            stamp = str(int(SystemClock().now().timestamp() * 1000))
            unsigned = httpx.post(f"{url}{PATH}", content=body, headers={"X-HubSpot-Request-Timestamp": stamp})
            assert unsigned.status_code == 401
            signature = signature_v3(CLIENT_SECRET, "POST", f"{url}{PATH}", body, stamp)
            signed = httpx.post(f"{url}{PATH}", content=body, headers={
                "Content-Type": "application/json", "X-HubSpot-Signature-v3": signature,
                "X-HubSpot-Request-Timestamp": stamp})
            assert signed.status_code == 204
            _wait(lambda: _stage_of(runtime, crm_id) == "validate", 60, "the webhook's sync")  # the API's stage
        finally:
            _stop(process)
