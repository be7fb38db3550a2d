"""Targets: what a rep or a team is to win in a period, one per holder and period (see ``Target``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlmodel import Session

from storage.models import Target


def holder(*, rep_id: int | None = None, team_id: int | None = None) -> str:
    """The key a target is stored under: "rep:<id>" or "team:<id>"."""
    if (rep_id is None) == (team_id is None):
        raise ValueError("a target is a rep's or a team's")
    return f"rep:{rep_id}" if rep_id is not None else f"team:{team_id}"


def save_targets(*, session: Session, rows: Sequence[dict[str, Any]], set_by_id: int | None, now: datetime,
                 source: str) -> tuple[int, int, int]:
    """Insert or update targets given as {rep_id or team_id, first_day, last_day, amount}; returns
    (created, updated, unchanged)."""
    keyed = {(holder(rep_id=r.get("rep_id"), team_id=r.get("team_id")), r["first_day"], r["last_day"]): r
             for r in rows}
    stored = {}
    keys = list(keyed)
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        stored.update({(t.holder, t.first_day, t.last_day): t for t in session.execute(
            select(Target).where(tuple_(Target.holder, Target.first_day, Target.last_day).in_(chunk))).scalars()})
    created = updated = 0
    for key, row in keyed.items():
        old = stored.get(key)
        amount = Decimal(row["amount"])
        if old is None:
            session.add(Target(holder=key[0], rep_id=row.get("rep_id"), team_id=row.get("team_id"), first_day=key[1],
                               last_day=key[2], amount=amount, set_by_id=set_by_id, set_at=now, source=source))
            created += 1
        elif old.amount != amount:
            session.execute(update(Target).where(Target.id == old.id).values(amount=amount, set_by_id=set_by_id,
                                                                             set_at=now, source=source))
            updated += 1
    session.flush()
    return created, updated, len(keyed) - created - updated


def target_amount(*, session: Session, rep_id: int | None = None, team_id: int | None = None, first_day: date,
                  last_day: date) -> Decimal | None:
    """The target of the rep or team for exactly these days, None when none is set."""
    value = session.execute(select(Target.amount).where(  # type: ignore[call-overload]
        Target.holder == holder(rep_id=rep_id, team_id=team_id), Target.first_day == first_day,
        Target.last_day == last_day)).scalar_one_or_none()
    return Decimal(value) if value is not None else None
