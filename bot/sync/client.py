"""A thin HTTP client for a CRM's REST API: bearer auth, rate limits kept, retries, one-line errors.

Why not the vendor's SDK: the sync uses nine endpoints, and what it needs around them — staying under
the app's per-10-second limit and the search endpoint's per-second limit, reading the rate-limit
headers, waiting on 429 with ``Retry-After`` or backoff with jitter, retrying 5xx and timeouts, and a
one-line error naming a missing scope with the token masked — the generated SDK leaves to the caller.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.core.errors import StagecoachError
from bot.sync.records import mask

RETRIES = 6
BACKOFF_BASE = 0.5  # seconds; doubled per attempt, with full jitter
BACKOFF_MAX = 30.0


class CrmError(StagecoachError):
    """The CRM refused or failed a call after retries; the message is one line, with no secret in it."""


class CrmRefused(CrmError):
    """The CRM refused the request itself (HTTP 400-499 other than 401, 403 and 429): sent again unchanged, it
    would be refused again."""


class CrmAuthError(CrmError):
    """401 or 403: the token is wrong or lacks a scope; retrying cannot help."""


@dataclass
class Budget:
    """What the sync spent of the API, for ``sync status`` and the bench."""

    calls: int = 0
    search_calls: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    http_seconds: float = 0.0  # wall time spent waiting for the CRM's replies (the bench's "not our code")
    remaining: int | None = None  # the last X-HubSpot-RateLimit-Remaining seen
    limit: int | None = None  # the last X-HubSpot-RateLimit-Max seen
    by_path: dict[str, int] = field(default_factory=dict)


class _Window:
    """At most ``limit`` calls in any ``seconds``.

    A call counts from when it is sent, then, once its reply is in, from then: the server counted it
    somewhere in between, so the window starts no earlier than the server's does.
    """

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self.times: list[float] = []  # sorted

    def delay(self, now: float) -> float:
        while self.times and now - self.times[0] >= self.seconds:
            self.times.pop(0)
        return 0.0 if len(self.times) < self.limit else self.seconds - (now - self.times[0])

    def add(self, now: float) -> None:
        bisect.insort(self.times, now)

    def settle(self, sent: float, done: float) -> None:
        if sent in self.times:
            self.times.remove(sent)
        bisect.insort(self.times, done)


class CrmClient:
    """JSON over HTTPS with a bearer token.

    Args:
        base_url: the API root (``STAGECOACH_HUBSPOT_API_URL``).
        token: the access token; it goes in the Authorization header and nowhere else.
        calls_per_10s, search_per_second: limits the client stays under (None: no limit kept).
        sleep, monotonic, jitter: time and randomness, injectable so tests need not wait.
    """

    def __init__(self, base_url: str, token: str, *, calls_per_10s: int | None = 100,
                 search_per_second: int | None = 5, timeout: float = 30.0, retries: int = RETRIES,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] = random.random, scope_hint: Callable[[str], str] | None = None):
        self._token = token
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        self._calls = _Window(calls_per_10s, 10.0) if calls_per_10s else None
        self._search = _Window(search_per_second, 1.0) if search_per_second else None
        self._retries = retries
        self._sleep, self._monotonic, self._jitter = sleep, monotonic, jitter
        self._lock = threading.Lock()
        self._scope_hint = scope_hint or (lambda path: "")
        self.budget = Budget()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CrmClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any], *, creates: bool = False) -> dict[str, Any]:
        """``creates``: the call makes an object, so a failure after sending is not retried blindly (see ``request``)."""
        return self.request("POST", path, body=body, creates=creates)

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", path, body=body)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                body: dict[str, Any] | None = None, creates: bool = False) -> dict[str, Any]:
        """The reply's JSON; waits as the limits require and retries what a retry can mend.

        A call that ``creates`` an object is retried only on 429 (refused before doing anything): after a
        timeout or a 5xx the object may exist, and the caller looks for it before creating it again.

        Raises:
            CrmAuthError: 401 or 403 (the message names the missing scope when the CRM says it).
            CrmError: any other refusal, or failures that outlasted the retries.
        """
        search = path.endswith("/search")
        attempt = 0
        while True:
            sent = self._take_turn(search)
            try:
                response = self._http.request(method, path, params=params, json=body)
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                failure = f"{type(exc).__name__}"
                response = None
            finally:
                self.budget.http_seconds += self._monotonic() - sent
            self._settle(search, sent)
            self._count(path, search)
            if response is not None:
                self._read_headers(response)
                if response.status_code < 300:
                    return response.json() if response.content else {}
                if response.status_code in (401, 403):
                    raise CrmAuthError(self._auth_message(response, path))
                if response.status_code != 429 and response.status_code < 500:
                    raise CrmRefused(mask(f"{method} {path}: HTTP {response.status_code}: "
                                        f"{_message(response)}", self._token))
                failure = f"HTTP {response.status_code}"
            if creates and (response is None or response.status_code != 429):
                raise CrmError(f"{method} {path}: {failure}; the object may or may not exist")
            attempt += 1
            if attempt > self._retries:
                raise CrmError(f"{method} {path}: {failure} after {self._retries} retries; try again later")
            self._wait_before_retry(response, attempt)

    def _windows(self, search: bool) -> list[_Window]:
        return [window for window in (self._calls, self._search if search else None) if window is not None]

    def _settle(self, search: bool, sent: float) -> None:
        with self._lock:
            done = self._monotonic()
            for window in self._windows(search):
                window.settle(sent, done)

    def _take_turn(self, search: bool) -> float:
        """Wait until one more call fits the per-10-second window (and the search window); the time it is sent."""
        with self._lock:
            windows = self._windows(search)
            while True:
                now = self._monotonic()
                delay = max((window.delay(now) for window in windows), default=0.0)
                if delay <= 0:
                    break
                self.budget.waited_seconds += delay
                self._sleep(delay)
            for window in windows:
                window.add(now)
            return now

    def _count(self, path: str, search: bool) -> None:
        budget = self.budget
        budget.calls += 1
        budget.search_calls += search
        key = _route_key(path)
        budget.by_path[key] = budget.by_path.get(key, 0) + 1

    def _read_headers(self, response: httpx.Response) -> None:
        remaining = response.headers.get("X-HubSpot-RateLimit-Remaining")
        if remaining is None:
            return
        self.budget.remaining = int(remaining)
        if (limit := response.headers.get("X-HubSpot-RateLimit-Max")) is not None:
            self.budget.limit = int(limit)
        if int(remaining) <= 0:  # the CRM counts calls we did not see (other integrations): let its window pass
            interval = int(response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")) / 1000
            self.budget.waited_seconds += interval
            self._sleep(interval)

    def _wait_before_retry(self, response: httpx.Response | None, attempt: int) -> None:
        self.budget.retries += 1
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after is not None and retry_after.strip().isdigit():
            delay = float(retry_after)
        else:  # exponential backoff with full jitter: retries of many workers spread out
            delay = self._jitter() * min(BACKOFF_MAX, BACKOFF_BASE * 2 ** attempt)
        self.budget.waited_seconds += delay
        self._sleep(delay)

    def _auth_message(self, response: httpx.Response, path: str) -> str:
        if response.status_code == 401:
            return ("HubSpot refused the access token (HTTP 401): set HUBSPOT_ACCESS_TOKEN to the private app's "
                    "access token")
        scopes: list[str] = []
        try:
            for error in response.json().get("errors", []):
                scopes += (error.get("context") or {}).get("requiredGranularScopes", [])
        except ValueError:
            pass
        missing = ", ".join(dict.fromkeys(scopes)) or self._scope_hint(path) or "a scope this call needs"
        return f"HubSpot refused {_route_key(path)} (HTTP 403): the private app lacks the scope {missing}; grant it"


def _route_key(path: str) -> str:
    """The path with object ids taken out, so calls count per endpoint."""
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    details = "; ".join(str(e.get("message")) for e in data.get("errors", []) if isinstance(e, dict))
    message = str(data.get("message", ""))
    head, colon, listed = message.partition(": [")
    if colon:  # "Property values were not valid: [{...JSON...}]": HubSpot's own list, as its messages
        with contextlib.suppress(ValueError, AttributeError):
            message = head + ": " + "; ".join(str(item.get("message")) for item in json.loads("[" + listed))
    return message + (f" ({details})" if details else "")
