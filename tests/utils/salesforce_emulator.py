"""A real HTTP server on 127.0.0.1 that behaves like the parts of Salesforce's REST API Stagecoach uses.

Tests register a connected app with ``add_app`` (its consumer key and the public key of a pair the test
made), fill the org with ``add_user``, ``add_stage``, ``add_account`` and ``add_opportunity``, and read
what was asked in ``calls``. Behaviour follows Salesforce's REST API documentation:

- ``POST /services/oauth2/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and an
  RS256 ``assertion``: the signature is checked against the app's public key, ``iss`` must be the app's
  consumer key, ``sub`` an active user's username, ``aud`` the login URL (``https://login.salesforce.com``
  or ``https://test.salesforce.com``) and ``exp`` not past. It answers ``access_token``,
  ``instance_url``, ``token_type`` and ``scope``; failures are 400 with ``error`` and
  ``error_description`` as Salesforce words them (``invalid_client_id``, ``invalid_grant``);
- ``GET /services/data/vXX.X/query?q=SOQL``: a small honest subset of SOQL — ``SELECT`` fields (and one
  parent's field, ``Account.Name``), or ``COUNT()``, ``FROM`` one object, ``WHERE`` comparisons and
  ``IN`` lists of strings joined by ``AND`` (datetimes in whole seconds), ``ORDER BY`` and ``LIMIT``. Any other query is 400 ``MALFORMED_QUERY``, an unknown field 400
  ``INVALID_FIELD``: never a wrong answer. Replies have ``totalSize``, ``done``, ``records`` (each
  with ``attributes: {type, url}``) and, while not done, ``nextRecordsUrl``
  (``/services/data/vXX.X/query/<locator>-<offset>``), read by GET like queryMore;
- every data call counts against the org's daily limit, shown in ``Sforce-Limit-Info: api-usage=N/M``;
  past it a 403 with errorCode ``REQUEST_LIMIT_EXCEEDED``. ``expire_sessions`` ends every session: the
  next call is 401 ``INVALID_SESSION_ID``. Error bodies are lists of ``{message, errorCode}``;
- ``queryAll`` also returns deleted records (``IsDeleted``); ``query`` leaves them out. Every edit of an
  opportunity's stage, amount or close date adds an ``OpportunityHistory`` row with all three, as
  Salesforce's field history does; ``LastStageChangeDate`` moves with the stage;
- ``GET .../sobjects/Opportunity/deleted/?start=&end=`` (getDeleted): ``deletedRecords`` with
  ``deletedDate``, ``earliestDateAvailable`` and ``latestDateCovered``; a start more than 15 days back is
  400 ``INVALID_REPLICATION_DATE``. ``GET .../sobjects/Opportunity/describe`` lists the fields (with
  ``CurrencyIsoCode`` only in a multi-currency org);
- sObject writes: ``PATCH .../sobjects/Opportunity/{id}`` (204), ``POST .../sobjects/Task`` (201),
  ``PATCH .../sobjects/Task/{id}`` (204) and the upsert by external id ``PATCH
  .../sobjects/Task/Stagecoach_Change_Id__c/{value}`` (201 created / 200 updated; 404 when the org has no
  such field);
- faults: ``fail_next`` answers the next data calls with 5xx, a concurrent-request
  ``REQUEST_LIMIT_EXCEEDED`` or a dropped connection; ``lose_reply_to`` does a write and drops its reply;
  ``hide`` makes an object unreadable, as a missing permission does (400 ``INVALID_TYPE``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
BATCH_SIZE = 2000  # Salesforce's default query batch

# Each object's fields (API names); a query naming another is INVALID_FIELD.
FIELDS: dict[str, tuple[str, ...]] = {
    "User": ("Id", "Username", "FirstName", "LastName", "Name", "Email", "IsActive", "UserType",
             "TimeZoneSidKey", "SystemModstamp"),
    "OpportunityStage": ("Id", "ApiName", "MasterLabel", "IsActive", "IsClosed", "IsWon", "DefaultProbability",
                         "SortOrder", "ForecastCategoryName", "SystemModstamp"),
    "Account": ("Id", "Name", "SystemModstamp"),
    "Opportunity": ("Id", "Name", "AccountId", "StageName", "Amount", "CloseDate", "CreatedDate", "OwnerId",
                    "NextStep", "ForecastCategoryName", "IsClosed", "IsWon", "LastStageChangeDate",
                    "SystemModstamp", "CurrencyIsoCode", "IsDeleted"),
    "OpportunityHistory": ("Id", "OpportunityId", "StageName", "Amount", "CloseDate", "Probability",
                           "ForecastCategory", "CreatedDate", "SystemModstamp", "IsDeleted"),
    "CurrencyType": ("Id", "IsoCode", "ConversionRate", "IsCorporate", "IsActive", "DecimalPlaces"),
    "Task": ("Id", "WhatId", "OwnerId", "Subject", "Description", "ActivityDate", "Status", "Type", "IsClosed",
             "CreatedDate", "SystemModstamp", "IsDeleted", "Stagecoach_Change_Id__c"),
}
HISTORY_TRACKED = ("StageName", "Amount", "CloseDate")  # an edit of any adds an OpportunityHistory row
EXTERNAL_ID = "Stagecoach_Change_Id__c"
DELETE_LOG_DAYS = 15
PARENTS = {("Opportunity", "Account"): ("AccountId", "Account")}  # relationship -> (id field, object)

_QUERY = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
                    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
                    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.IGNORECASE | re.DOTALL)
_CONDITION = re.compile(r"^\s*(?P<field>\w+)\s*(?P<op>=|!=|<=|>=|<|>)\s*(?P<value>'(?:[^'\\]|\\.)*'|[^\s']+)\s*$")
_IN = re.compile(r"^\s*(?P<field>\w+)\s+IN\s*\((?P<values>\s*'[^'\\]*'(?:\s*,\s*'[^'\\]*')*\s*)\)\s*$", re.IGNORECASE)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")  # SOQL's: whole seconds
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CsvReply:
    """A reply in CSV (Bulk API 2.0 results), with its own headers."""

    def __init__(self, text: str, headers: dict[str, str]):
        self.text, self.headers = text, headers


def _cell(row: dict[str, Any], name: str) -> Any:
    relation, dot, field = name.partition(".")
    if not dot:
        return row.get(name)
    parent = row.get(relation)
    return parent.get(field) if parent else None


def _csv_value(value: Any) -> str:
    """A value as Bulk's CSV writes it: empty for null, true/false, datetimes with Z."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.endswith("+0000"):
        return value[:-5] + "Z"
    return str(value)


class SoqlError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def sf_datetime(when: datetime) -> str:
    """Salesforce's datetime text in REST replies: UTC, milliseconds, +0000."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if _DATETIME.match(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    if _DATE.match(text):
        return date.fromisoformat(text)
    try:
        return Decimal(text)
    except ArithmeticError:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text}'") from None


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "IN":
        return left in right
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


class _Session:
    def __init__(self, username: str):
        self.username = username
        self.valid = True


class SalesforceEmulator:
    """The org: records per object, connected apps, sessions, the daily API limit and the calls made."""

    def __init__(self, *, api_version: str = "62.0", daily_limit: int = 100_000, batch_size: int = BATCH_SIZE,
                 multi_currency: bool = False, clock: Any = None, external_id_field: bool = True):
        self.api_version = api_version
        self.multi_currency = multi_currency
        self.external_id_field = external_id_field
        self.clock = clock or (lambda: datetime.now(UTC))
        self.deleted_log: dict[str, datetime] = {}  # opportunity id -> when deleted
        self.hidden: set[str] = set()  # objects the integration user may not read
        self.on_request: Any = None  # called with (method, path with query) before each data call is answered
        self.sessions_refused = False  # every session is refused at once (a frozen user, an IP restriction)
        self.faults: list[dict[str, Any]] = []
        self.lost_replies: list[tuple[str, str]] = []
        self.jobs: dict[str, dict[str, Any]] = {}  # Bulk API 2.0 query jobs
        self._history_ids: dict[str, list[str]] = {}  # opportunity id -> its OpportunityHistory ids
        self.bulk_page = 10_000  # results rows per page at most, whatever maxRecords asks
        self.daily_limit = daily_limit
        self.api_used = 0
        self.batch_size = batch_size
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in FIELDS}
        self.apps: dict[str, Any] = {}  # consumer key -> public key
        self.sessions: dict[str, _Session] = {}
        self.cursors: dict[str, list[dict[str, Any]]] = {}  # query locator -> the query's rows
        self.calls: list[tuple[str, str]] = []  # (method, path with query)
        self._ids = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def instance_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> SalesforceEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SalesforceEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the org's content -------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:012d}AAA"  # 18 characters, like Salesforce's case-safe ids

    def add_app(self, consumer_key: str, public_key: Any) -> None:
        """A connected app whose certificate is ``public_key`` (a cryptography public key or PEM bytes)."""
        self.apps[consumer_key] = public_key

    def fields(self, kind: str) -> tuple[str, ...]:
        """The object's fields in this org: CurrencyIsoCode only where more than one currency is on."""
        return tuple(f for f in FIELDS[kind] if f != "CurrencyIsoCode" or self.multi_currency)

    def _add(self, kind: str, prefix: str, values: dict[str, Any], modstamp: datetime) -> str:
        unknown = set(values) - set(self.fields(kind))
        assert not unknown, f"{kind} has no field(s) {unknown}"
        record_id = values.get("Id") or self._new_id(prefix)
        record = dict.fromkeys(FIELDS[kind])
        if "IsDeleted" in record:
            record["IsDeleted"] = False
        record.update(values, Id=record_id, SystemModstamp=values.get("SystemModstamp", modstamp))
        self.records[kind][record_id] = record
        return record_id

    def add_user(self, modstamp: datetime, **values: Any) -> str:
        values.setdefault("IsActive", True)
        values.setdefault("UserType", "Standard")
        values.setdefault("Name", " ".join(filter(None, (values.get("FirstName"), values.get("LastName")))))
        return self._add("User", "005", values, modstamp)

    def add_stage(self, label: str, modstamp: datetime, *, closed: bool = False, won: bool = False,
                  probability: int = 10, order: int | None = None) -> str:
        return self._add("OpportunityStage", "01J", {
            "ApiName": label, "MasterLabel": label, "IsActive": True, "IsClosed": closed, "IsWon": won,
            "DefaultProbability": probability, "SortOrder": order or len(self.records["OpportunityStage"]) + 1,
            "ForecastCategoryName": "Closed" if won else "Omitted" if closed else "Pipeline"}, modstamp)

    def add_account(self, name: str, modstamp: datetime) -> str:
        return self._add("Account", "001", {"Name": name}, modstamp)

    def add_opportunity(self, modstamp: datetime, **values: Any) -> str:
        stage = next((s for s in self.records["OpportunityStage"].values() if s["ApiName"] == values["StageName"]),
                     None)
        assert stage is not None, f"no stage {values['StageName']!r} in the org"
        values.setdefault("IsClosed", stage["IsClosed"])
        values.setdefault("IsWon", stage["IsWon"])
        values.setdefault("ForecastCategoryName", stage["ForecastCategoryName"])
        values.setdefault("CreatedDate", modstamp)
        values.setdefault("LastStageChangeDate", values["CreatedDate"])
        if self.multi_currency:
            values.setdefault("CurrencyIsoCode", "USD")
        opportunity = self._add("Opportunity", "006", values, modstamp)
        self._history(self.records["Opportunity"][opportunity], values["CreatedDate"])
        return opportunity

    def _history(self, opportunity: dict[str, Any], at: datetime) -> None:
        row = self._add("OpportunityHistory", "008", {"OpportunityId": opportunity["Id"], "CreatedDate": at,
                                                     **{name: opportunity[name] for name in HISTORY_TRACKED}}, at)
        self._history_ids.setdefault(opportunity["Id"], []).append(row)

    def edit_opportunity(self, opportunity_id: str, at: datetime, **values: Any) -> None:
        """Change fields as a user would at ``at``: SystemModstamp moves, and a history row is added when the
        stage, amount or close date changes (LastStageChangeDate moves with the stage)."""
        record = self.records["Opportunity"][opportunity_id]
        unknown = set(values) - set(self.fields("Opportunity"))
        assert not unknown, f"Opportunity has no field(s) {unknown}"
        tracked = any(name in values and values[name] != record[name] for name in HISTORY_TRACKED)
        if "StageName" in values and values["StageName"] != record["StageName"]:
            stage = next(s for s in self.records["OpportunityStage"].values() if s["ApiName"] == values["StageName"])
            record.update(IsClosed=stage["IsClosed"], IsWon=stage["IsWon"], LastStageChangeDate=at,
                          ForecastCategoryName=stage["ForecastCategoryName"])
        record.update(values, SystemModstamp=at)
        if tracked:
            self._history(record, at)

    def delete_opportunity(self, opportunity_id: str, at: datetime) -> None:
        """To the recycle bin: gone from query, in queryAll with IsDeleted, in getDeleted's log."""
        self.records["Opportunity"][opportunity_id].update(IsDeleted=True, SystemModstamp=at)
        self.deleted_log[opportunity_id] = at

    def undelete_opportunity(self, opportunity_id: str, at: datetime) -> None:
        """Back from the recycle bin (its SystemModstamp moves; the delete log keeps its entry)."""
        self.records["Opportunity"][opportunity_id].update(IsDeleted=False, SystemModstamp=at)

    def fail_next(self, *faults: dict[str, Any]) -> None:
        """The next data calls fail, one fault each: ``{"status": 503}``, ``{"drop": True}`` (the connection
        closes unanswered) or ``{"status": 403, "code": "REQUEST_LIMIT_EXCEEDED", "message": ...}``;
        ``{}`` lets a call through."""
        self.faults.extend(faults)

    def lose_reply_to(self, method: str, path_part: str) -> None:
        """The next such call is done, then its connection drops before the reply (a crash on our side looks
        the same: Salesforce has the change, we do not know it)."""
        self.lost_replies.append((method, path_part))

    def add_currency(self, code: str, rate: float, *, corporate: bool = False) -> None:
        """An active currency of a multi-currency org: ``rate`` units per one of the corporate currency."""
        self._add("CurrencyType", "01L", {"IsoCode": code, "ConversionRate": rate, "IsCorporate": corporate,
                                          "IsActive": True, "DecimalPlaces": 0 if code == "JPY" else 2}, self.clock())

    def hide(self, kind: str) -> None:
        """The integration user's profile cannot read ``kind``: Salesforce then says it does not exist."""
        self.hidden.add(kind)

    def tasks_of(self, opportunity_id: str) -> list[dict[str, Any]]:
        return [task for task in self.records["Task"].values() if task["WhatId"] == opportunity_id]

    def expire_sessions(self) -> None:
        """Every session ends (as when it times out): the next data call is 401 INVALID_SESSION_ID."""
        with self._lock:
            for session in self.sessions.values():
                session.valid = False

    # --- SOQL ----------------------------------------------------------------------------------------------

    def query(self, soql: str, *, deleted_too: bool = False) -> list[dict[str, Any]] | int:
        """The rows ``soql`` selects, shaped as the REST API returns them (their number for ``COUNT()``).

        Raises:
            SoqlError: the query is outside the subset this emulator answers, or names an unknown field.
        """
        match = _QUERY.match(soql)
        if not match:
            raise SoqlError("MALFORMED_QUERY", "unexpected token or a query this emulator does not answer")
        kind = match["object"]
        if kind not in FIELDS or kind in self.hidden or (kind == "CurrencyType" and not self.multi_currency):
            raise SoqlError("INVALID_TYPE", f"sObject type '{kind}' is not supported.")
        fields = [name.strip() for name in match["fields"].split(",")]
        counting = [name.upper() for name in fields] == ["COUNT()"]
        for name in [] if counting else fields:
            self._field(kind, name)
        conditions = []
        if match["where"]:
            for part in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE):
                if listed := _IN.match(part):
                    self._field(kind, listed["field"])
                    values = {value.strip()[1:-1] for value in listed["values"].split(",")}
                    conditions.append((listed["field"], "IN", values))
                    continue
                condition = _CONDITION.match(part)
                if not condition or re.search(r"\b(OR|NOT|IN|LIKE)\b", part, re.IGNORECASE):
                    raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{part.strip()}'")
                self._field(kind, condition["field"])
                conditions.append((condition["field"], condition["op"], _literal(condition["value"])))
        order: list[tuple[str, bool]] = []
        if match["order"]:
            for part in match["order"].split(","):
                words = part.split()
                if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
                    raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{part.strip()}'")
                self._field(kind, words[0])
                order.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
        rows = [record for record in self._candidates(kind, conditions) if (deleted_too or not record.get("IsDeleted"))
                and all(_compare(op, self._comparable(record[field]), value) for field, op, value in conditions)]
        for field, descending in reversed(order):  # stable sorts, last key first; nulls first as Salesforce
            rows.sort(key=lambda r, f=field: (r[f] is not None, self._comparable(r[f])), reverse=descending)
        if match["limit"]:
            rows = rows[:int(match["limit"])]
        if counting:
            return len(rows)
        return [self._shape(kind, record, fields) for record in rows]

    def _candidates(self, kind: str, conditions: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
        """The records a query can match: those an ``Id IN`` or ``OpportunityId IN`` names (looked up, as an
        index would), else all of them; the conditions are still checked on each."""
        records = self.records[kind]
        for field, op, values in conditions:
            if op == "IN" and field == "Id":
                return [records[i] for i in sorted(values) if i in records]
            if op == "IN" and field == "OpportunityId" and kind == "OpportunityHistory":
                return [records[h] for i in sorted(values) for h in self._history_ids.get(i, [])]
        return list(records.values())

    @staticmethod
    def _comparable(value: Any) -> Any:
        return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else value

    def _field(self, kind: str, name: str) -> None:
        relation, dot, parent_field = name.partition(".")
        if dot:
            parent = PARENTS.get((kind, relation))
            if parent is None or parent_field not in self.fields(parent[1]):
                raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{kind}'.")
        elif name not in self.fields(kind):
            raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{kind}'.")

    def _shape(self, kind: str, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        shaped: dict[str, Any] = {"attributes": self._attributes(kind, record["Id"])}
        for name in fields:
            relation, dot, parent_field = name.partition(".")
            if not dot:
                shaped[name] = self._json(record[name])
                continue
            id_field, parent_kind = PARENTS[(kind, relation)]
            parent = self.records[parent_kind].get(record[id_field] or "")
            if parent is None:
                shaped[relation] = None
            else:
                shaped.setdefault(relation, {"attributes": self._attributes(parent_kind, parent["Id"])})
                shaped[relation][parent_field] = self._json(parent[parent_field])
        return shaped

    def _attributes(self, kind: str, record_id: str) -> dict[str, str]:
        return {"type": kind, "url": f"/services/data/v{self.api_version}/sobjects/{kind}/{record_id}"}

    @staticmethod
    def _json(value: Any) -> Any:
        if isinstance(value, datetime):
            return sf_datetime(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)  # JSON numbers, as Salesforce sends them
        return value

    # --- HTTP ----------------------------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != JWT_GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        assertion = form.get("assertion", "")
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return 400, {"error": "invalid_grant", "error_description": "invalid assertion"}
        key = self.apps.get(str(claims.get("iss")))
        if key is None:
            return 400, {"error": "invalid_client_id", "error_description": "client identifier invalid"}
        try:
            claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=list(AUDIENCES),
                                issuer=claims["iss"], options={"require": ["iss", "sub", "aud", "exp"]})
        except jwt.ExpiredSignatureError:
            return 400, {"error": "invalid_grant", "error_description": "expired assertion"}
        except jwt.InvalidAudienceError:
            return 400, {"error": "invalid_grant", "error_description": "audience is invalid"}
        except jwt.PyJWTError:
            return 400, {"error": "invalid_grant", "error_description": "invalid assertion"}
        user = next((u for u in self.records["User"].values() if u["Username"] == claims["sub"]), None)
        if user is None or not user["IsActive"]:
            return 400, {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"}
        token = "00D000000000001!" + uuid.uuid4().hex + uuid.uuid4().hex
        with self._lock:
            self.sessions[token] = _Session(claims["sub"])
        return 200, {"access_token": token, "instance_url": self.instance_url, "token_type": "Bearer",
                     "scope": "api", "id": f"{self.instance_url}/id/00D000000000001/{user['Id']}"}

    def _data(self, method: str, path: str, params: dict[str, list[str]], authorization: str,
              body: dict[str, Any] | None = None) -> tuple[int, Any]:
        token = authorization.removeprefix("Bearer ").strip()
        session = self.sessions.get(token)
        if session is None or not session.valid or self.sessions_refused:
            return 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        with self._lock:
            if self.api_used >= self.daily_limit:
                return 403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
            self.api_used += 1
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None and "status" in fault:
            return fault["status"], [{"message": fault.get("message", "Service unavailable"),
                                      "errorCode": fault.get("code", "SERVER_UNAVAILABLE")}]
        data = f"/services/data/v{self.api_version}"
        if path.startswith(f"{data}/jobs/query"):
            return self._job(method, path[len(f"{data}/jobs/query"):].strip("/").split("/"), params, body)
        if method == "GET" and path in (f"{data}/query", f"{data}/queryAll"):
            soql = (params.get("q") or [""])[0]
            try:
                rows = self.query(soql, deleted_too=path.endswith("queryAll"))
            except SoqlError as exc:
                return 400, [{"message": str(exc), "errorCode": exc.code}]
            if isinstance(rows, int):  # SELECT COUNT(): the number only
                return 200, {"totalSize": rows, "done": True, "records": []}
            locator = "01g" + uuid.uuid4().hex[:15]
            with self._lock:
                self.cursors[locator] = rows
            return 200, self._page(locator, 0)
        if method == "GET" and path.startswith(f"{data}/query/"):
            locator, _, offset = path[len(data) + len("/query/"):].rpartition("-")
            if locator not in self.cursors or not offset.isdigit():
                return 400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]
            return 200, self._page(locator, int(offset))
        parts = path[len(data) + 1:].strip("/").split("/") if path.startswith(data + "/") else []
        if len(parts) < 2 or parts[0] != "sobjects" or parts[1] not in FIELDS or parts[1] in self.hidden:
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        kind = parts[1]
        if method == "GET" and parts[2:] == ["describe"]:
            return 200, {"name": kind, "fields": [{"name": name} for name in self.fields(kind)]}
        if method == "GET" and parts[2:] == ["deleted"] and kind == "Opportunity":
            return self._deleted(params)
        if method == "POST" and len(parts) == 2:
            return self._create(kind, body or {})
        if method == "PATCH" and len(parts) == 3:
            return self._update(kind, parts[2], body or {})
        if method == "PATCH" and len(parts) == 4:
            return self._upsert(kind, parts[2], parts[3], body or {})
        return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]

    def _job(self, method: str, parts: list[str], params: dict[str, list[str]],
             body: dict[str, Any] | None) -> tuple[int, Any]:
        """Bulk API 2.0 query jobs: create (POST), state (GET; UploadComplete, InProgress, then JobComplete on
        the third look), results (GET .../results: CSV pages of ``maxRecords`` chained by Sforce-Locator)."""
        if method == "POST" and parts == [""]:
            soql = (body or {}).get("query", "")
            if re.search(r"\bCOUNT\(\)|\bGROUP\s+BY\b|\bOFFSET\b", soql, re.IGNORECASE):
                return 400, [{"message": "Bulk API 2.0 does not support this query", "errorCode": "INVALIDJOB"}]
            try:
                rows = self.query(soql, deleted_too=(body or {}).get("operation") == "queryAll")
            except SoqlError as exc:
                return 400, [{"message": str(exc), "errorCode": exc.code}]
            fields = [name.strip() for name in _QUERY.match(soql)["fields"].split(",")]
            job_id = "750" + uuid.uuid4().hex[:15]
            with self._lock:
                self.jobs[job_id] = {"rows": rows, "fields": fields, "looks": 0}
            return 200, {"id": job_id, "operation": "query", "object": _QUERY.match(soql)["object"],
                         "state": "UploadComplete", "contentType": "CSV", "apiVersion": float(self.api_version)}
        job = self.jobs.get(parts[0]) if parts and parts[0] else None
        if job is None:
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        if method == "GET" and len(parts) == 1:
            job["looks"] += 1
            state = ("UploadComplete", "InProgress")[job["looks"] - 1] if job["looks"] < 3 else "JobComplete"
            return 200, {"id": parts[0], "state": state, "numberRecordsProcessed": len(job["rows"])}
        if method == "GET" and parts[1:] == ["results"]:
            if job["looks"] < 3:
                return 400, [{"message": "job is not complete", "errorCode": "INVALIDJOB"}]
            # at most maxRecords, and no more than the page Salesforce chose (it may give fewer)
            size = min(int((params.get("maxRecords") or [str(self.bulk_page)])[0]), self.bulk_page)
            start = int((params.get("locator") or ["0"])[0])
            page = job["rows"][start:start + size]
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(job["fields"])
            for row in page:
                writer.writerow([_csv_value(_cell(row, name)) for name in job["fields"]])
            more = start + size < len(job["rows"])
            return 200, CsvReply(out.getvalue(), {"Sforce-Locator": str(start + size) if more else "null",
                                                  "Sforce-NumberOfRecords": str(len(page))})
        return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]

    def _deleted(self, params: dict[str, list[str]]) -> tuple[int, Any]:
        try:
            start, end = (datetime.fromisoformat(params[name][0].replace("Z", "+00:00")) for name in ("start", "end"))
        except (KeyError, ValueError):
            return 400, [{"message": "start and end are required ISO 8601 dates", "errorCode": "MALFORMED_QUERY"}]
        now = self.clock()
        earliest = now - timedelta(days=DELETE_LOG_DAYS)
        if start < earliest:
            return 400, [{"message": "startDate cannot be more than 15 days ago", "errorCode": "INVALID_REPLICATION_DATE"}]
        start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)  # whole minutes
        found = [{"id": record_id, "deletedDate": sf_datetime(at)} for record_id, at in self.deleted_log.items()
                 if start <= at.replace(second=0, microsecond=0) <= end]
        return 200, {"deletedRecords": found, "earliestDateAvailable": sf_datetime(earliest),
                     "latestDateCovered": sf_datetime(end)}

    def _checked(self, kind: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        for name in body:
            if name not in self.fields(kind) or name in ("Id", "SystemModstamp", "CreatedDate", "IsDeleted"):
                return 400, [{"message": f"No such column '{name}' on sobject of type {kind}",
                              "errorCode": "INVALID_FIELD"}]
        if kind == "Opportunity" and "StageName" in body and not any(
                s["ApiName"] == body["StageName"] for s in self.records["OpportunityStage"].values()):
            return 400, [{"message": f"Stage: bad value for restricted picklist field: {body['StageName']}",
                          "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"}]
        return None

    def _create(self, kind: str, body: dict[str, Any]) -> tuple[int, Any]:
        if kind != "Task" or (refused := self._checked(kind, body)) is not None:
            return refused if kind == "Task" else (405, [{"message": "not here", "errorCode": "METHOD_NOT_ALLOWED"}])
        now = self.clock()
        with self._lock:
            record_id = self._add("Task", "00T", {"Status": "Not Started", **body, "CreatedDate": now,
                                                  "IsClosed": body.get("Status") == "Completed"}, now)
        return 201, {"id": record_id, "success": True, "errors": []}

    def _update(self, kind: str, record_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        record = self.records[kind].get(record_id)
        if record is None or record.get("IsDeleted"):
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        if (refused := self._checked(kind, body)) is not None:
            return refused
        with self._lock:
            if kind == "Opportunity":
                self.edit_opportunity(record_id, self.clock(), **body)
            else:
                record.update(body, SystemModstamp=self.clock())
                if "Status" in body:
                    record["IsClosed"] = body["Status"] == "Completed"
        return 204, None

    def _upsert(self, kind: str, field_name: str, value: str, body: dict[str, Any]) -> tuple[int, Any]:
        if kind != "Task" or field_name != EXTERNAL_ID or not self.external_id_field:
            return 404, [{"message": f"Provided external ID field does not exist or is not accessible: {field_name}",
                          "errorCode": "NOT_FOUND"}]
        if (refused := self._checked(kind, body)) is not None:
            return refused
        with self._lock:
            found = [r for r in self.records["Task"].values() if r[EXTERNAL_ID] == value and not r["IsDeleted"]]
            if found:
                found[0].update(body, SystemModstamp=self.clock())
                return 200, {"id": found[0]["Id"], "success": True, "errors": [], "created": False}
            now = self.clock()
            record_id = self._add("Task", "00T", {"Status": "Not Started", **body, EXTERNAL_ID: value,
                                                  "CreatedDate": now,
                                                  "IsClosed": body.get("Status") == "Completed"}, now)
        return 201, {"id": record_id, "success": True, "errors": [], "created": True}

    def _page(self, locator: str, offset: int) -> dict[str, Any]:
        rows = self.cursors[locator]
        end = offset + self.batch_size
        page: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[offset:end]}
        if not page["done"]:
            page["nextRecordsUrl"] = f"/services/data/v{self.api_version}/query/{locator}-{end}"
        return page

    def _handler(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: Any, limit_info: bool = False) -> None:
                csv_reply = body if isinstance(body, CsvReply) else None
                data = csv_reply.text.encode() if csv_reply else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/csv" if csv_reply else "application/json;charset=UTF-8")
                for name, value in (csv_reply.headers.items() if csv_reply else ()):
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                if limit_info:
                    self.send_header("Sforce-Limit-Info", f"api-usage={emulator.api_used}/{emulator.daily_limit}")
                self.end_headers()
                self.wfile.write(data)

            def _lost(self, method: str) -> bool:
                """Whether this call's reply is to be lost (the call itself is done)."""
                for lost in emulator.lost_replies:
                    if lost[0] == method and lost[1] in self.path:
                        emulator.lost_replies.remove(lost)
                        return True
                return False

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.shutdown(2)

            def _serve(self, method: str, body: dict[str, Any] | None) -> None:
                url = urlparse(self.path)
                emulator.calls.append((method, self.path))
                if emulator.on_request is not None:
                    emulator.on_request(method, self.path)
                faults_before = len(emulator.faults)
                dropping = emulator.faults[:1] == [{"drop": True}]
                status, reply = emulator._data(method, url.path, parse_qs(url.query),
                                               self.headers.get("Authorization", ""), body)
                if (dropping and len(emulator.faults) < faults_before) or self._lost(method):
                    self._drop()
                    return
                if status == 204:
                    self.send_response(204)
                    self.send_header("Sforce-Limit-Info", f"api-usage={emulator.api_used}/{emulator.daily_limit}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._reply(status, reply, limit_info=status != 401)

            def do_PATCH(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve("PATCH", json.loads(self.rfile.read(length) or b"{}"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not urlparse(self.path).path.startswith("/services/oauth2/token"):
                    self._serve("POST", json.loads(raw or b"{}"))
                    return
                emulator.calls.append(("POST", urlparse(self.path).path))
                form = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
                self._reply(*emulator._token(form))

            def do_GET(self) -> None:
                self._serve("GET", None)

        return Handler
