"""Slack event de-duplication: an ``event_id`` is claimed once, whichever worker sees it first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import ProcessedEvent


def claim_event(*, session: Session, event_id: str, now: datetime) -> bool:
    """Record ``event_id`` as handled; True only for the first claim.

    An insert-or-ignore, so two workers racing on a retried event agree on one
    winner without an error: the loser's insert simply changes no row.
    """
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(ProcessedEvent)
        .values(event_id=event_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.event_id)  # rowcount is not reliable here on every driver; a returned row is
    )
    return session.execute(statement).first() is not None


def forget_events_before(*, session: Session, before: datetime) -> int:
    """Delete claims older than ``before`` (Slack stops retrying within the hour); returns how many."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    return result.rowcount or 0
