"""Delivering confirmed changes to HubSpot: the outbox, oldest first, exactly one CRM object per change.

Each change was queued in the transaction that made it (``bot.core.deal_actions``). Here each goes out
in its own steps: count the attempt and commit, call HubSpot, record the result and commit. A crash
between HubSpot's reply and our commit leaves an attempted change without the object's id: the next
attempt searches HubSpot for the change's marker (written into the task's or note's body) and records
what it finds instead of creating a second object. A stage move first reads the deal's stage in
HubSpot: if it differs from what the last sync read, someone moved it there, HubSpot wins, and the
change is kept as a conflict for the rep to see. A confirmed exit criterion whose map names a deal
property (``crm_property``) also sets that property; HubSpot refusing it (no such property) fails the
change at once with HubSpot's reason, shown by ``sync status``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.runtime import Runtime
from bot.sync.client import CrmAuthError, CrmClient, CrmError, CrmRefused
from bot.sync.hubspot import parse_time
from bot.sync.records import CRM_NAMES, HUBSPOT, Mapping
from storage import sync as store
from storage.models import CrmLink, CrmOutbox

MAX_ATTEMPTS = 10  # then the change is marked failed and shown in `sync status`
TASK_TO_DEAL, NOTE_TO_DEAL = 216, 214  # HubSpot's association type ids (HUBSPOT_DEFINED)


@dataclass
class Delivery:
    delivered: int = 0
    conflicts: int = 0
    failed: int = 0
    waiting: int = 0


class Conflict(Exception):
    """The CRM's own newer value stands; the message is what the rep is told."""


Deliver = Callable[[Runtime, Any, Mapping, CrmOutbox, CrmLink], tuple[str | None, datetime | None]]


def deliver_pending(runtime: Runtime, client: Any, mapping: Mapping, *, crm: str = HUBSPOT,
                    deliver: Deliver | None = None) -> Delivery:
    """Deliver every pending change of ``crm``'s deals (``deliver``: how one goes there; HubSpot's by default);
    a 401/403 stops (raises), other failures wait for the next run.

    Raises:
        CrmAuthError: the CRM refused the token, session or a permission.
    """
    result = Delivery()
    deliver = deliver or _deliver
    with runtime.session() as session:
        changes = store.pending_changes(session=session)
        links = store.links(session=session, deal_ids=sorted({change.deal_id for change in changes}))
    for change in changes:
        link = links.get(change.deal_id)
        if link is not None and link.crm != crm:
            continue  # the other CRM's run delivers it
        try:
            if link is None:
                raise CrmError(f"the deal is no longer linked to {CRM_NAMES.get(crm, crm)}")
            object_id, crm_changed_at = deliver(runtime, client, mapping, change, link)
        except Conflict as conflict:
            with runtime.session() as session:
                store.settle_change(session=session, change_id=change.id, status="conflict", now=runtime.now(),
                                    error=str(conflict))
            result.conflicts += 1
            continue
        except CrmAuthError:
            raise
        except CrmError as exc:  # a refusal (an unknown property...) fails at once: the same call would fail again
            failed = isinstance(exc, CrmRefused) or change.attempts + 1 >= MAX_ATTEMPTS
            with runtime.session() as session:
                store.settle_change(session=session, change_id=change.id, status="failed" if failed else "pending",
                                    error=str(exc))
            result.failed += failed
            result.waiting += not failed
            continue
        with runtime.session() as session:
            store.settle_change(session=session, change_id=change.id, status="delivered", now=runtime.now(),
                                crm_object_id=object_id, crm_changed_at=crm_changed_at)
        result.delivered += 1
    return result


def _deliver(runtime: Runtime, client: CrmClient, mapping: Mapping, change: CrmOutbox,
             link: CrmLink) -> tuple[str | None, datetime | None]:
    """The CRM object the change made or changed, and for a stage move when HubSpot's history dates it."""
    payload = json.loads(change.payload)
    if change.kind not in ("task", "note"):  # (a create counts its attempts itself: see ``_create_once``)
        with runtime.session() as session:
            store.note_attempt(session=session, change_id=change.id)
    if change.kind == "stage":
        return _move_stage(runtime, client, mapping, link, payload["stage"])
    if change.kind in ("task", "note"):
        return _create_once(runtime, client, change, link, payload), None
    if change.kind == "property":  # setting a value twice leaves one value: no marker needed
        name = payload["properties"][link.crm]
        client.patch(f"/crm/v3/objects/deals/{link.crm_id}", {"properties": {name: payload["value"]}})
        return link.crm_id, None
    with runtime.session() as session:
        task = store.created_object(session=session, deal_id=change.deal_id, kind="task", key="followup_id",
                                    value=payload["followup_id"])
    if task is None:
        raise CrmError("its task was never created in HubSpot")
    properties = ({"hs_task_status": "COMPLETED"} if change.kind == "task_done"
                  else {"hs_timestamp": payload["due_at"]})
    client.patch(f"/crm/v3/objects/tasks/{task}", {"properties": properties})
    return task, None


def _move_stage(runtime: Runtime, client: CrmClient, mapping: Mapping, link: CrmLink,
                key: str) -> tuple[str, datetime | None]:
    target = mapping.stage_id(link.pipeline, key)
    if target is None:
        raise CrmError(f"no HubSpot stage of pipeline {link.pipeline!r} maps to {key!r}")
    current = client.get(f"/crm/v3/objects/deals/{link.crm_id}", properties="dealstage")["properties"].get("dealstage")
    if current != link.stage and current != target:
        since = _moved_at(client, link.crm_id, current)
        when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        raise Conflict(f"HubSpot has this deal in {stage_name(runtime, mapping, current)}{when}; your move to "
                        f"{stage_name(runtime, mapping, target)} was not written (HubSpot's stage stands)")
    dated = None
    if current != target:
        client.patch(f"/crm/v3/objects/deals/{link.crm_id}", {"properties": {"dealstage": target}})
        # HubSpot dates the move itself: the next sync reads it back, and must know it as ours.
        dated = _moved_at(client, link.crm_id, target)
    return moved(runtime, link, target), dated


def moved(runtime: Runtime, link: CrmLink, target: str) -> str:
    """Record that the CRM now has the deal in ``target`` (as if just read), so the next sync sees no conflict;
    returns the deal's CRM id."""
    with runtime.session() as session:
        store.upsert_links(session=session, rows=[{"deal_id": link.deal_id, "crm": link.crm, "crm_id": link.crm_id,
                                                   "pipeline": link.pipeline, "stage": target,
                                                   "read_at": runtime.now()}])
    link.stage = target
    return link.crm_id


def stage_name(runtime: Runtime, mapping: Mapping, stage_id: str | None) -> str:
    """The map's name of the stage a CRM stage maps to, as the rep knows it; else the CRM's own label."""
    stage = runtime.process.stage(mapping.stages.get(stage_id or "", ""))
    return stage.name if stage else mapping.stage_labels.get(stage_id or "", stage_id or "no stage")


def _moved_at(client: CrmClient, crm_id: str, stage: str | None) -> datetime | None:
    """When HubSpot's stage history last dates the deal's move to ``stage``."""
    [deal] = client.post("/crm/v3/objects/deals/batch/read", {
        "inputs": [{"id": crm_id}], "properties": ["dealstage"], "propertiesWithHistory": ["dealstage"]})["results"]
    return max((parse_time(entry["timestamp"]) for entry in deal["propertiesWithHistory"]["dealstage"]
                if entry.get("value") == stage), default=None)


def _create_once(runtime: Runtime, client: CrmClient, change: CrmOutbox, link: CrmLink, payload: dict[str, Any]) -> str:
    kind = "tasks" if change.kind == "task" else "notes"
    body_property = "hs_task_body" if change.kind == "task" else "hs_note_body"
    if change.attempts:  # an earlier attempt may have reached HubSpot: find it rather than make a second
        found = client.post(f"/crm/v3/objects/{kind}/search", {"filterGroups": [{"filters": [
            {"propertyName": body_property, "operator": "CONTAINS_TOKEN", "value": change.marker}]}], "limit": 1})
        if found.get("results"):
            return found["results"][0]["id"]
    with runtime.session() as session:
        store.note_attempt(session=session, change_id=change.id)
    if change.kind == "task":
        properties = {"hs_task_subject": payload["subject"], "hs_timestamp": payload["due_at"],
                      "hs_task_status": "NOT_STARTED", "hs_task_body": f"{payload['subject']}\n\n[{change.marker}]"}
        association = TASK_TO_DEAL
    else:
        words = f"Exit criterion confirmed ({payload['stage']}): {payload['criterion']}"
        if payload.get("evidence"):
            words += f" — {payload['evidence']}"
        properties = {"hs_note_body": f"{words}\n\n[{change.marker}]", "hs_timestamp": _iso(change.created_at)}
        association = NOTE_TO_DEAL
    created = client.post(f"/crm/v3/objects/{kind}", {"properties": properties, "associations": [
        {"to": {"id": link.crm_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                               "associationTypeId": association}]}]}, creates=True)
    return created["id"]


def _iso(value: datetime) -> str:
    return value.isoformat()
