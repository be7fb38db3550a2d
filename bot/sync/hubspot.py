"""HubSpot as a source of deals: pipelines, owners, deals with their history and company, read over its API.

What comes out is plain typed data (``CrmDeal``) and the mapping the importer checks it with; the
engine (``bot.sync.engine``) decides what to read when and writes it through the importer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.config import Settings
from bot.core.errors import InvalidInput
from bot.importer.columns import preset_stages
from bot.importer.values import StageResolver
from bot.sync.client import CrmClient
from bot.sync.records import EPOCH, HUBSPOT, CrmDeal, Mapping, Owner, unmapped_stages
from knowledge.process_map import ProcessMap

CRM = HUBSPOT
PAGE = 200  # HubSpot's largest search page
BATCH_READ = 100  # objects per batch read
SEARCH_CAP = 10_000  # results one search query can reach
DEAL_PROPERTIES = ("dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate", "createdate",
                   "hubspot_owner_id", "hs_next_step", "hs_lastmodifieddate", "hs_forecast_category")
HISTORY_PROPERTIES = ("dealstage", "closedate", "amount")
SCOPES = {"/crm/v3/owners": "crm.objects.owners.read", "/crm/v3/objects/companies": "crm.objects.companies.read",
          "/crm/v3/objects/deals": "crm.objects.deals.read", "/crm/v3/pipelines": "crm.objects.deals.read",
          "/crm/v4/associations": "crm.objects.deals.read"}


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def millis(when: datetime) -> str:
    return str(int(when.timestamp() * 1000))


def client_for(settings: Settings, **kwargs: Any) -> CrmClient:
    """A client for HubSpot with the configured limits.

    Raises:
        InvalidInput: no access token is set.
    """
    if not settings.hubspot_access_token:
        raise InvalidInput("HUBSPOT_ACCESS_TOKEN is not set: create a private app in HubSpot (Settings > "
                           "Integrations > Private apps) and set its access token")
    return CrmClient(settings.hubspot_api_url, settings.hubspot_access_token,
                     calls_per_10s=settings.hubspot_calls_per_10s,
                     search_per_second=settings.hubspot_search_per_second, scope_hint=scope_for, **kwargs)


def scope_for(path: str) -> str:
    return next((scope for prefix, scope in SCOPES.items() if path.startswith(prefix)), "")


class HubSpotSource:
    """Reads one HubSpot account.

    Args:
        client: the HTTP client (``client_for``).
        pipeline: only this pipeline's deals (id or label); None: every pipeline.
    """

    crm = CRM

    def __init__(self, client: CrmClient, *, pipeline: str | None = None):
        self.client = client
        self.pipeline = pipeline
        self.pipeline_ids: set[str] = set()  # the synced pipelines' ids, known once ``mapping`` has read them
        self._company_names: dict[str, str] = {}  # read once per run: many deals share a company

    # ---- mapping ------------------------------------------------------------------------------------

    def mapping(self, process: ProcessMap, stage_names: dict[str, str] | None = None) -> Mapping:
        """Every stage of the synced pipelines mapped to the process map, and every owner.

        A stage maps by the mapping file's ``stages`` (its id or label), then HubSpot's default pipeline
        names (the CSV ``hubspot`` preset), then a stage of the map with its label; a closed stage
        (``metadata.isClosed``) is won when its probability is 1, else lost.

        Raises:
            InvalidInput: a stage maps to nothing; one message lists them all and says how to map them.
        """
        names = {key.strip().lower(): value for key, value in
                 (preset_stages("hubspot", process.stage_keys) | (stage_names or {})).items()}
        resolver = StageResolver(process, names)
        stages: dict[str, str] = {}
        labels: dict[str, str] = {}
        pipeline_of: dict[str, str] = {}
        unmapped: list[str] = []
        pipelines = self.client.get("/crm/v3/pipelines/deals")["results"]
        wanted = self.pipeline.strip().lower() if self.pipeline else None
        chosen = [p for p in pipelines if wanted is None or wanted in (p["id"].lower(), p["label"].lower())]
        if wanted is not None and not chosen:
            raise InvalidInput(f"--pipeline {self.pipeline!r}: HubSpot has no such pipeline "
                               f"({', '.join(p['label'] for p in pipelines)})")
        self.pipeline_ids = {p["id"] for p in chosen}
        for pipeline in chosen:
            for stage in pipeline["stages"]:
                labels[stage["id"]] = f"{pipeline['label']}: {stage['label']}"
                pipeline_of[stage["id"]] = pipeline["id"]
                key = _stage_key(resolver, stage)
                if key is None:
                    unmapped.append(f"{pipeline['label']}: {stage['label']!r} (id {stage['id']})")
                else:
                    stages[stage["id"]] = key
        if unmapped:
            raise unmapped_stages("HubSpot", process, unmapped, "HubSpot label or id")
        owners: dict[str, Owner] = {}
        for archived in (False, True):  # deactivated users still own deals
            for owner in self._paged_get("/crm/v3/owners", archived="true" if archived else "false"):
                name = " ".join(filter(None, (owner.get("firstName"), owner.get("lastName")))) or owner.get("email", "")
                owners[str(owner["id"])] = Owner(str(owner["id"]), owner.get("email") or "", name, archived)
        return Mapping(stages, labels, owners, pipeline_of)

    def owners_with_deals(self, owner_ids: list[str]) -> list[str]:
        """Of ``owner_ids``, those who own at least one deal (one search each)."""
        owning = []
        for owner_id in owner_ids:
            body = {"filterGroups": [{"filters": [{"propertyName": "hubspot_owner_id", "operator": "EQ",
                                                   "value": owner_id}, *self._pipeline_filter()]}], "limit": 1}
            if self.client.post("/crm/v3/objects/deals/search", body).get("total", 0):
                owning.append(owner_id)
        return owning

    # ---- deals --------------------------------------------------------------------------------------

    def count(self, start: datetime, end: datetime) -> int:
        """How many deals were last modified in [start, end] (as the search index has them)."""
        return self.client.post("/crm/v3/objects/deals/search", self._search_body(start, end, None, 1))["total"]

    def changed_ids(self, start: datetime, end: datetime) -> Iterator[list[str]]:
        """Ids of deals last modified in [start, end], a page at a time, in id order.

        Pages by id (``hs_object_id > last``), never by ``after``: every query starts at its first
        result, so HubSpot's 10,000-results cap never cuts a window short, however many deals share
        one timestamp (a bulk edit).
        """
        last: str | None = None
        while True:
            reply = self.client.post("/crm/v3/objects/deals/search", self._search_body(start, end, last, PAGE))
            ids = [result["id"] for result in reply["results"]]
            if not ids:
                return
            yield ids
            if len(ids) < PAGE:
                return
            last = ids[-1]

    def deals(self, ids: list[str]) -> list[CrmDeal]:
        """The deals with their history and company name; deals deleted meanwhile are left out."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH_READ):
            found += self.client.post("/crm/v3/objects/deals/batch/read", {
                "inputs": [{"id": i} for i in ids[start:start + BATCH_READ]], "properties": list(DEAL_PROPERTIES),
                "propertiesWithHistory": list(HISTORY_PROPERTIES)})["results"]
        companies = self._companies([deal["id"] for deal in found])
        return [_deal(deal, companies.get(deal["id"])) for deal in found
                if self.pipeline is None or deal["properties"].get("pipeline") in self.pipeline_ids]

    def archived_ids(self, since: datetime | None = None, until: datetime | None = None) -> set[str]:
        """Ids of every deleted (archived) deal (HubSpot lists them all, whenever deleted)."""
        return {deal["id"] for deal in self._paged_get("/crm/v3/objects/deals", archived="true", limit="100")}

    def _companies(self, deal_ids: list[str]) -> dict[str, str]:
        """Deal id -> its primary company's name."""
        if not deal_ids:
            return {}
        links = self.client.post("/crm/v4/associations/deals/companies/batch/read",
                                 {"inputs": [{"id": i} for i in deal_ids]})["results"]
        company_of: dict[str, str] = {}
        for link in links:
            targets = sorted(link.get("to", []), key=lambda t: not any(
                a.get("label") == "Primary" for a in t.get("associationTypes", [])))
            if targets:
                company_of[str(link["from"]["id"])] = str(targets[0]["toObjectId"])
        names = self._company_names
        company_ids = sorted(set(company_of.values()) - set(names))
        for start in range(0, len(company_ids), BATCH_READ):
            for company in self.client.post("/crm/v3/objects/companies/batch/read", {
                    "inputs": [{"id": i} for i in company_ids[start:start + BATCH_READ]],
                    "properties": ["name"]})["results"]:
                names[company["id"]] = company["properties"].get("name") or ""
        return {deal_id: names[company] for deal_id, company in company_of.items() if names.get(company)}

    def _search_body(self, start: datetime, end: datetime, after_id: str | None, limit: int) -> dict[str, Any]:
        filters = [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": millis(start)},
                   {"propertyName": "hs_lastmodifieddate", "operator": "LTE", "value": millis(end)},
                   *self._pipeline_filter()]
        if after_id is not None:
            filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": after_id})
        return {"filterGroups": [{"filters": filters}], "sorts": [{"propertyName": "hs_object_id",
                                                                    "direction": "ASCENDING"}],
                "properties": ["hs_object_id"], "limit": limit}

    def _pipeline_filter(self) -> list[dict[str, Any]]:
        if self.pipeline is None or not self.pipeline_ids:
            return []
        return [{"propertyName": "pipeline", "operator": "IN", "values": sorted(self.pipeline_ids)}]

    def _paged_get(self, path: str, **params: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            reply = self.client.get(path, **params, **({"after": after} if after else {}))
            yield from reply.get("results", [])
            after = reply.get("paging", {}).get("next", {}).get("after")
            if not after:
                return


def _stage_key(resolver: StageResolver, stage: dict[str, Any]) -> str | None:
    for text in (stage["id"], stage["label"]):
        try:
            return resolver.resolve(text)[1]
        except ValueError:
            continue
    metadata = stage.get("metadata") or {}
    if str(metadata.get("isClosed", "")).lower() == "true":
        return "won" if float(metadata.get("probability") or 0) >= 1.0 else "lost"
    return None


def _history(deal: dict[str, Any], name: str) -> tuple[tuple[str | None, datetime], ...]:
    values = (deal.get("propertiesWithHistory") or {}).get(name) or []
    timeline = [(value.get("value") or None, parse_time(value["timestamp"])) for value in values]
    return tuple(sorted(((v, t) for v, t in timeline if t is not None), key=lambda item: item[1]))


def _deal(deal: dict[str, Any], company: str | None) -> CrmDeal:
    props = deal["properties"]
    return CrmDeal(
        crm_id=deal["id"], name=(props.get("dealname") or "").strip(), stage=props.get("dealstage") or "",
        pipeline=props.get("pipeline"), owner_id=props.get("hubspot_owner_id") or None,
        amount=props.get("amount") or None, currency=props.get("deal_currency_code") or None,
        created_at=props.get("createdate") or deal.get("createdAt"), close_date=props.get("closedate") or None,
        next_step=props.get("hs_next_step") or None, forecast_category=props.get("hs_forecast_category") or None,
        modified_at=parse_time(props.get("hs_lastmodifieddate") or deal.get("updatedAt")) or EPOCH,
        company=company,
        stage_history=tuple((v, t) for v, t in _history(deal, "dealstage") if v),  # type: ignore[misc]
        close_date_history=_history(deal, "closedate"), amount_history=_history(deal, "amount"))


def window_end(now: datetime, lag_seconds: int) -> datetime:
    """The newest last-modified time a sync reads up to: edits younger than the index lag wait for the next."""
    return now - timedelta(seconds=lag_seconds)
