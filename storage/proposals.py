"""Decisions on writes proposed in words: each proposal's token is claimed once, by its first decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import ProposalDecision

RECORDED = "recorded"
CANCELLED = "cancelled"


def claim(*, session: Session, token: str, rep_id: int, deal_id: int | None, outcome: str, now: datetime) -> bool:
    """Record ``outcome`` for the proposal ``token``; True only for the first decision.

    An insert-or-ignore on the primary key (as ``storage.events.claim_event``): two presses racing
    on one proposal agree on one winner without an error. On PostgreSQL the second insert waits for
    the first transaction and then changes no row; on SQLite writers take turns.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(ProposalDecision)
        .values(token=token, rep_id=rep_id, deal_id=deal_id, outcome=outcome, decided_at=now)
        .on_conflict_do_nothing(index_elements=["token"])
        .returning(ProposalDecision.token)  # a returned row, not rowcount, which some drivers leave at -1
    )
    return session.execute(statement).first() is not None


def decision(*, session: Session, token: str) -> ProposalDecision | None:
    """How the proposal ``token`` was decided, if it was."""
    return session.get(ProposalDecision, token)
