"""Live CRM sync state: the cursor, the runner's lease, the last run, and deals' close-date/amount changes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.imports import upsert_rows
from storage.models import CrmLink, CrmOutbox, Deal, DealPropertyChange, Rep, SyncState

PROPERTY_CHANGE_TABLE: Table = DealPropertyChange.__table__  # type: ignore[attr-defined]
PROPERTY_CHANGE_COLUMNS = ("deal_id", "property", "value", "old_value", "changed_at", "source")  # table order
PROPERTY_CHANGE_KEY = ("deal_id", "property", "changed_at")
LINK_TABLE: Table = CrmLink.__table__  # type: ignore[attr-defined]


def _insert(session: Session, model: Any):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def sync_state(*, session: Session, crm: str) -> SyncState | None:
    """The CRM's sync state, None before its first sync."""
    return session.get(SyncState, crm)


def take_lease(*, session: Session, crm: str, owner: str, now: datetime, until: datetime,
               replacing: str | None = None) -> bool:
    """Make ``owner`` the CRM's one runner until ``until``, unless another holds an unexpired lease
    (``replacing``: that holder, known dead, is replaced).

    One conditional UPDATE: of two processes racing, the database lets exactly one change the row.
    A runner that died leaves a lease that runs out, so nothing stays locked for ever.
    """
    session.execute(_insert(session, SyncState).values(crm=crm, write_back=False)
                    .on_conflict_do_nothing(index_elements=["crm"]))
    free = or_(SyncState.lock_owner.is_(None), SyncState.lock_owner == owner, SyncState.lock_until < now)
    if replacing is not None:
        free = or_(free, SyncState.lock_owner == replacing)
    result = session.execute(update(SyncState).where(SyncState.crm == crm, free)
                             .values(lock_owner=owner, lock_until=until))
    return (result.rowcount or 0) == 1


def release_lease(*, session: Session, crm: str, owner: str) -> None:
    session.execute(update(SyncState).where(SyncState.crm == crm, SyncState.lock_owner == owner)
                    .values(lock_owner=None, lock_until=None))


def set_cursor(*, session: Session, crm: str, cursor: datetime, cursor_id: str | None = None) -> None:
    """Move the cursor (in the transaction that committed what it covers); ``cursor_id``: the last record
    committed among those last modified at ``cursor`` (None: all of them)."""
    session.execute(update(SyncState).where(SyncState.crm == crm).values(cursor=cursor, cursor_id=cursor_id))


def record_run(*, session: Session, crm: str, at: datetime, error: str | None, counts: str,
               succeeded: bool) -> None:
    values: dict[str, Any] = {"last_run_at": at, "last_error": error, "last_counts": counts}
    if succeeded:
        values["last_success_at"] = at
    session.execute(update(SyncState).where(SyncState.crm == crm).values(**values))


def reset_cursor(*, session: Session, crm: str) -> None:
    session.execute(update(SyncState).where(SyncState.crm == crm).values(cursor=None, cursor_id=None))


def linked_crm_ids(*, session: Session, crm: str) -> set[str]:
    """The CRM ids of every deal read from ``crm``."""
    return set(session.execute(select(CrmLink.crm_id).where(CrmLink.crm == crm)).scalars())


def add_property_changes(*, session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert (deal_id, property, value, changed_at, source, and optionally old_value) changes not stored yet;
    returns how many were new."""
    if not rows:
        return 0
    keys = {(row["deal_id"], row["property"], row["changed_at"]) for row in rows}
    deal_ids = sorted({row["deal_id"] for row in rows})
    stored = {tuple(row) for row in session.execute(
        select(DealPropertyChange.deal_id, DealPropertyChange.property, DealPropertyChange.changed_at)
        .where(DealPropertyChange.deal_id.in_(deal_ids))).all()}
    new = [tuple(row.get(column) for column in PROPERTY_CHANGE_COLUMNS) for row in rows
           if (row["deal_id"], row["property"], row["changed_at"]) not in stored]
    upsert_rows(session=session, table=PROPERTY_CHANGE_TABLE, columns=PROPERTY_CHANGE_COLUMNS, rows=new,
                keys=PROPERTY_CHANGE_KEY)
    return len(keys - stored)


def property_changes(*, session: Session, deal_id: int) -> list[DealPropertyChange]:
    """A deal's recorded close-date and amount changes, oldest first."""
    return list(session.execute(select(DealPropertyChange).where(DealPropertyChange.deal_id == deal_id)
                                .order_by(DealPropertyChange.changed_at, DealPropertyChange.id)).scalars())


def upsert_links(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Record (deal_id, crm, crm_id, pipeline, stage, read_at, and optionally modified_at) as
    last read from the CRM; every row gives the same keys, deal_id first."""
    if not rows:
        return
    columns = tuple(rows[0])  # what the rows give (a write-back's update leaves the last-modified time alone)
    upsert_rows(session=session, table=LINK_TABLE, columns=columns, keys=("deal_id",), update=columns[1:],
                rows=[tuple(row[column] for column in columns) for row in rows])


def links(*, session: Session, deal_ids: Sequence[int]) -> dict[int, CrmLink]:
    return {link.deal_id: link for link in session.execute(
        select(CrmLink).where(CrmLink.deal_id.in_(list(deal_ids)))).scalars()}


def owner_email(*, session: Session, deal_id: int) -> str | None:
    """The email of the rep who owns the deal (a task made in the CRM is theirs there too)."""
    return session.execute(select(Rep.email).join(Deal, Deal.owner_id == Rep.id).where(Deal.id == deal_id)).scalar()


def set_write_back(*, session: Session, crm: str, on: bool) -> None:
    session.execute(update(SyncState).where(SyncState.crm == crm).values(write_back=on))


def enqueue(*, session: Session, deal_id: int, kind: str, payload: dict[str, Any], now: datetime,
            crms: Collection[str] | None = None) -> bool:
    """Queue a confirmed change of a CRM deal for the CRM, in the caller's transaction; False (nothing
    queued) when the deal is not from a CRM (of ``crms``, when given) or write-back is off."""
    link = session.get(CrmLink, deal_id)
    if link is None or (crms is not None and link.crm not in crms):
        return False
    state = session.get(SyncState, link.crm)
    if state is None or not state.write_back:
        return False
    session.add(CrmOutbox(deal_id=deal_id, kind=kind, payload=json.dumps(payload, sort_keys=True),
                          marker=f"stagecoach-{uuid.uuid4().hex}", created_at=now))
    session.flush()
    return True


def pending_changes(*, session: Session, limit: int = 500) -> list[CrmOutbox]:
    """Changes not delivered yet, oldest first."""
    return list(session.execute(select(CrmOutbox).where(CrmOutbox.status == "pending")
                                .order_by(CrmOutbox.id).limit(limit)).scalars())


def note_attempt(*, session: Session, change_id: int) -> None:
    """Count an attempt before the call: after a crash, an attempted change is looked for before it is redone."""
    session.execute(update(CrmOutbox).where(CrmOutbox.id == change_id).values(attempts=CrmOutbox.attempts + 1))


def settle_change(*, session: Session, change_id: int, status: str, now: datetime | None = None,
                  crm_object_id: str | None = None, crm_changed_at: datetime | None = None,
                  error: str | None = None) -> None:
    values: dict[str, Any] = {"status": status, "error": error, "crm_changed_at": crm_changed_at}
    if crm_object_id is not None:
        values["crm_object_id"] = crm_object_id
    if status in ("delivered", "conflict"):
        values["delivered_at"] = now
    session.execute(update(CrmOutbox).where(CrmOutbox.id == change_id).values(**values))


def created_object(*, session: Session, deal_id: int, kind: str, key: str, value: Any) -> str | None:
    """The CRM id of the object a delivered change of ``kind`` created for the deal, whose payload's
    ``key`` is ``value`` (the task made for follow-up 12)."""
    for change in session.execute(select(CrmOutbox).where(CrmOutbox.deal_id == deal_id, CrmOutbox.kind == kind,
                                                          CrmOutbox.crm_object_id.is_not(None))).scalars():
        if json.loads(change.payload).get(key) == value:
            return change.crm_object_id
    return None


def delivered_moves(*, session: Session, deal_ids: Sequence[int]) -> dict[tuple[int, datetime], datetime]:
    """(deal id, when the CRM dates a stage move we wrote there) -> when our own move happened."""
    return {(deal_id, crm_at): ours for deal_id, crm_at, ours in session.execute(
        select(CrmOutbox.deal_id, CrmOutbox.crm_changed_at, CrmOutbox.created_at).where(
            CrmOutbox.kind == "stage", CrmOutbox.crm_changed_at.is_not(None),
            CrmOutbox.deal_id.in_(list(deal_ids)))).all()}


def outbox_counts(*, session: Session, crm: str | None = None) -> dict[str, int]:
    """Confirmed changes by status (``crm``: of that CRM's deals only)."""
    query = select(CrmOutbox.status, func.count())
    if crm is not None:
        query = query.join(CrmLink, CrmLink.deal_id == CrmOutbox.deal_id).where(CrmLink.crm == crm)
    return {status: count for status, count in session.execute(query.group_by(CrmOutbox.status)).all()}


def take_untold_conflicts(*, session: Session, deal_id: int, now: datetime) -> list[str]:
    """What the CRM's own newer value kept out of the deal and its owner was not told yet, oldest first;
    marked told at ``now`` in the caller's transaction, so each is told once."""
    changes = list(session.execute(select(CrmOutbox).where(
        CrmOutbox.status == "conflict", CrmOutbox.deal_id == deal_id, CrmOutbox.told_at.is_(None))
        .order_by(CrmOutbox.id)).scalars())
    if changes:
        session.execute(update(CrmOutbox).where(CrmOutbox.id.in_([c.id for c in changes])).values(told_at=now))
    return [change.error or "" for change in changes]


def mark_archived(*, session: Session, crm: str, crm_ids: set[str], now: datetime) -> int:
    """Hide the linked deals of ``crm_ids`` (deleted in the CRM) from coaching and reports; returns how many
    were newly hidden. Their rows and history stay."""
    if not crm_ids:
        return 0
    linked = select(CrmLink.deal_id).where(CrmLink.crm == crm, CrmLink.crm_id.in_(sorted(crm_ids)))
    result = session.execute(update(Deal).where(Deal.id.in_(linked), Deal.archived_at.is_(None))
                             .values(archived_at=now))
    return result.rowcount or 0


def unarchive(*, session: Session, deal_ids: Sequence[int]) -> int:
    """Show deals the CRM lists again (restored there); returns how many came back."""
    result = session.execute(update(Deal).where(Deal.id.in_(list(deal_ids)), Deal.archived_at.is_not(None))
                             .values(archived_at=None))
    return result.rowcount or 0
