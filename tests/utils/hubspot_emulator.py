"""A real HTTP server on 127.0.0.1 that behaves like the parts of HubSpot's CRM API Stagecoach uses.

Tests point the sync at ``emulator.base_url`` (``STAGECOACH_HUBSPOT_API_URL``), fill the account with
``add_pipeline``, ``add_owner``, ``add_company`` and ``add_deal``, edit deals with ``edit_deal``, and
read what was asked in ``calls``. Behaviour follows HubSpot's CRM v3 documentation:

- bearer auth: a missing or wrong token is 401; a token without a scope the endpoint needs is 403
  with the missing scopes named, as HubSpot words it;
- ``POST /crm/v3/objects/deals/search``: filterGroups (OR of ANDed filters: EQ, NEQ, GT, GTE, LT, LTE,
  IN, BETWEEN), sorts, ``limit`` up to 200 (more is a 400), ``after`` paging, ``total``, and no result
  past the 10,000th: a request whose ``after`` reaches it is a 400. Edits reach the search index
  ``index_lag`` seconds after they were made (by the emulator's clock): until then search sees the
  deal as it was;
- ``POST /crm/v3/objects/deals/batch/read`` (up to 100 ids) with ``properties`` and
  ``propertiesWithHistory`` (newest value first, as HubSpot lists it);
- ``GET /crm/v3/objects/deals`` with ``archived=true`` lists deleted deals; ``GET /crm/v3/pipelines/deals``;
  ``GET /crm/v3/owners`` (``archived=true`` for deactivated users);
- ``POST /crm/v4/associations/deals/companies/batch/read`` and ``POST /crm/v3/objects/companies/batch/read``;
- writes: ``PATCH /crm/v3/objects/deals/{id}``, ``POST /crm/v3/objects/tasks`` and ``.../notes`` with
  ``associations`` to a deal, ``PATCH`` of a task, and search of tasks/notes by a property (for
  finding an object created before a crash); ``lose_reply_to`` does a request and hangs up unanswered;
- rate limits: ``limit_per_10s`` calls per rolling 10 seconds (``X-HubSpot-RateLimit-Max``,
  ``-Remaining``, ``-Interval-Milliseconds`` on every non-search reply) and ``search_per_second``
  search calls per second; past either a 429 with HubSpot's error body (no Retry-After, as HubSpot
  sends none for these). ``fail_next`` scripts errors (500s, 429 with Retry-After, slow replies).

Timestamps are the emulator's ``clock()`` (a function giving an aware datetime; the test's clock).
"""

from __future__ import annotations

import heapq
import itertools
import json
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy

SEARCH_MAX_LIMIT = 200
# HubSpot's own deal properties (a new account's): a PATCH naming any other is refused (400) unless added
DEAL_PROPERTIES = frozenset({"dealname", "dealstage", "pipeline", "amount", "closedate", "hubspot_owner_id",
                             "hs_next_step", "deal_currency_code", "hs_forecast_category", "description", "dealtype",
                             "hs_priority", "hs_deal_stage_probability"})
SEARCH_MAX_RESULTS = 10_000
BATCH_READ_MAX = 100
READ_SCOPES = frozenset({"crm.objects.deals.read", "crm.objects.owners.read", "crm.objects.companies.read"})
WRITE_SCOPES = frozenset({"crm.objects.deals.write"})
ALL_SCOPES = READ_SCOPES | WRITE_SCOPES
# Properties every CRM object has, returned whatever was asked.
DEFAULT_PROPERTIES = ("createdate", "hs_lastmodifieddate", "hs_object_id")


def iso(when: datetime) -> str:
    """HubSpot's datetime text: UTC, milliseconds, Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


class _Object:
    """One CRM object: its properties and every value each property had, oldest first."""

    def __init__(self, object_id: str, created: datetime):
        self.id = object_id
        self.created = created
        self.updated = created
        self.archived = False
        self.archived_at: datetime | None = None
        self.history: dict[str, list[tuple[str | None, datetime, str]]] = {}
        self.indexed: dict[str, str | None] = {}  # what search sees
        self.indexed_at: datetime = created
        self.pending: list[tuple[datetime, dict[str, str | None]]] = []
        self._compared: tuple[dict, dict[str, Any]] | None = None  # (properties, their comparable values)

    def comparable(self, props: dict[str, str | None]) -> dict[str, Any]:
        """``props`` as filters and sorts compare them, computed once per version of them."""
        if self._compared is None or self._compared[0] is not props:
            self._compared = (props, {name: _comparable(value) for name, value in props.items()})
        return self._compared[1]

    def set(self, name: str, value: Any, when: datetime, source: str = "CRM_UI") -> None:
        text = None if value is None else str(value)
        values = self.history.setdefault(name, [])
        if values and values[-1][0] == text:
            return
        values.append((text, when, source))

    def value(self, name: str) -> str | None:
        values = self.history.get(name)
        return values[-1][0] if values else None

    def properties(self, names: list[str] | None = None) -> dict[str, str | None]:
        props = {name: self.value(name) for name in (names if names is not None else list(self.history))}
        props.update(createdate=iso(self.created), hs_lastmodifieddate=iso(self.updated), hs_object_id=self.id)
        return props

    def json(self, names: list[str] | None = None, with_history: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "properties": self.properties(names), "createdAt": iso(self.created),
                                "updatedAt": iso(self.updated), "archived": self.archived}
        if self.archived_at:
            body["archivedAt"] = iso(self.archived_at)
        if with_history:
            body["propertiesWithHistory"] = {
                name: [{"value": value, "timestamp": iso(at), "sourceType": source}
                       for value, at, source in reversed(self.history.get(name, []))]
                for name in with_history}
        return body


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class HubSpotEmulator:
    """A HubSpot account behind a local HTTP server; use as a context manager.

    Args:
        token: the private app's access token the server accepts.
        scopes: the scopes that token was granted.
        clock: the account's time (``datetime`` now); default the system clock.
        index_lag: seconds before an edit shows in search results.
        limit_per_10s, search_per_second: rate limits; None turns a limit off.
    """

    def __init__(self, *, token: str = "pat-na1-test-token", scopes: frozenset[str] = ALL_SCOPES,
                 clock: Callable[[], datetime] | None = None, index_lag: float = 0.0,
                 limit_per_10s: int | None = 190, search_per_second: int | None = 5):
        self.token = token
        self.scopes = set(scopes)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.index_lag = index_lag
        self.limit_per_10s = limit_per_10s
        self.search_per_second = search_per_second
        self.pipelines: list[dict[str, Any]] = []
        self.deal_properties = set(DEAL_PROPERTIES)  # what a PATCH may set; ``add_deal_property`` adds custom ones
        self.owners: dict[str, dict[str, Any]] = {}
        self.deals: dict[str, _Object] = {}
        self.companies: dict[str, _Object] = {}
        self.deal_companies: dict[str, list[str]] = {}
        self.engagements: dict[str, dict[str, _Object]] = {"tasks": {}, "notes": {}}
        self.engagement_deal: dict[str, str] = {}  # task/note id -> deal id
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.statuses: list[int] = []  # the status of every reply, in order
        self.authorizations: set[str] = set()  # every Authorization header seen (to prove what was sent)
        self.on_request: Callable[[str, str, dict], None] | None = None  # a hook run before each reply
        self._scripted: deque = deque()
        self._lost_replies: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._next_id = 1000
        self._recent: deque = deque()  # wall times of rate-limited calls in the last 10 s
        # The search index: edits waiting for the index lag (a heap of (due, sequence, deal id)), and the
        # searchable deals sorted by id, rebuilt only after something changed (100,000 deals searched per page)
        self._due: list[tuple[datetime, int, str]] = []
        self._sequence = itertools.count()
        self._index: tuple | None = None
        self._recent_search: deque = deque()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---- the account --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HubSpotEmulator:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _new_id(self) -> str:
        with self._lock:
            self._next_id += 1
            return str(self._next_id)

    def add_pipeline(self, pipeline_id: str, label: str, stages: list[tuple[str, str, float, bool]]) -> None:
        """A deal pipeline; ``stages``: (id, label, probability, isClosed) in display order."""
        now = iso(self.clock())
        self.pipelines.append({
            "id": pipeline_id, "label": label, "displayOrder": len(self.pipelines), "archived": False,
            "createdAt": now, "updatedAt": now,
            "stages": [{"id": sid, "label": slabel, "displayOrder": i, "archived": False, "createdAt": now,
                        "updatedAt": now, "metadata": {"probability": str(probability), "isClosed": str(closed).lower()}}
                       for i, (sid, slabel, probability, closed) in enumerate(stages)]})

    def add_default_pipeline(self) -> None:
        """HubSpot's "Sales Pipeline" as a new account has it."""
        self.add_pipeline("default", "Sales Pipeline", [
            ("appointmentscheduled", "Appointment Scheduled", 0.2, False),
            ("qualifiedtobuy", "Qualified To Buy", 0.4, False),
            ("presentationscheduled", "Presentation Scheduled", 0.6, False),
            ("decisionmakerboughtin", "Decision Maker Bought-In", 0.8, False),
            ("contractsent", "Contract Sent", 0.9, False),
            ("closedwon", "Closed Won", 1.0, True),
            ("closedlost", "Closed Lost", 0.0, True)])

    def add_deal_property(self, name: str) -> None:
        """A custom deal property (Settings > Properties), which a PATCH may then set."""
        self.deal_properties.add(name)

    def add_owner(self, owner_id: str, email: str, first: str = "", last: str = "", *, archived: bool = False) -> None:
        now = iso(self.clock())
        self.owners[owner_id] = {"id": owner_id, "email": email, "firstName": first, "lastName": last,
                                 "userId": int(owner_id), "createdAt": now, "updatedAt": now, "archived": archived}

    def add_company(self, name: str) -> str:
        company = _Object(self._new_id(), self.clock())
        company.set("name", name, company.created)
        self.companies[company.id] = company
        return company.id

    def add_deal(self, *, name: str, stage: str, owner: str | None = None, amount: Any = None,
                 pipeline: str = "default", close_date: str | None = None, company: str | None = None,
                 created: datetime | None = None, modified: datetime | None = None,
                 deal_id: str | None = None, **properties: Any) -> str:
        """Create a deal as of ``created`` (default: now); ``modified``: its last-modified time."""
        with self._lock:
            created = created or self.clock()
            deal = _Object(deal_id or self._new_id(), created)
            for key, value in dict(dealname=name, dealstage=stage, pipeline=pipeline, hubspot_owner_id=owner,
                                   amount=amount, closedate=close_date, **properties).items():
                if value is not None:
                    deal.set(key, value, created)
            deal.updated = modified or created
            deal.indexed, deal.indexed_at = deal.properties(), deal.updated
            self.deals[deal.id] = deal
            self._index = None
            if company:
                self.deal_companies[deal.id] = [company]
            return deal.id

    def edit_deal(self, deal_id: str, *, at: datetime | None = None, source: str = "CRM_UI", **properties: Any) -> None:
        """Change properties as a user would in HubSpot at ``at`` (default now); search sees it after the lag."""
        with self._lock:
            deal = self.deals[deal_id]
            at = at or self.clock()
            for key, value in properties.items():
                deal.set(key, value, at, source)
            deal.updated = at
            self._pend(deal, at + timedelta(seconds=self.index_lag))

    def archive_deal(self, deal_id: str, *, restore: bool = False) -> None:
        with self._lock:
            deal = self.deals[deal_id]
            deal.archived = not restore
            deal.archived_at = None if restore else self.clock()
            deal.updated = self.clock()
            self._pend(deal, deal.updated + timedelta(seconds=self.index_lag))
            self._index = None  # visible until indexed, however: see ``_indexed``

    def fail_next(self, *replies: dict[str, Any]) -> None:
        """Script the next replies: {"status": 500}, {"status": 429, "retry_after": 1}, {"delay": 5}."""
        with self._lock:
            self._scripted.extend(replies)

    def lose_reply_to(self, method: str, path: str) -> None:
        """Do the next such request, then hang up without replying (a crash or network cut after HubSpot acted)."""
        with self._lock:
            self._lost_replies.append((method, path))

    def tasks_of(self, deal_id: str) -> list[dict[str, Any]]:
        return [task.json() for task_id, task in self.engagements["tasks"].items()
                if self.engagement_deal.get(task_id) == deal_id]

    def notes_of(self, deal_id: str) -> list[dict[str, Any]]:
        return [note.json() for note_id, note in self.engagements["notes"].items()
                if self.engagement_deal.get(note_id) == deal_id]

    # ---- search -------------------------------------------------------------------------------------

    def _pend(self, deal: _Object, due: datetime) -> None:
        """The deal's current properties reach the search index at ``due``."""
        deal.pending.append((due, deal.properties()))
        heapq.heappush(self._due, (due, next(self._sequence), deal.id))

    def _indexed(self) -> tuple:
        """The deals search sees now, by id: (ids, [(id, last modified, deal, indexed properties)], and the ids
        and last-modified times as arrays, for ``_by_id_and_time``).

        Edits whose lag has passed are indexed first; a deleted deal leaves the index once its deletion is
        indexed. Call with the lock held.
        """
        now = self.clock()
        while self._due and self._due[0][0] <= now:
            deal = self.deals[heapq.heappop(self._due)[2]]
            while deal.pending and deal.pending[0][0] <= now:
                deal.indexed = deal.pending.pop(0)[1]
            self._index = None
        if self._index is None:
            rows = []
            for deal in self.deals.values():
                if deal.archived and not deal.pending:
                    continue
                values = deal.comparable(deal.indexed)
                rows.append((values.get("hs_object_id"), values.get("hs_lastmodifieddate"), deal, deal.indexed))
            rows.sort(key=lambda row: _sort_key(row[0]))
            self._index = ([row[0] for row in rows], rows,
                           numpy.array([_number(row[0]) for row in rows], dtype=float),
                           numpy.array([_number(row[1]) for row in rows], dtype=float))
        return self._index

    def _search(self, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        limit = int(body.get("limit", 10))
        after = int(body.get("after") or 0)
        if limit > SEARCH_MAX_LIMIT:
            return 400, _error(f"limit must be at most {SEARCH_MAX_LIMIT}", "VALIDATION_ERROR")
        if after + 1 > SEARCH_MAX_RESULTS:
            return 400, _error("There was a problem with the request.", "VALIDATION_ERROR",
                               f"The search API returns at most {SEARCH_MAX_RESULTS} results per query; "
                               "narrow the filters")
        groups = body.get("filterGroups") or [{"filters": []}]
        with self._lock:
            if kind == "deals":
                index = self._indexed()
                fast = _by_id_and_time(index, groups, body.get("sorts"))
                rows = [(deal, props) for _, _, deal, props in index[1]] if fast is None else []
            else:
                fast, rows = None, [(obj, obj.properties()) for obj in self.engagements[kind].values()]
        found = fast if fast is not None else [(obj, props) for obj, props in rows
                 if any(all(_matches(obj.comparable(props), f) for f in group.get("filters", [])) for group in groups)]
        for sort in [] if fast is not None else reversed(body.get("sorts") or [{"propertyName": "hs_object_id",
                                                                                "direction": "ASCENDING"}]):
            name = sort["propertyName"] if isinstance(sort, dict) else sort.lstrip("-")
            descending = (sort.get("direction") == "DESCENDING") if isinstance(sort, dict) else sort.startswith("-")
            found.sort(key=lambda item, name=name: _sort_key(item[0].comparable(item[1]).get(name)),
                       reverse=descending)
        page = found[after:after + limit]
        names = body.get("properties") or []
        result: dict[str, Any] = {"total": len(found), "results": [
            {"id": obj.id, "properties": {**{n: props.get(n) for n in names},
                                          **{n: props.get(n) for n in DEFAULT_PROPERTIES}},
             "createdAt": iso(obj.created), "updatedAt": props.get("hs_lastmodifieddate") or iso(obj.updated),
             "archived": False} for obj, props in page]}
        if after + limit < len(found):
            result["paging"] = {"next": {"after": str(after + limit)}}
        return 200, result

    # ---- HTTP ---------------------------------------------------------------------------------------

    def _rate_limit(self, path: str) -> tuple[dict[str, str], tuple[int, dict] | None]:
        now = time.monotonic()
        headers: dict[str, str] = {}
        with self._lock:
            if path.endswith("/search"):
                while self._recent_search and now - self._recent_search[0] >= 1.0:
                    self._recent_search.popleft()
                if self.search_per_second is not None and len(self._recent_search) >= self.search_per_second:
                    return headers, (429, _rate_error("SECONDLY", "You have reached your secondly limit."))
                self._recent_search.append(now)
                return headers, None  # the search endpoints send no rate-limit headers
            while self._recent and now - self._recent[0] >= 10.0:
                self._recent.popleft()
            if self.limit_per_10s is not None:
                remaining = self.limit_per_10s - len(self._recent)
                headers = {"X-HubSpot-RateLimit-Max": str(self.limit_per_10s),
                           "X-HubSpot-RateLimit-Remaining": str(max(remaining - 1, 0)),
                           "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
                if remaining <= 0:
                    return headers, (429, _rate_error("TEN_SECONDLY_ROLLING",
                                                      "You have reached your ten_secondly_rolling limit."))
            self._recent.append(now)
        return headers, None

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]
               ) -> tuple[int, dict[str, Any] | None]:
        parts = path.strip("/").split("/")
        archived = query.get("archived", ["false"])[0] == "true"
        if method == "GET" and path == "/crm/v3/pipelines/deals":
            return self._scoped("crm.objects.deals.read") or (200, {"results": self.pipelines})
        if method == "GET" and path == "/crm/v3/owners":
            if denied := self._scoped("crm.objects.owners.read"):
                return denied
            owners = [o for o in self.owners.values() if o["archived"] == archived]
            return 200, self._paged(owners, query)
        if path == "/crm/v3/objects/deals/search" and method == "POST":
            return self._scoped("crm.objects.deals.read") or self._search("deals", body)
        if path == "/crm/v3/objects/deals/batch/read" and method == "POST":
            if denied := self._scoped("crm.objects.deals.read"):
                return denied
            inputs = body.get("inputs", [])
            if len(inputs) > BATCH_READ_MAX:
                return 400, _error(f"at most {BATCH_READ_MAX} inputs per batch", "VALIDATION_ERROR")
            with self._lock:
                found = [self.deals[i["id"]] for i in inputs
                         if i["id"] in self.deals and self.deals[i["id"]].archived == archived]
                results = [d.json(body.get("properties") or [], body.get("propertiesWithHistory")) for d in found]
            return 200, {"status": "COMPLETE", "results": results, "startedAt": iso(self.clock()),
                         "completedAt": iso(self.clock())}
        if path == "/crm/v3/objects/deals" and method == "GET":
            if denied := self._scoped("crm.objects.deals.read"):
                return denied
            names = query.get("properties", [""])[0].split(",") if query.get("properties") else []
            with self._lock:
                deals = sorted((d for d in self.deals.values() if d.archived == archived), key=lambda d: int(d.id))
                return 200, self._paged([d.json([n for n in names if n]) for d in deals], query)
        if path == "/crm/v4/associations/deals/companies/batch/read" and method == "POST":
            if denied := self._scoped("crm.objects.deals.read"):
                return denied
            results = [{"from": {"id": i["id"]},
                        "to": [{"toObjectId": int(c), "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"}]}
                               for c in self.deal_companies.get(i["id"], [])]}
                       for i in body.get("inputs", []) if self.deal_companies.get(i["id"])]
            return 200, {"status": "COMPLETE", "results": results}
        if path == "/crm/v3/objects/companies/batch/read" and method == "POST":
            if denied := self._scoped("crm.objects.companies.read"):
                return denied
            return 200, {"status": "COMPLETE", "results": [
                self.companies[i["id"]].json(body.get("properties") or ["name"])
                for i in body.get("inputs", []) if i["id"] in self.companies]}
        if len(parts) == 5 and parts[:4] == ["crm", "v3", "objects", "deals"] and method in ("PATCH", "GET"):
            deal = self.deals.get(parts[4])
            if deal is None or deal.archived:
                return 404, _error(f"Object not found.  objectId are usually numeric. {parts[4]}", "OBJECT_NOT_FOUND")
            if method == "GET":
                return self._scoped("crm.objects.deals.read") or (200, deal.json(list(deal.history)))
            if denied := self._scoped("crm.objects.deals.write"):
                return denied
            unknown = [name for name in body.get("properties", {}) if name not in self.deal_properties]
            if unknown:  # HubSpot's reply: its per-property list as JSON inside the message
                return 400, {"status": "error", "category": "VALIDATION_ERROR", "correlationId": str(uuid.uuid4()),
                             "message": "Property values were not valid: " + json.dumps([
                                 {"isValid": False, "message": f'Property "{name}" does not exist',
                                  "error": "PROPERTY_DOESNT_EXIST", "name": name,
                                  "localizedErrorMessage": f'Property "{name}" does not exist'} for name in unknown])}
            self.edit_deal(deal.id, source="INTEGRATION", **body.get("properties", {}))
            return 200, deal.json(list(deal.history))
        if len(parts) >= 4 and parts[:3] == ["crm", "v3", "objects"] and parts[3] in self.engagements:
            return self._engagement(method, parts, body)
        return 404, _error(f"no route {method} {path}", "NOT_FOUND")

    def _engagement(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        kind = parts[3]
        if denied := self._scoped("crm.objects.deals.write" if method != "GET" else "crm.objects.deals.read"):
            return denied
        store = self.engagements[kind]
        if len(parts) == 5 and parts[4] == "search" and method == "POST":
            return self._search(kind, body)
        if len(parts) == 4 and method == "POST":
            deal_ids = [a["to"]["id"] for a in body.get("associations", [])]
            missing = [d for d in deal_ids if d not in self.deals]
            if missing:
                return 400, _error(f"association target {missing[0]} not found", "VALIDATION_ERROR")
            now = self.clock()
            obj = _Object(self._new_id(), now)
            for key, value in body.get("properties", {}).items():
                obj.set(key, value, now, "INTEGRATION")
            with self._lock:
                store[obj.id] = obj
                if deal_ids:
                    self.engagement_deal[obj.id] = deal_ids[0]
            return 201, obj.json(list(obj.history))
        if len(parts) == 5 and parts[4] in store and method == "PATCH":
            obj = store[parts[4]]
            for key, value in body.get("properties", {}).items():
                obj.set(key, value, self.clock(), "INTEGRATION")
            obj.updated = self.clock()
            return 200, obj.json(list(obj.history))
        return 404, _error("Object not found.", "OBJECT_NOT_FOUND")

    def _scoped(self, scope: str) -> tuple[int, dict[str, Any]] | None:
        if scope in self.scopes:
            return None
        return 403, {"status": "error", "message": "This app hasn't been granted all required scopes to make this "
                                                   "call. Read more about required scopes here: "
                                                   "https://developers.hubspot.com/scopes.",
                     "correlationId": str(uuid.uuid4()), "errors": [
                         {"message": "One or more of the following scopes are required.",
                          "context": {"requiredGranularScopes": [scope]}}],
                     "category": "MISSING_SCOPES"}

    @staticmethod
    def _paged(items: list, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = min(int(query.get("limit", ["100"])[0]), 500)
        after = int(query.get("after", ["0"])[0])
        body: dict[str, Any] = {"results": items[after:after + limit]}
        if after + limit < len(items):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms wait for an ACK between

            def log_message(self, *args) -> None:
                pass

            def _serve(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with emulator._lock:
                    emulator.calls.append((method, url.path))
                    scripted = emulator._scripted.popleft() if emulator._scripted else None
                if scripted and scripted.get("delay"):
                    time.sleep(scripted["delay"])
                    scripted = None
                if scripted:
                    headers = {"Retry-After": str(scripted["retry_after"])} if "retry_after" in scripted else {}
                    self._reply(scripted["status"], scripted.get("body") or _error("scripted", "ERROR"), headers)
                    return
                emulator.authorizations.add(self.headers.get("Authorization") or "")
                if self.headers.get("Authorization") != f"Bearer {emulator.token}":
                    self._reply(401, {"status": "error", "message": "Authentication credentials not found. This API "
                                      "supports OAuth 2.0 authentication and you can find more details at "
                                      "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                                      "correlationId": str(uuid.uuid4()), "category": "INVALID_AUTHENTICATION"}, {})
                    return
                headers, limited = emulator._rate_limit(url.path)
                if limited:
                    self._reply(*limited, headers)
                    return
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    self._reply(400, _error("Invalid input JSON", "VALIDATION_ERROR"), headers)
                    return
                if emulator.on_request is not None:
                    emulator.on_request(method, url.path, body)
                status, reply = emulator._route(method, url.path, parse_qs(url.query), body)
                with emulator._lock:
                    lost = (method, url.path) in emulator._lost_replies
                    if lost:
                        emulator._lost_replies.remove((method, url.path))
                if lost:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._reply(status, reply, headers)

            def _reply(self, status: int, body: dict | None, headers: dict[str, str]) -> None:
                with emulator._lock:
                    emulator.statuses.append(status)
                data = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except ConnectionError:
                    pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

        return Handler


def _error(message: str, category: str, detail: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                            "category": category}
    if detail:
        body["errors"] = [{"message": detail}]
    return body


def _rate_error(policy: str, message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
            "policyName": policy}


_RANGE = {"GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b, "LT": lambda a, b: a < b,
          "LTE": lambda a, b: a <= b, "EQ": lambda a, b: a == b}


def _by_id_and_time(index: tuple, groups: list[dict], sorts: list | None) -> _Picked | None:
    """The sync's own query, answered from the index without testing every deal's every filter: one group
    of comparisons on ``hs_object_id`` and ``hs_lastmodifieddate``, sorted by id ascending (the default).
    None for any other query (``_search`` then filters the general way). Same results either way."""
    if len(groups) != 1 or sorts not in (None, [], [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]):
        return None
    filters = groups[0].get("filters", [])
    if any(f.get("propertyName") not in ("hs_object_id", "hs_lastmodifieddate") or f.get("operator") not in _RANGE
           for f in filters):
        return None
    ids, indexed, id_values, times = index
    keep = numpy.ones(len(indexed), dtype=bool)
    for f in filters:
        want = _comparable(str(f.get("value")))
        if not isinstance(want, float):
            return None
        values = id_values if f["propertyName"] == "hs_object_id" else times
        keep &= _RANGE[f["operator"]](values, want)  # a missing value (NaN) compares false, as HubSpot's filter
    return _Picked(indexed, numpy.flatnonzero(keep))


class _Picked:
    """Rows of the index by position: a sequence of (deal, properties) built only for the page asked."""

    def __init__(self, indexed: list[tuple], positions: Any):
        self.indexed, self.positions = indexed, positions

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, part: slice) -> list[tuple[_Object, dict]]:
        return [(self.indexed[i][2], self.indexed[i][3]) for i in self.positions[part]]


def _number(value: Any) -> float:
    return value if isinstance(value, float) else float("nan")


def _sort_key(value: Any) -> tuple:
    """Numbers (and datetimes, as numbers) first, then text, then missing values."""
    if value is None:
        return (2, 0.0, "")
    if isinstance(value, float):
        return (0, value, "")
    return (1, 0.0, value)


def _comparable(value: str | None) -> float | str | None:
    """Numbers and datetimes compare as numbers (HubSpot filters datetimes by epoch milliseconds)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return value.lower()


def _matches(values: dict[str, Any], rule: dict[str, Any]) -> bool:
    """Whether one filter holds for an object's comparable values (``_Object.comparable``)."""
    have = values.get(rule["propertyName"])
    operator = rule["operator"]
    if operator == "HAS_PROPERTY":
        return have is not None
    if operator == "NOT_HAS_PROPERTY":
        return have is None
    if operator == "CONTAINS_TOKEN":
        return have is not None and str(rule.get("value", "")).lower() in str(have).lower()
    if operator == "IN":
        return have in {_comparable(str(v)) for v in rule.get("values", [])}
    if operator == "BETWEEN":
        low, high = _comparable(str(rule["value"])), _comparable(str(rule["highValue"]))
        return have is not None and low <= have <= high  # type: ignore[operator]
    want = _comparable(str(rule.get("value")))
    if have is None:
        return operator == "NEQ"
    try:
        return {"EQ": have == want, "NEQ": have != want, "GT": have > want, "GTE": have >= want,  # type: ignore[operator]
                "LT": have < want, "LTE": have <= want}[operator]  # type: ignore[operator]
    except TypeError:
        return False
