"""Salesforce as a source of deals: users, the org's stage list and opportunities, read over its REST API.

What comes out is the same typed data the HubSpot read path gives (``CrmDeal``, ``Owner``, ``Mapping``
of ``bot.sync.hubspot``), mapped onto the process map as the CSV ``salesforce`` preset maps an export.

Why not simple-salesforce: it builds every URL as ``https://<instance>/services/data/...`` and its JWT
login posts to ``https://<domain>.salesforce.com``, so it cannot reach an org's My Domain token
endpoint over anything but those hosts (nor a local emulator); and it brings a SOAP stack the sync
never uses. What the sync needs — the JWT bearer exchange, query and queryMore, reading
``Sforce-Limit-Info`` to stop before the org's daily budget runs out, renewing an expired session,
one-line errors with no secret in them — is about a hundred lines over httpx (already the CRM client).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import jwt

from bot.core.config import Settings
from bot.core.errors import InvalidInput
from bot.importer.columns import preset_stages
from bot.importer.reps import not_a_person
from bot.importer.values import StageResolver
from bot.sync.client import BACKOFF_BASE, BACKOFF_MAX, RETRIES, CrmAuthError, CrmError
from bot.sync.records import EPOCH, SALESFORCE, CrmDeal, Mapping, Owner, unmapped_stages
from knowledge.process_map import ProcessMap

CRM = SALESFORCE
API_VERSION = "62.0"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PAGE = 200  # ids per page handed to the engine, and per Id IN (...) query
ASSERTION_SECONDS = 180  # Salesforce refuses an assertion that expires more than 3 minutes ahead

USER_FIELDS = ("Id", "Username", "FirstName", "LastName", "Name", "Email", "IsActive", "UserType")
STAGE_FIELDS = ("ApiName", "MasterLabel", "IsActive", "IsClosed", "IsWon", "DefaultProbability", "SortOrder")
OPPORTUNITY_FIELDS = ("Id", "Name", "Account.Name", "StageName", "Amount", "CloseDate", "CreatedDate", "OwnerId",
                      "NextStep", "ForecastCategoryName", "IsClosed", "IsWon", "SystemModstamp")


class SalesforceLimitError(CrmError):
    """The org's daily API budget (less the share kept for other integrations) is spent: stop until tomorrow."""


@dataclass
class ApiUsage:
    """The org's daily API calls as the last ``Sforce-Limit-Info`` header said, and the calls this client made."""

    used: int | None = None
    limit: int | None = None
    calls: int = 0
    retries: int = 0


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """``api-usage=N/M`` (the header may list other limits too) as (N, M); None when absent or unreadable."""
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        used, slash, limit = value.partition("/")
        if name == "api-usage" and slash and used.isdigit() and limit.isdigit():
            return int(used), int(limit)
    return None


class SalesforceClient:
    """Salesforce's REST API as the integration user, by the OAuth 2.0 JWT bearer flow.

    Args:
        instance_url: the org's My Domain URL; its ``/services/oauth2/token`` issues the session.
        client_id: the connected app's consumer key (the JWT's ``iss``).
        username: the integration user's username (the JWT's ``sub``).
        private_key: the PEM text of the key whose certificate the connected app holds. Kept only here.
        audience: the login URL (``https://login.salesforce.com``, or ``https://test.salesforce.com``).
        reserve: share of the org's daily API calls left to its other integrations.
        sleep, now, jitter: time and randomness, injectable so tests need not wait.
    """

    def __init__(self, instance_url: str, client_id: str, username: str, private_key: str, *,
                 audience: str = "https://login.salesforce.com", api_version: str = API_VERSION,
                 reserve: float = 0.2, timeout: float = 30.0, retries: int = RETRIES,
                 sleep: Callable[[float], None] = time.sleep, now: Callable[[], float] = time.time,
                 jitter: Callable[[], float] = random.random):
        self._client_id, self._username, self._key, self._audience = client_id, username, private_key, audience
        self._http = httpx.Client(base_url=instance_url.rstrip("/"), timeout=timeout,
                                  headers={"Accept": "application/json"})
        self._session: str | None = None
        self._version = api_version
        self._reserve, self._retries = reserve, retries
        self._sleep, self._now, self._jitter = sleep, now, jitter
        self.usage = ApiUsage()

    def __repr__(self) -> str:  # never the key or the session
        return f"SalesforceClient({self._http.base_url}, user {self._username})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def login(self) -> None:
        """A new session from a freshly signed assertion.

        Raises:
            CrmAuthError: Salesforce refused the assertion (one line naming its reason and the fix).
        """
        now = int(self._now())
        try:
            assertion = jwt.encode({"iss": self._client_id, "sub": self._username, "aud": self._audience,
                                    "exp": now + ASSERTION_SECONDS}, self._key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            raise CrmAuthError("SALESFORCE_PRIVATE_KEY_FILE does not hold an RSA private key in PEM form") from None
        try:
            response = self._http.post("/services/oauth2/token",
                                       data={"grant_type": JWT_GRANT, "assertion": assertion})
        except httpx.TransportError as exc:
            raise CrmError(f"Salesforce's token endpoint did not answer ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise CrmAuthError(_login_message(response, self._client_id, self._username))
        self._session = response.json()["access_token"]

    def get_query(self, soql: str) -> dict[str, Any]:
        """The query's first reply as it is (``totalSize`` of a ``COUNT()``)."""
        return self._get(f"/services/data/v{self._version}/query", {"q": soql})

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record ``soql`` selects, following ``nextRecordsUrl`` (queryMore) until ``done``."""
        reply = self.get_query(soql)
        yield from reply["records"]
        while not reply["done"]:
            reply = self._get(reply["nextRecordsUrl"], None)
            yield from reply["records"]

    def _get(self, path: str, params: dict[str, str] | None) -> dict[str, Any]:
        """The reply's JSON; renews an expired session once, retries 5xx and timeouts with backoff.

        Raises:
            SalesforceLimitError: the daily budget is spent (by Salesforce's count, or ours with the reserve).
            CrmAuthError: the session is refused even when new, or a permission is missing.
            CrmError: any other refusal, or failures that outlasted the retries.
        """
        self._check_budget()
        if self._session is None:
            self.login()
        attempt, renewed = 0, False
        while True:
            try:
                response = self._http.get(path, params=params, headers={"Authorization": f"Bearer {self._session}"})
            except httpx.TransportError as exc:
                response, failure = None, type(exc).__name__
            self.usage.calls += 1
            if response is not None:
                if (usage := parse_limit_info(response.headers.get("Sforce-Limit-Info"))) is not None:
                    self.usage.used, self.usage.limit = usage
                if response.status_code == 200:
                    return response.json()
                code, message = _error(response)
                if response.status_code == 401 and not renewed:  # sessions time out: sign a new assertion
                    renewed = True
                    self.login()
                    continue
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise SalesforceLimitError(f"Salesforce's daily API limit is spent ({message}); the sync "
                                               "stops until the org's 24-hour count falls")
                if response.status_code in (401, 403):
                    raise CrmAuthError(f"Salesforce refused {_route(path)} (HTTP {response.status_code} {code}): "
                                       f"{message}; check the integration user's permissions")
                if response.status_code < 500:
                    raise CrmError(f"Salesforce refused {_route(path)} (HTTP {response.status_code} {code}): {message}")
                failure = f"HTTP {response.status_code}"
            attempt += 1
            if attempt > self._retries:
                raise CrmError(f"Salesforce {_route(path)}: {failure} after {self._retries} retries; try again later")
            self.usage.retries += 1
            self._sleep(self._jitter() * min(BACKOFF_MAX, BACKOFF_BASE * 2 ** attempt))

    def _check_budget(self) -> None:
        used, limit = self.usage.used, self.usage.limit
        if used is not None and limit and used >= limit * (1 - self._reserve):
            raise SalesforceLimitError(f"the org has used {used} of its {limit} daily API calls; the sync stops at "
                                       f"{1 - self._reserve:.0%} to leave the rest to its other integrations")


def _route(path: str) -> str:
    """The path without its query locator, so errors name the endpoint and no cursor."""
    base = path.split("?")[0]
    return base.rsplit("/", 1)[0] + "/{locator}" if "/query/" in base else base


def _error(response: httpx.Response) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error body (a list of them), or the status when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code), response.text[:200]
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    return str(first.get("errorCode", response.status_code)), str(first.get("message", ""))[:300]


def _login_message(response: httpx.Response, client_id: str, username: str) -> str:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error, description = body.get("error", f"HTTP {response.status_code}"), body.get("error_description", "")
    fix = {"invalid_client_id": "SALESFORCE_CLIENT_ID is not the connected app's consumer key",
           "invalid_grant": (f"the connected app is not approved for {username}, or its certificate is not the "
                             "private key's, or SALESFORCE_LOGIN_URL is wrong")}.get(error, "see Salesforce's reply")
    return f"Salesforce refused the JWT login ({error}: {description}): {fix}"


def client_for(settings: Settings, **kwargs: Any) -> SalesforceClient:
    """A client for the configured org.

    Raises:
        InvalidInput: a setting is missing, or the key file cannot be read (the message names the file only).
    """
    missing = [name for name, value in (("SALESFORCE_INSTANCE_URL", settings.salesforce_instance_url),
                                        ("SALESFORCE_CLIENT_ID", settings.salesforce_client_id),
                                        ("SALESFORCE_USERNAME", settings.salesforce_username),
                                        ("SALESFORCE_PRIVATE_KEY_FILE", settings.salesforce_private_key_file))
               if not value]
    if missing:
        raise InvalidInput(f"Salesforce is not configured: set {', '.join(missing)} (a connected app with the "
                           "JWT bearer flow; see the README)")
    path = settings.salesforce_private_key_file
    try:
        key = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"SALESFORCE_PRIVATE_KEY_FILE {path}: cannot read it "
                           f"({getattr(exc, 'strerror', None) or 'not a PEM text file'})") from None
    return SalesforceClient(settings.salesforce_instance_url, settings.salesforce_client_id,
                            settings.salesforce_username, key, audience=settings.salesforce_login_url,
                            reserve=settings.salesforce_api_reserve, **kwargs)


def parse_time(text: str | None) -> datetime | None:
    """Salesforce's datetime text (``2026-07-01T15:00:00.000+0000``) as an aware UTC datetime."""
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


class SalesforceSource:
    """Reads one Salesforce org into the records the sync and the importer take.

    Args:
        client: the API client (``client_for``).
    """

    crm = CRM

    def __init__(self, client: SalesforceClient):
        self.client = client

    def mapping(self, process: ProcessMap, stage_names: dict[str, str] | None = None) -> Mapping:
        """The org's every stage mapped to the process map, and every user who is a person.

        A stage maps by the mapping file's ``stages`` (its API name or label), then Salesforce's standard
        stage names (the CSV ``salesforce`` preset), then a stage of the map with its name; a closed
        stage is won or lost as its ``IsWon`` says. Users who are not people (``not_a_person``) are left
        out; inactive people are kept, as they still own deals.

        Raises:
            InvalidInput: a stage maps to nothing; one message lists them all and says how to map them.
        """
        names = {key.strip().lower(): value for key, value in
                 (preset_stages(CRM, process.stage_keys) | (stage_names or {})).items()}
        resolver = StageResolver(process, names)
        stages: dict[str, str] = {}
        labels: dict[str, str] = {}
        unmapped: list[str] = []
        for stage in self.client.query(f"SELECT {', '.join(STAGE_FIELDS)} FROM OpportunityStage ORDER BY SortOrder"):
            labels[stage["ApiName"]] = stage["MasterLabel"]
            key = _stage_key(resolver, stage)
            if key is None:
                unmapped.append(f"{stage['MasterLabel']!r}" + ("" if stage["IsActive"] else " (inactive)"))
            else:
                stages[stage["ApiName"]] = key
        if unmapped:
            raise unmapped_stages("Salesforce", process, unmapped, "Salesforce stage")
        owners: dict[str, Owner] = {}
        for user in self.client.query(f"SELECT {', '.join(USER_FIELDS)} FROM User ORDER BY Id"):
            name = user.get("Name") or " ".join(filter(None, (user.get("FirstName"), user.get("LastName"))))
            if not_a_person(email=user.get("Email"), name=name, user_type=user.get("UserType"),
                            username=user.get("Username")):
                continue
            owners[user["Id"]] = Owner(user["Id"], user.get("Email") or "", name, not user.get("IsActive"))
        return Mapping(stages, labels, owners)

    # The sync engine's reads (``bot.sync.engine.Source``): windows of SystemModstamp, paged by Id.

    def count(self, start: datetime, end: datetime) -> int:
        """How many opportunities were last modified in [start, end] (widened to whole seconds)."""
        reply = self.client.get_query(f"SELECT COUNT() FROM Opportunity WHERE {_between(start, end)}")
        return int(reply["totalSize"])

    def changed_ids(self, start: datetime, end: datetime) -> Iterator[list[str]]:
        """Ids of opportunities last modified in [start, end], a page at a time, in Id order.

        queryMore reads a query's every record, however many share one SystemModstamp (a mass update),
        so no window is cut short; the window is widened to whole seconds, as SOQL compares them.
        """
        page: list[str] = []
        for record in self.client.query(f"SELECT Id FROM Opportunity WHERE {_between(start, end)} ORDER BY Id"):
            page.append(record["Id"])
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page

    def deals(self, ids: list[str]) -> list[CrmDeal]:
        """The opportunities ``ids`` (those deleted meanwhile are left out)."""
        found: list[CrmDeal] = []
        for start in range(0, len(ids), PAGE):
            listed = ", ".join(_quote(i) for i in ids[start:start + PAGE])
            found += [_deal(record) for record in self.client.query(
                f"SELECT {', '.join(OPPORTUNITY_FIELDS)} FROM Opportunity WHERE Id IN ({listed})")]
        return found

    def owners_with_deals(self, owner_ids: list[str]) -> list[str]:
        """Of ``owner_ids``, those who own at least one opportunity (one query each)."""
        return [owner for owner in owner_ids if self.client.get_query(
            f"SELECT COUNT() FROM Opportunity WHERE OwnerId = {_quote(owner)}")["totalSize"]]

    def archived_ids(self) -> set[str]:
        """Deleted opportunities: not read yet (queryAll with IsDeleted, or getDeleted, is still to come),
        so none is hidden."""
        return set()


def _quote(text: str) -> str:
    """A SOQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _soql_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _between(start: datetime, end: datetime) -> str:
    """SystemModstamp in [start, end], the start floored and the end raised to whole seconds (SOQL's)."""
    after = end.replace(microsecond=0) + timedelta(seconds=1)
    return f"SystemModstamp >= {_soql_time(start)} AND SystemModstamp < {_soql_time(after)}"


def _stage_key(resolver: StageResolver, stage: dict[str, Any]) -> str | None:
    for text in (stage["ApiName"], stage["MasterLabel"]):
        try:
            return resolver.resolve(text)[1]
        except ValueError:
            continue
    if stage.get("IsClosed"):
        return "won" if stage.get("IsWon") else "lost"
    return None


def _amount(value: Any) -> str | None:
    """The amount as text, exactly as sent (a JSON number: ``9225.225`` stays that, for the importer to round)."""
    if value is None:
        return None
    return str(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))


def _deal(record: dict[str, Any]) -> CrmDeal:
    account = record.get("Account") or {}
    return CrmDeal(
        crm_id=record["Id"], name=(record.get("Name") or "").strip(), stage=record.get("StageName") or "",
        pipeline=None, owner_id=record.get("OwnerId") or None, amount=_amount(record.get("Amount")),
        currency=record.get("CurrencyIsoCode") or None, created_at=record.get("CreatedDate"),
        close_date=record.get("CloseDate") or None, next_step=record.get("NextStep") or None,
        forecast_category=record.get("ForecastCategoryName") or None,
        modified_at=parse_time(record.get("SystemModstamp")) or EPOCH, company=account.get("Name") or None)
