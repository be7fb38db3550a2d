"""How fresh deal data is: the line people see when a CRM sync is late, and each sync's last run.

Kept apart from the sync itself so that answering a question (which shows this line) loads nothing of
the CRM clients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.sync.records import CRM_NAMES, crms_set_up, mask
from storage import sync as store


def synced_crms(runtime: Runtime) -> list[str]:
    """The CRMs a live sync is set up for (their settings are present): ``hubspot``, ``salesforce``."""
    return crms_set_up(runtime.settings)


def freshness_notice(runtime: Runtime, *, now: datetime | None = None) -> str | None:
    """"deal data last synced 3 h ago" when a set-up CRM's last good sync is older than twice the interval
    (the oldest one speaks); None when all are fresh or no CRM sync is set up (deal data then comes from
    imports, which say their own date). ``now``: the moment the data is read as of (default: the clock's)."""
    crms = synced_crms(runtime)
    if not crms:
        return None
    with runtime.session() as session:
        states = {crm: store.sync_state(session=session, crm=crm) for crm in crms}
    lasts = {crm: state.last_success_at if state is not None else None for crm, state in states.items()}
    never = [crm for crm, last in lasts.items() if last is None]
    if never:
        return f"deal data not synced from {CRM_NAMES.get(never[0], never[0])} yet"
    age = (now or runtime.now()) - min(last for last in lasts.values() if last is not None)
    if age <= timedelta(minutes=2 * runtime.settings.sync_minutes):
        return None
    return f"deal data last synced {_age(age)} ago"


@dataclass(frozen=True)
class LastRun:
    """A set-up CRM's last sync run as a manager's App Home shows it (``last_run_at`` None: never run)."""

    crm: str  # its display name: "HubSpot"
    last_run_at: datetime | None
    error: str | None  # masked
    conflicts: int  # confirmed changes the CRM's own newer value kept out


def last_runs(runtime: Runtime) -> list[LastRun]:
    """The last run of each CRM sync that is set up, its error (secrets masked) and conflicts."""
    crms = synced_crms(runtime)
    if not crms:
        return []
    with runtime.session() as session:
        states = {crm: store.sync_state(session=session, crm=crm) for crm in crms}
    secrets = [runtime.settings.hubspot_access_token, runtime.settings.salesforce_client_id]
    runs = []
    for crm, state in states.items():
        error = state.last_error if state is not None else None
        for secret in secrets:
            error = mask(error, secret) if error else error
        counts = json.loads(state.last_counts) if state is not None and state.last_counts else {}
        runs.append(LastRun(CRM_NAMES.get(crm, crm), state.last_run_at if state is not None else None, error,
                            int(counts.get("conflicts", 0))))
    return runs


def _age(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
