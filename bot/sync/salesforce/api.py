"""Salesforce's REST API as the integration user: the JWT bearer login, query/queryMore, sObject writes.

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
from typing import Any

import httpx
import jwt

from bot.core.config import Settings
from bot.core.errors import InvalidInput
from bot.sync.client import BACKOFF_BASE, BACKOFF_MAX, RETRIES, CrmAuthError, CrmError
from bot.sync.records import SALESFORCE

CRM = SALESFORCE
API_VERSION = "62.0"
ASSERTION_SECONDS = 180  # Salesforce refuses an assertion that expires more than 3 minutes ahead
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# A permission the integration user lacks: an object or field it may not see reads as if it did not exist.
PERMISSION_CODES = ("INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "INVALID_TYPE", "API_DISABLED_FOR_ORG",
                    "API_CURRENTLY_DISABLED", "FUNCTIONALITY_NOT_ENABLED")


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
        return self.request("GET", f"{self.data_path}/query", params={"q": soql})

    def query(self, soql: str, *, deleted_too: bool = False) -> Iterator[dict[str, Any]]:
        """Every record ``soql`` selects, following ``nextRecordsUrl`` (queryMore) until ``done``;
        ``deleted_too``: through queryAll, which also returns records in the recycle bin (``IsDeleted``)."""
        reply = self.request("GET", f"{self.data_path}/{'queryAll' if deleted_too else 'query'}", params={"q": soql})
        yield from reply["records"]
        while not reply["done"]:
            reply = self.request("GET", reply["nextRecordsUrl"])
            yield from reply["records"]

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self._version}"

    def request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                body: dict[str, Any] | None = None, raw: bool = False) -> Any:
        """The reply's JSON (``raw``: the response itself); renews an expired session once, retries 5xx,
        timeouts and the concurrent-request limit with backoff.

        Only idempotent calls come here (reads, updates by id, upserts by external id): a retry after a
        lost reply cannot make a second record.

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
                response = self._http.request(method, path, params=params, json=body,
                                              headers={"Authorization": f"Bearer {self._session}"})
            except httpx.TransportError as exc:
                response, failure = None, type(exc).__name__
            self.usage.calls += 1
            if response is not None:
                if (usage := parse_limit_info(response.headers.get("Sforce-Limit-Info"))) is not None:
                    self.usage.used, self.usage.limit = usage
                if response.status_code < 300:
                    if raw:
                        return response
                    return response.json() if response.content else {}
                code, message = _error(response)
                if response.status_code == 401 and not renewed:  # sessions time out: sign a new assertion
                    renewed = True
                    self.login()
                    continue
                if response.status_code == 401:
                    raise CrmAuthError(f"Salesforce refused a new session ({code}): the integration user "
                                       f"{self._username} may be frozen or its session policy too strict")
                if code == "REQUEST_LIMIT_EXCEEDED" and "concurrent" not in message.lower():
                    raise SalesforceLimitError(f"Salesforce's daily API limit is spent ({message}); the sync "
                                               "stops until the org's 24-hour count falls")
                if code in PERMISSION_CODES or (response.status_code == 403 and code != "REQUEST_LIMIT_EXCEEDED"):
                    raise CrmAuthError(f"Salesforce refused {_route(path)} ({code}): {message}; give the "
                                       f"integration user {self._username} the permissions in the README")
                if response.status_code < 500 and code != "REQUEST_LIMIT_EXCEEDED":
                    raise CrmError(f"Salesforce refused {method} {_route(path)} (HTTP {response.status_code} "
                                   f"{code}): {message}")
                failure = f"HTTP {response.status_code} {code}".strip()
            attempt += 1
            if attempt > self._retries:
                raise CrmError(f"Salesforce {method} {_route(path)}: {failure} after {self._retries} retries; "
                               "try again later")
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
