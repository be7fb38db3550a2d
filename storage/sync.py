"""Live CRM sync state: the cursor, the runner's lease, the last run, and deals' close-date/amount changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import DealPropertyChange, SyncState


def _insert(session: Session, model: Any):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def sync_state(*, session: Session, crm: str) -> SyncState | None:
    """The CRM's sync state, None before its first sync."""
    return session.get(SyncState, crm)


def take_lease(*, session: Session, crm: str, owner: str, now: datetime, until: datetime) -> bool:
    """Make ``owner`` the CRM's one runner until ``until``, unless another holds an unexpired lease.

    One conditional UPDATE: of two processes racing, the database lets exactly one change the row.
    A runner that died leaves a lease that runs out, so nothing stays locked for ever.
    """
    session.execute(_insert(session, SyncState).values(crm=crm).on_conflict_do_nothing(index_elements=["crm"]))
    result = session.execute(
        update(SyncState).where(SyncState.crm == crm,
                                or_(SyncState.lock_owner.is_(None), SyncState.lock_owner == owner,
                                    SyncState.lock_until < now))
        .values(lock_owner=owner, lock_until=until))
    return (result.rowcount or 0) == 1


def release_lease(*, session: Session, crm: str, owner: str) -> None:
    session.execute(update(SyncState).where(SyncState.crm == crm, SyncState.lock_owner == owner)
                    .values(lock_owner=None, lock_until=None))


def set_cursor(*, session: Session, crm: str, cursor: datetime) -> None:
    """Move the cursor (in the transaction that committed what it covers)."""
    session.execute(update(SyncState).where(SyncState.crm == crm).values(cursor=cursor))


def record_run(*, session: Session, crm: str, at: datetime, error: str | None, counts: str,
               succeeded: bool) -> None:
    values: dict[str, Any] = {"last_run_at": at, "last_error": error, "last_counts": counts}
    if succeeded:
        values["last_success_at"] = at
    session.execute(update(SyncState).where(SyncState.crm == crm).values(**values))


def reset_cursor(*, session: Session, crm: str) -> None:
    session.execute(update(SyncState).where(SyncState.crm == crm).values(cursor=None))


def add_property_changes(*, session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert (deal_id, property, value, changed_at, source) changes not stored yet; returns how many were new."""
    if not rows:
        return 0
    keys = {(row["deal_id"], row["property"], row["changed_at"]) for row in rows}
    deal_ids = sorted({row["deal_id"] for row in rows})
    stored = {tuple(row) for row in session.execute(
        select(DealPropertyChange.deal_id, DealPropertyChange.property, DealPropertyChange.changed_at)
        .where(DealPropertyChange.deal_id.in_(deal_ids))).all()}
    new = [row for row in rows if (row["deal_id"], row["property"], row["changed_at"]) not in stored]
    if new:
        session.execute(_insert(session, DealPropertyChange).on_conflict_do_nothing(), new)
    return len(keys - stored)


def property_changes(*, session: Session, deal_id: int) -> list[DealPropertyChange]:
    """A deal's recorded close-date and amount changes, oldest first."""
    return list(session.execute(select(DealPropertyChange).where(DealPropertyChange.deal_id == deal_id)
                                .order_by(DealPropertyChange.changed_at, DealPropertyChange.id)).scalars())
