"""Delivering confirmed changes to Salesforce, through the same outbox as HubSpot (``bot.sync.writeback``).

Exactly one Salesforce record per change, by an external id rather than a lookup before create: each
task is upserted on ``Stagecoach_Change_Id__c`` (an External ID field on Activity) with the change's
marker. Salesforce makes the upsert atomic — a record with that value is updated, else created — so a
retry after a timeout, a dropped reply or a crash between Salesforce's reply and our commit finds the
same task instead of making a second; a lookup before create could not close the window between the
lookup and the create, and Task.Description, where a marker could hide, cannot be filtered in SOQL.

A stage move first reads the opportunity's stage: if it differs from what the last sync read, someone
moved it in Salesforce, Salesforce wins, and the change is kept as a conflict the rep is told of.
"""

from __future__ import annotations

import json
from datetime import datetime

from bot.core.runtime import Runtime
from bot.sync.client import CrmError
from bot.sync.records import Mapping
from bot.sync.salesforce.api import SalesforceClient
from bot.sync.salesforce.source import parse_time, quote
from bot.sync.writeback import Conflict, moved, stage_name
from storage import sync as store
from storage.models import CrmLink, CrmOutbox

EXTERNAL_ID = "Stagecoach_Change_Id__c"
SUBJECT_MAX = 255  # Task.Subject's length


def deliver(runtime: Runtime, client: SalesforceClient, mapping: Mapping, change: CrmOutbox,
            link: CrmLink) -> tuple[str | None, datetime | None]:
    """The Salesforce record the change made or changed, and for a stage move when OpportunityHistory dates it.

    Raises:
        Conflict: the opportunity's stage was changed in Salesforce since the last sync (Salesforce's stands).
        CrmError: Salesforce refused or kept failing (the change waits for the next run).
    """
    payload = json.loads(change.payload)
    if change.kind == "stage":
        return _move_stage(runtime, client, mapping, link, payload["stage"])
    if change.kind in ("task", "note"):
        return _upsert_task(runtime, client, mapping, change, link, payload), None
    with runtime.session() as session:
        task = store.created_object(session=session, deal_id=change.deal_id, kind="task", key="followup_id",
                                    value=payload["followup_id"])
    if task is None:
        raise CrmError("its task was never created in Salesforce")
    body = {"Status": "Completed"} if change.kind == "task_done" else {"ActivityDate": payload["due_at"][:10]}
    client.request("PATCH", f"{client.data_path}/sobjects/Task/{task}", body=body)
    return task, None


def _upsert_task(runtime: Runtime, client: SalesforceClient, mapping: Mapping, change: CrmOutbox, link: CrmLink,
                 payload: dict) -> str:
    with runtime.session() as session:
        store.note_attempt(session=session, change_id=change.id)
        email = (store.owner_email(session=session, deal_id=change.deal_id) or "").lower()
    owner = next((o.crm_id for o in mapping.owners.values() if email and o.email.lower() == email), None)
    if change.kind == "task":
        body = {"Subject": payload["subject"][:SUBJECT_MAX], "ActivityDate": payload["due_at"][:10],
                "Status": "Not Started", "Description": payload["subject"]}
    else:  # a confirmed exit criterion: a completed task of type Note, dated when it was confirmed
        words = f"Exit criterion confirmed ({payload['stage']}): {payload['criterion']}"
        body = {"Subject": words[:SUBJECT_MAX], "Type": "Note", "Status": "Completed",
                "ActivityDate": change.created_at.date().isoformat(),
                "Description": words + (f" — {payload['evidence']}" if payload.get("evidence") else "")}
    body |= {"WhatId": link.crm_id, **({"OwnerId": owner} if owner else {})}
    reply = client.request("PATCH", f"{client.data_path}/sobjects/Task/{EXTERNAL_ID}/{change.marker}", body=body)
    return reply["id"]


def _move_stage(runtime: Runtime, client: SalesforceClient, mapping: Mapping, link: CrmLink,
                key: str) -> tuple[str, datetime | None]:
    target = mapping.stage_id(None, key)
    if target is None:
        raise CrmError(f"no Salesforce stage maps to {key!r}")
    opportunity = _select_one(client, f"SELECT StageName, LastStageChangeDate FROM Opportunity "
                                      f"WHERE Id = {quote(link.crm_id)}")
    if opportunity is None:
        raise CrmError("the opportunity is no longer in Salesforce")
    current = opportunity["StageName"]
    if current != link.stage and current != target:
        since = parse_time(opportunity.get("LastStageChangeDate"))
        when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        raise Conflict(f"Salesforce has this deal in {stage_name(runtime, mapping, current)}{when}; your move to "
                       f"{stage_name(runtime, mapping, target)} was not written (Salesforce's stage stands)")
    dated = None
    if current != target:
        client.request("PATCH", f"{client.data_path}/sobjects/Opportunity/{link.crm_id}", body={"StageName": target})
        # Salesforce dates the move in OpportunityHistory: the next sync reads it back, and must know it as ours.
        row = _select_one(client, f"SELECT CreatedDate FROM OpportunityHistory WHERE OpportunityId = "
                                  f"{quote(link.crm_id)} AND StageName = {quote(target)} "
                                  "ORDER BY CreatedDate DESC LIMIT 1")
        dated = parse_time(row["CreatedDate"]) if row else None
    return moved(runtime, link, target), dated


def _select_one(client: SalesforceClient, soql: str) -> dict | None:
    return next(iter(client.get_query(soql)["records"]), None)
