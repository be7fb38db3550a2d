"""What surfaces call for the live sync: run one, report its state, word how fresh the deal data is."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.runtime import Runtime
from bot.importer.columns import load_mapping
from bot.sync import engine, salesforce
from bot.sync.freshness import synced_crms
from bot.sync.hubspot import CRM, HubSpotSource, client_for
from bot.sync.records import mask
from bot.sync.salesforce import writeback as salesforce_writeback
from bot.sync.writeback import deliver_pending
from storage import sync as store


def sync_hubspot(runtime: Runtime, *, full: bool = False, dry_run: bool = False, mapping_file: Path | None = None,
                 default_owner: str | None = None, pipeline: str | None = None,
                 progress: engine.Progress | None = None) -> engine.SyncSummary:
    """One HubSpot sync (see ``bot.sync.engine.sync``), with the settings' token, URL and limits; the mapping
    file and default owner default to ``STAGECOACH_SYNC_MAPPING`` and ``STAGECOACH_SYNC_DEFAULT_OWNER``.

    Raises:
        InvalidInput: no token, unmapped stages or owners, refused rows, another sync running.
        CrmError: HubSpot refused (401/403: one line naming what to fix) or kept failing.
    """
    settings = runtime.settings
    mapping_file = mapping_file or settings.sync_mapping
    stage_names = load_mapping(mapping_file).stages if mapping_file else None
    default_owner = default_owner or settings.sync_default_owner
    with client_for(settings) as client:
        write_back = ((lambda mapping: deliver_pending(runtime, client, mapping))
                      if runtime.settings.crm_write == "on" else None)
        return engine.sync(runtime, HubSpotSource(client, pipeline=pipeline), full=full, dry_run=dry_run,
                           stage_names=stage_names, default_owner=default_owner, progress=progress,
                           budget=client.budget, write_back=write_back)


def sync_salesforce(runtime: Runtime, *, full: bool = False, dry_run: bool = False, mapping_file: Path | None = None,
                    default_owner: str | None = None, progress: engine.Progress | None = None) -> engine.SyncSummary:
    """One Salesforce sync through the same engine as HubSpot's, delivering confirmed changes first when
    ``STAGECOACH_CRM_WRITE`` is on; the mapping file and default owner default as for ``sync_hubspot``.

    Raises:
        InvalidInput: Salesforce not configured, unmapped stages or owners, refused rows, another sync running.
        CrmError: Salesforce refused the login or a query (one line), its daily API budget is spent, or it
            kept failing.
    """
    settings = runtime.settings
    mapping_file = mapping_file or settings.sync_mapping
    stage_names = load_mapping(mapping_file).stages if mapping_file else None
    with salesforce.client_for(settings) as client:
        write_back = ((lambda mapping: deliver_pending(runtime, client, mapping, crm=salesforce.CRM,
                                                       deliver=salesforce_writeback.deliver))
                      if settings.crm_write == "on" else None)
        source = salesforce.SalesforceSource(client, bulk_min=settings.salesforce_bulk_min)
        return engine.sync(runtime, source, full=full, dry_run=dry_run,
                           stage_names=stage_names, default_owner=default_owner or settings.sync_default_owner,
                           progress=progress, budget=client.usage, write_back=write_back)


# Seconds a webhook's sync waits, one after another, for a running sync to finish. The running sync may
# not read these deals: an edit younger than the search index's lag is left to the next run, an interval away.
BUSY_WAITS = (1, 2, 4, 8, 15, 30)


def sync_hubspot_deals(runtime: Runtime, crm_ids: list[str], *, busy_waits=BUSY_WAITS) -> engine.SyncSummary | None:
    """Sync the named HubSpot deals now (a webhook said they changed), after a running sync if there is one;
    None when syncs kept running through every wait (the next scheduled one reads them)."""
    settings = runtime.settings
    stage_names = load_mapping(settings.sync_mapping).stages if settings.sync_mapping else None
    with client_for(settings) as client:
        for wait in (*busy_waits, None):
            try:
                return engine.sync_deals(runtime, HubSpotSource(client), crm_ids, stage_names=stage_names,
                                         default_owner=settings.sync_default_owner, budget=client.budget)
            except engine.SyncBusy:
                if wait is None:
                    return None
                time.sleep(wait)
    return None


@dataclass
class SyncStatus:
    """A CRM's sync as ``stagecoach sync status`` shows it."""

    crm: str
    configured: bool
    api_url: str | None
    token: str | None  # masked (HubSpot); Salesforce has no token to show: ``auth`` says how it logs in
    auth: str | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    cursor: datetime | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    running: bool = False
    next_run_at: datetime | None = None
    interval_minutes: int = 15
    write_back: str = "off"
    outbox: dict[str, int] = field(default_factory=dict)  # confirmed changes by status: pending, delivered...
    reconcile_next: bool = False  # the last good sync is older than the CRM keeps deletions: the next reads all

    def to_json(self) -> dict[str, Any]:
        return {"crm": self.crm, "configured": self.configured, "api_url": self.api_url, "token": self.token,
                "auth": self.auth, "last_run_at": _iso(self.last_run_at),
                "last_success_at": _iso(self.last_success_at), "last_error": self.last_error,
                "cursor": _iso(self.cursor), "counts": self.counts, "api_calls": self.counts.get("api_calls"),
                "running": self.running, "next_run_at": _iso(self.next_run_at),
                "interval_minutes": self.interval_minutes, "write_back": self.write_back, "outbox": self.outbox,
                "full_reconciliation_next": self.reconcile_next}


def sync_status(runtime: Runtime, crm: str = CRM) -> SyncStatus:
    """A CRM's sync (HubSpot's by default): last run, cursor, counts, error, API calls, next run; no secret."""
    settings = runtime.settings
    token = settings.hubspot_access_token
    if crm == salesforce.CRM:
        status = SyncStatus(crm=crm, configured=salesforce.CRM in synced_crms(runtime),
                            api_url=settings.salesforce_instance_url, token=None,
                            auth=(f"JWT bearer as {settings.salesforce_username}, key file "
                                  f"{settings.salesforce_private_key_file}") if settings.salesforce_username else None,
                            interval_minutes=settings.sync_minutes, write_back=settings.crm_write)
    else:
        status = SyncStatus(crm=CRM, configured=bool(token), api_url=settings.hubspot_api_url,
                            token=mask(token, token) if token else None, interval_minutes=settings.sync_minutes,
                            write_back=settings.crm_write)
    with runtime.session() as session:
        state = store.sync_state(session=session, crm=crm)
        status.outbox = store.outbox_counts(session=session, crm=crm)
    if state is None:
        return status
    now = runtime.now()
    status.last_run_at, status.last_success_at, status.cursor = state.last_run_at, state.last_success_at, state.cursor
    status.last_error = mask(state.last_error, token) if state.last_error else None
    status.counts = json.loads(state.last_counts) if state.last_counts else {}
    status.running = bool(state.lock_owner and state.lock_until and state.lock_until > now)
    if state.last_run_at is not None:
        status.next_run_at = state.last_run_at + timedelta(minutes=settings.sync_minutes)
    if crm == salesforce.CRM:
        status.reconcile_next = engine.reconciliation_due(salesforce.SalesforceSource, state, now)
    return status


def sync_statuses(runtime: Runtime) -> list[SyncStatus]:
    """Every CRM's sync status, HubSpot's then Salesforce's."""
    return [sync_status(runtime, crm) for crm in (CRM, salesforce.CRM)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
