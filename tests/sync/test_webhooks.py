"""HubSpot webhooks: only v3-signed requests within 5 minutes, and they only trigger a sync of the named deals."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from sqlmodel import select

from bot.core.runtime import Runtime
from bot.sync.service import sync_hubspot, sync_hubspot_deals
from bot.sync.webhooks import PATH, WebhookReceiver, signature_v3
from storage import sync as store
from storage.models import Deal
from tests.sync.conftest import add_owners

SECRET = "client-secret-0123456789"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver(sync_settings, engine, clock) -> Iterator[tuple[WebhookReceiver, str, Runtime]]:
    settings = sync_settings.model_copy(update={"hubspot_client_secret": SECRET})
    runtime = Runtime(settings, engine=engine, clock=clock)
    handler = WebhookReceiver(settings, sync_hubspot_deals, runtime=runtime)
    server = make_server("127.0.0.1", 0, handler, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}{PATH}", runtime
    server.shutdown()
    server.server_close()


def _post(url: str, body: bytes, *, timestamp: int, secret: str = SECRET, method: str = "POST") -> httpx.Response:
    signature = signature_v3(secret, method, url, body, str(timestamp))
    return httpx.post(url, content=body, headers={"Content-Type": "application/json",
                                                  "X-HubSpot-Signature-v3": signature,
                                                  "X-HubSpot-Request-Timestamp": str(timestamp)})


def _stage(runtime: Runtime, crm_id: str) -> str:
    with runtime.session() as session:
        return session.exec(select(Deal.stage_key).where(Deal.external_id == crm_id)).one()


def test_a_signed_webhook_syncs_the_deals_it_names_from_the_api(hubspot, receiver, reps, clock):
    handler, url, runtime = receiver
    add_owners(hubspot)
    crm_id = hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=3))
    sync_hubspot(runtime)
    hubspot.edit_deal(crm_id, dealstage="s-validate", at=clock.now())  # too new for the incremental window
    body = json.dumps([{"objectId": int(crm_id), "subscriptionType": "deal.propertyChange",
                        "propertyName": "dealstage", "propertyValue": "s-won"}]).encode()
    now_ms = int(clock.now().timestamp() * 1000)
    reply = _post(url, body, timestamp=now_ms)
    assert reply.status_code == 204
    for thread in handler.threads:
        thread.join(timeout=30)
    assert _stage(runtime, crm_id) == "validate"  # what HubSpot's API says, not what the payload claimed


@pytest.mark.parametrize("case", ["wrong secret", "stale", "unsigned", "tampered"])
def test_anything_else_is_refused_and_syncs_nothing(hubspot, receiver, reps, clock, case):
    handler, url, runtime = receiver
    add_owners(hubspot)
    crm_id = hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=3))
    body = json.dumps([{"objectId": int(crm_id), "subscriptionType": "deal.creation"}]).encode()
    now_ms = int(clock.now().timestamp() * 1000)
    if case == "wrong secret":
        reply = _post(url, body, timestamp=now_ms, secret="guessed")
    elif case == "stale":
        reply = _post(url, body, timestamp=now_ms - 6 * 60 * 1000)
    elif case == "unsigned":
        reply = httpx.post(url, content=body)
    else:
        signature = signature_v3(SECRET, "POST", url, body, str(now_ms))
        reply = httpx.post(url, content=body.replace(b"deal.creation", b"deal.deletion"), headers={
            "X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(now_ms)})
    assert reply.status_code == 401
    assert handler.threads == []
    with runtime.session() as session:
        assert session.exec(select(Deal)).all() == []


def test_a_webhook_during_a_running_sync_syncs_its_deals_once_that_sync_is_done(hubspot, receiver, reps, clock):
    handler, url, runtime = receiver
    add_owners(hubspot)
    crm_id = hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=3))
    sync_hubspot(runtime)
    hubspot.edit_deal(crm_id, dealstage="s-validate", at=clock.now())  # too new for the running sync's window
    with runtime.session() as session:  # another worker's scheduled sync is running
        assert store.take_lease(session=session, crm="hubspot", owner="other-worker", now=clock.now(),
                                until=clock.now() + timedelta(minutes=10))
    worker = threading.Thread(target=sync_hubspot_deals, args=(runtime, [crm_id]), kwargs={"busy_waits": (0.2,) * 25})
    worker.start()
    time.sleep(0.5)
    assert _stage(runtime, crm_id) == "discover"  # waiting: the lease is the other runner's
    with runtime.session() as session:
        store.release_lease(session=session, crm="hubspot", owner="other-worker")
    worker.join(timeout=30)
    assert not worker.is_alive() and _stage(runtime, crm_id) == "validate"
