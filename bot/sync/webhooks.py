"""HubSpot webhooks at ``POST /hubspot/webhooks``: a verified "these deals changed" that syncs them now.

Only HubSpot's v3 signature is accepted (HMAC-SHA256, base64, of method + URI + body + timestamp with
the app's client secret, ``HUBSPOT_CLIENT_SECRET``), and only within 5 minutes of its timestamp. The
payload is never written as it claims: it only names deals, which are then read from HubSpot's API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from wsgiref.util import request_uri

from bot.core.config import Settings
from bot.core.runtime import Runtime
from storage.db import make_engine

logger = logging.getLogger(__name__)

PATH = "/hubspot/webhooks"
MAX_AGE = timedelta(minutes=5)
MAX_BODY = 1024 * 1024


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's X-HubSpot-Signature-v3 for a request."""
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verified(secret: str, method: str, uri: str, body: bytes, timestamp: str | None, signature: str | None,
             now: datetime) -> bool:
    """Whether the request is HubSpot's: a v3 signature that matches, with a timestamp under 5 minutes old."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    age = now.timestamp() * 1000 - int(timestamp)
    if not -MAX_AGE.total_seconds() * 1000 <= age <= MAX_AGE.total_seconds() * 1000:
        return False
    return hmac.compare_digest(signature_v3(secret, method, uri, body, timestamp), signature)


def changed_deals(body: bytes) -> list[str]:
    """The deal ids a webhook batch names (deal.* subscriptions); anything else in it is ignored."""
    try:
        events = json.loads(body)
    except ValueError:
        return []
    if not isinstance(events, list):
        return []
    ids = [str(event.get("objectId")) for event in events if isinstance(event, dict)
           and str(event.get("subscriptionType", "")).startswith("deal.") and str(event.get("objectId", "")).isdigit()]
    return list(dict.fromkeys(ids))


class WebhookReceiver:
    """The WSGI handler of ``POST /hubspot/webhooks``: verify, answer 204 at once, sync the deals in a thread.

    Args:
        settings: the process's settings (the client secret, and the database a worker opens lazily).
        sync_deals: what syncs the named deals (``bot.sync.service.sync_hubspot_deals``).
        runtime: a runtime to use instead of opening one (tests).
    """

    def __init__(self, settings: Settings, sync_deals: Callable[[Runtime, list[str]], Any],
                 runtime: Runtime | None = None):
        self.settings = settings
        self.sync_deals = sync_deals
        self._runtime = runtime
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def runtime(self) -> Runtime:
        with self._lock:  # opened in the worker, after any fork
            if self._runtime is None:
                self._runtime = Runtime(self.settings, engine=make_engine(self.settings.resolved_database_url))
            return self._runtime

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        secret = self.settings.hubspot_client_secret
        if environ.get("REQUEST_METHOD") != "POST":
            return _reply(start_response, "405 Method Not Allowed")
        if not secret:
            return _reply(start_response, "404 Not Found")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            return _reply(start_response, "413 Payload Too Large")
        body = environ["wsgi.input"].read(length) if length else b""
        runtime = self.runtime()
        if not verified(secret, "POST", request_uri(environ), body, environ.get("HTTP_X_HUBSPOT_REQUEST_TIMESTAMP"),
                        environ.get("HTTP_X_HUBSPOT_SIGNATURE_V3"), runtime.now()):
            return _reply(start_response, "401 Unauthorized")
        deals = changed_deals(body)
        if deals:
            thread = threading.Thread(target=self._sync, args=(runtime, deals), daemon=True)
            self.threads.append(thread)
            thread.start()
        return _reply(start_response, "204 No Content")

    def _sync(self, runtime: Runtime, deals: list[str]) -> None:
        try:
            self.sync_deals(runtime, deals)
        except Exception as exc:  # the next scheduled sync reads them anyway
            logger.warning("webhook sync of %d deal(s) failed: %s", len(deals), exc)


def _reply(start_response: Callable, status: str) -> list[bytes]:
    start_response(status, [("Content-Length", "0")])
    return []
