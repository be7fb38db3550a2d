"""Salesforce as a source of deals: users, the org's stage list, opportunities and their history.

What comes out is the same typed data the HubSpot read path gives (``CrmDeal``, ``Owner``, ``Mapping`` of
``bot.sync.records``), mapped onto the process map as the CSV ``salesforce`` preset maps an export.

Changes are listed in ``(SystemModstamp, Id)`` order, so where the sync is is one position (``position``):
many records share one SystemModstamp (a mass update), and the Id says which of them are behind. Deleted
opportunities come from getDeleted (Salesforce keeps its delete log 15 days; older, the engine reads
every opportunity again and hides what it did not see).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.importer.columns import preset_stages
from bot.importer.reps import not_a_person
from bot.importer.values import StageResolver
from bot.sync.records import EPOCH, CrmDeal, Mapping, Owner, unmapped_stages
from bot.sync.salesforce.api import CRM, SalesforceClient
from bot.sync.salesforce.bulk import bulk_query
from knowledge.process_map import ProcessMap

PAGE = 200  # ids per page handed to the engine, and per Id IN (...) query
DELETIONS_KEPT = timedelta(days=15)  # how long Salesforce's delete log (getDeleted) reaches back

USER_FIELDS = ("Id", "Username", "FirstName", "LastName", "Name", "Email", "IsActive", "UserType")
STAGE_FIELDS = ("ApiName", "MasterLabel", "IsActive", "IsClosed", "IsWon", "DefaultProbability", "SortOrder")
OPPORTUNITY_FIELDS = ("Id", "Name", "Account.Name", "StageName", "Amount", "CloseDate", "CreatedDate", "OwnerId",
                      "NextStep", "ForecastCategoryName", "IsClosed", "IsWon", "LastStageChangeDate", "SystemModstamp")
HISTORY_FIELDS = ("OpportunityId", "StageName", "Amount", "CloseDate", "CreatedDate")


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

    deletions_kept = DELETIONS_KEPT

    def __init__(self, client: SalesforceClient, *, bulk_min: int | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.position: tuple[datetime, str] | None = None  # the last listed change: (SystemModstamp, Id)
        self._fields: tuple[str, ...] | None = None  # OPPORTUNITY_FIELDS, with CurrencyIsoCode in a multi-currency org
        self.bulk_min, self._sleep = bulk_min, sleep
        self._bulk: dict[str, CrmDeal] | None = None  # a first sync's every opportunity, read by Bulk API 2.0
        self.bulk_calls = 0

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
        return Mapping(stages, labels, owners, currency_rates=self._currency_rates())

    # The sync engine's reads (``bot.sync.engine.Source``): windows of SystemModstamp, in (SystemModstamp, Id) order.

    def count(self, start: datetime, end: datetime) -> int:
        """How many opportunities were last modified in [start, end] (widened to whole seconds)."""
        reply = self.client.get_query(f"SELECT COUNT() FROM Opportunity WHERE {_between(start, end)}")
        count = int(reply["totalSize"])
        # The engine counts a first (or full) sync's whole range before it splits it into windows, some of
        # which may be empty: that is where Bulk pays or not.
        if self._bulk is None and start <= EPOCH and self.bulk_min is not None and count >= self.bulk_min:
            self._read_bulk(end)
        return count

    def changed_ids(self, start: datetime, end: datetime, *,
                    after: tuple[datetime, str] | None = None) -> Iterator[list[str]]:
        """Ids of opportunities last modified in [start, end], a page at a time, in (SystemModstamp, Id) order;
        ``position`` is the last one's. ``after``: a position already committed; of its SystemModstamp, the
        Ids up to it are skipped (a resumed mass update), while earlier stamps are read again (the lookback).

        queryMore reads a query's every record, however many share one SystemModstamp, so no window is cut
        short; the window is widened to whole seconds, as SOQL compares them.
        """
        page: list[str] = []
        for stamp, crm_id in self._listed(start, end):
            if after is not None and stamp == after[0] and crm_id <= after[1]:
                continue
            page.append(crm_id)
            self.position = (stamp, crm_id)
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page

    def _listed(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, str]]:
        """(SystemModstamp, Id) of the opportunities modified in [start, end], in that order: from the Bulk
        read when this is a first sync large enough for it, else by query and queryMore."""
        if self._bulk is not None:
            after = end.replace(microsecond=0) + timedelta(seconds=1)
            yield from sorted((deal.modified_at, deal.crm_id) for deal in self._bulk.values()
                              if start.replace(microsecond=0) <= deal.modified_at < after)
            return
        for record in self.client.query(f"SELECT Id, SystemModstamp FROM Opportunity WHERE {_between(start, end)} "
                                        "ORDER BY SystemModstamp, Id"):
            yield parse_time(record["SystemModstamp"]) or EPOCH, record["Id"]

    def _read_bulk(self, end: datetime) -> None:
        """Every opportunity modified up to ``end`` and all their history, by two Bulk API 2.0 query jobs
        (history first, so each opportunity is built once and its rows let go)."""
        calls = self.client.usage.calls
        history: dict[str, list[dict[str, Any]]] = {}
        for row in bulk_query(self.client, f"SELECT {', '.join(HISTORY_FIELDS)} FROM OpportunityHistory",
                              sleep=self._sleep):
            history.setdefault(row["OpportunityId"], []).append(
                {name: row[name] for name in HISTORY_FIELDS[1:]})
        deals: dict[str, CrmDeal] = {}
        fields = self._opportunity_fields()
        for row in bulk_query(self.client, f"SELECT {', '.join(fields)} FROM Opportunity WHERE "
                                           f"SystemModstamp < {_soql_time(end.replace(microsecond=0) + timedelta(seconds=1))}",
                              sleep=self._sleep):
            if row.get("Account.Name"):
                row["Account"] = {"Name": row["Account.Name"]}
            rows = sorted(history.pop(row["Id"], []), key=lambda r: r["CreatedDate"] or "")
            deals[row["Id"]] = deal(row, rows)
        self._bulk = deals
        self.bulk_calls = self.client.usage.calls - calls

    def deals(self, ids: list[str]) -> list[CrmDeal]:
        """The opportunities ``ids`` with their OpportunityHistory (those deleted meanwhile are left out)."""
        if self._bulk is not None:  # read already; each is handed out once and let go
            return [found for crm_id in ids if (found := self._bulk.pop(crm_id, None)) is not None]
        fields = self._opportunity_fields()
        found: list[CrmDeal] = []
        for start in range(0, len(ids), PAGE):
            listed = ", ".join(quote(i) for i in ids[start:start + PAGE])
            records = list(self.client.query(f"SELECT {', '.join(fields)} FROM Opportunity WHERE Id IN ({listed})"))
            history: dict[str, list[dict[str, Any]]] = {}
            if records:
                for row in self.client.query(f"SELECT {', '.join(HISTORY_FIELDS)} FROM OpportunityHistory WHERE "
                                             f"OpportunityId IN ({listed}) ORDER BY OpportunityId, CreatedDate"):
                    history.setdefault(row["OpportunityId"], []).append(row)
            found += [deal(record, history.get(record["Id"], [])) for record in records]
        return found

    def owners_with_deals(self, owner_ids: list[str]) -> list[str]:
        """Of ``owner_ids``, those who own at least one opportunity (one query each)."""
        return [owner for owner in owner_ids if self.client.get_query(
            f"SELECT COUNT() FROM Opportunity WHERE OwnerId = {quote(owner)}")["totalSize"]]

    def archived_ids(self, since: datetime | None = None, until: datetime | None = None) -> set[str]:
        """Opportunities deleted in [since, until] (getDeleted; ``since`` None: a first or full read, which sees
        every live opportunity, so nothing is asked). Salesforce keeps 15 days of deletions."""
        if since is None or until is None:
            return set()
        end = until
        start = max(since, end - DELETIONS_KEPT + timedelta(minutes=1))
        reply = self.client.request("GET", f"{self.client.data_path}/sobjects/Opportunity/deleted/",
                                    params={"start": _soql_time(start), "end": _soql_time(end)})
        return {record["id"] for record in reply.get("deletedRecords", [])}

    def _opportunity_fields(self) -> tuple[str, ...]:
        """The fields read, with CurrencyIsoCode when the org has more than one currency (describe says)."""
        if self._fields is None:
            described = self.client.request("GET", f"{self.client.data_path}/sobjects/Opportunity/describe")
            names = {field["name"] for field in described.get("fields", [])}
            self._fields = OPPORTUNITY_FIELDS + (("CurrencyIsoCode",) if "CurrencyIsoCode" in names else ())
        return self._fields

    def _currency_rates(self) -> dict[str, Decimal]:
        """A multi-currency org's active currencies: {code: units per one of its corporate currency}, as
        CurrencyType has them (dated rates of advanced currency management are not read)."""
        if "CurrencyIsoCode" not in self._opportunity_fields():
            return {}
        return {row["IsoCode"]: Decimal(str(row["ConversionRate"])) for row in self.client.query(
            "SELECT IsoCode, ConversionRate, IsCorporate FROM CurrencyType WHERE IsActive = true")}


def quote(text: str) -> str:
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
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return format(number.normalize(), "f")  # 1000.0 (JSON) and 1000 (Bulk's CSV) alike: "1000"


def _changes(rows: list[dict[str, Any]], name: str) -> list[tuple[Any, datetime]]:
    """The rows where ``name`` took a new value (the first row sets it), oldest first, as (value, when)."""
    changes: list[tuple[Any, datetime]] = []
    for row in rows:
        when = parse_time(row.get("CreatedDate"))
        if when is not None and (not changes or row.get(name) != changes[-1][0]):
            changes.append((row.get(name), when))
    return changes


def deal(record: dict[str, Any], history: list[dict[str, Any]] | None = None) -> CrmDeal:
    """An opportunity and its OpportunityHistory rows (oldest first) as a ``CrmDeal``.

    Every edit of the stage, amount, close date, probability or forecast category adds a history row
    with all of them; a row is a stage move only when its StageName differs from the row before, and
    an amount or close-date change only when that value does (as the CSV import reads an export).
    """
    rows = history or []
    account = record.get("Account") or {}
    stages = tuple((stage, when) for stage, when in _changes(rows, "StageName") if stage)
    return CrmDeal(
        crm_id=record["Id"], name=(record.get("Name") or "").strip(), stage=record.get("StageName") or "",
        pipeline=None, owner_id=record.get("OwnerId") or None, amount=_amount(record.get("Amount")),
        currency=record.get("CurrencyIsoCode") or None, created_at=record.get("CreatedDate"),
        close_date=record.get("CloseDate") or None, next_step=record.get("NextStep") or None,
        forecast_category=record.get("ForecastCategoryName") or None,
        modified_at=parse_time(record.get("SystemModstamp")) or EPOCH, company=account.get("Name") or None,
        stage_history=stages, stage_entered_at=parse_time(record.get("LastStageChangeDate")),
        close_date_history=tuple((value or None, when) for value, when in _changes(rows, "CloseDate")),
        amount_history=tuple((_amount(value), when) for value, when in _changes(rows, "Amount")))
