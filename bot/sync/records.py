"""What every CRM source hands the sync engine: deals with their history, owners, and how both map here.

HubSpot (``bot.sync.hubspot``) and Salesforce (``bot.sync.salesforce``) each read their API into these;
the engine (``bot.sync.engine``) writes them through the importer's checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.core.errors import InvalidInput
from knowledge.process_map import ProcessMap

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # before any CRM record
HUBSPOT, SALESFORCE = "hubspot", "salesforce"
CRM_NAMES = {HUBSPOT: "HubSpot", SALESFORCE: "Salesforce"}


def crms_set_up(settings: Any) -> list[str]:
    """The CRMs a live sync is set up for (their settings are present): ``hubspot``, ``salesforce``."""
    crms = [HUBSPOT] if settings.hubspot_access_token else []
    if settings.salesforce_instance_url and settings.salesforce_client_id:
        crms.append(SALESFORCE)
    return crms


def mask(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` (a token) replaced by its last 4 characters after asterisks."""
    if not secret:
        return text
    return text.replace(secret, "****" + secret[-4:] if len(secret) > 8 else "****")


@dataclass(frozen=True, slots=True)
class CrmDeal:
    """One deal as the CRM has it, with what changed when (oldest first)."""

    crm_id: str
    name: str
    stage: str  # the CRM's stage id
    pipeline: str | None
    owner_id: str | None  # the CRM's owner id
    amount: str | None
    currency: str | None
    created_at: str | None
    close_date: str | None
    next_step: str | None
    forecast_category: str | None
    modified_at: datetime
    company: str | None = None
    stage_history: tuple[tuple[str, datetime], ...] = ()
    close_date_history: tuple[tuple[str | None, datetime], ...] = ()
    amount_history: tuple[tuple[str | None, datetime], ...] = ()
    stage_entered_at: datetime | None = None  # the CRM's own date, when it keeps one (Salesforce's LastStageChangeDate)


@dataclass
class Owner:
    crm_id: str
    email: str
    name: str
    archived: bool


@dataclass
class Mapping:
    """How the CRM's stages and owners map onto the process map and the reps; see ``HubSpotSource.mapping``."""

    stages: dict[str, str]  # stage id -> stage key, won or lost
    stage_labels: dict[str, str]  # stage id -> "Pipeline: Label", for messages
    owners: dict[str, Owner] = field(default_factory=dict)
    pipeline_of: dict[str, str] = field(default_factory=dict)  # stage id -> pipeline id
    currency_rates: dict[str, Decimal] = field(default_factory=dict)  # code -> units per one of the CRM's own

    def rates_into(self, company: str | None) -> dict[str, Decimal]:
        """{currency: one unit's value in ``company``}, from the CRM's conversion rates (a multi-currency
        Salesforce org's CurrencyType); empty when the CRM has none, or none for ``company``."""
        base = self.currency_rates.get(company or "")
        if not base:
            return {}
        return {code: base / rate for code, rate in self.currency_rates.items() if rate}

    def stage_id(self, pipeline: str | None, key: str) -> str | None:
        """The CRM's first stage of ``pipeline`` that maps to ``key`` (a stage key, won or lost)."""
        return next((stage for stage, mapped in self.stages.items()
                     if mapped == key and (pipeline is None or self.pipeline_of.get(stage) == pipeline)), None)


def unmapped_stages(crm: str, process: ProcessMap, unmapped: list[str], written_as: str) -> InvalidInput:
    """The one message that stops a sync whose CRM stages map to no stage of the map (nothing is written)."""
    return InvalidInput(
        f"{len(unmapped)} {crm} stage(s) map to no stage of {process.name!r} ({', '.join(process.stage_keys)}); "
        f"name each in a mapping file's stages: section ('{written_as}: stage key') and pass it with --mapping",
        unmapped)
