"""Scorecard figures per deal owner: results in a period, the open pipeline now, overdue follow-ups, stuck deals.

Two grouped queries answer for any number of owners (one person, a team, everyone): deals
grouped by owner and current stage, and overdue follow-ups grouped by owner. Both are
limited by ``Viewer.deal_filter``, so a figure the viewer may not see is never read,
whatever the caller asks for.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.access import Viewer
from storage.models import Deal, DealStatus, FollowUp, Rep

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Figures:
    """One owner's (or a group's) scorecard figures. Amounts are summed as stored: the model has no currency.

    Attributes:
        won_count / won_amount: deals closed won with ``closed_at`` in the period.
        lost_count: deals closed lost with ``closed_at`` in the period.
        new_count / new_amount: deals created in the period, whatever their status now.
        open_count / open_amount: open deals now.
        weighted_amount: open deals' amount times their current stage's probability; a stage without
            a probability (or outside the map) counts 0.
        overdue_followups: open follow-ups on open deals due before the start of the owner's today.
        over_norm: open deals whose whole days in stage exceed the stage's expected days.
    """

    won_count: int = 0
    won_amount: Decimal = Decimal(0)
    lost_count: int = 0
    new_count: int = 0
    new_amount: Decimal = Decimal(0)
    open_count: int = 0
    open_amount: Decimal = Decimal(0)
    weighted_amount: Decimal = Decimal(0)
    overdue_followups: int = 0
    over_norm: int = 0

    @property
    def closed_count(self) -> int:
        return self.won_count + self.lost_count

    @property
    def win_rate(self) -> float | None:
        """Won ÷ closed in the period; None when nothing closed (not 0%: there is no rate to speak of)."""
        return self.won_count / self.closed_count if self.closed_count else None

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def to_json(self) -> dict:
        data = {f.name: (float(v) if isinstance(v := getattr(self, f.name), Decimal) else v) for f in fields(self)}
        return {**data, "closed_count": self.closed_count, "win_rate": self.win_rate}


def total(figures: Collection[Figures]) -> Figures:
    """The figures of a group: every figure summed (a win rate from the summed counts, not averaged)."""
    return sum(figures, Figures())


def figures_by_owner(*, session: Session, viewer: Viewer, start: datetime, end: datetime,
                     today_starts: Mapping[str, datetime], stuck_entered_by: Mapping[str, datetime],
                     probabilities: Mapping[str, float], owner_ids: Collection[int] | None = None,
                     ) -> dict[int, Figures]:
    """Scorecard figures per owner, for owners with any figure (the others have none: ``Figures()``).

    Args:
        start, end: the period ``[start, end)`` for won, lost and new deals.
        today_starts: timezone name (as stored on ``Rep.timezone``) -> the UTC instant today began there;
            a follow-up is overdue when due before its owner's. Owners whose timezone is missing count none.
        stuck_entered_by: stage key -> the latest stage entry that puts an open deal over the stage's norm.
        probabilities: stage key -> probability of closing, for the weighted pipeline; a stage not in it
            (no probability in the map, or not in the map at all) weighs 0.
        owner_ids: only these owners; None for every owner the viewer may see.
    """
    owners = [] if owner_ids is None else [Deal.owner_id.in_(sorted(set(owner_ids)))]  # type: ignore[attr-defined]

    def in_period(column):
        return and_(column >= start, column < end)

    won = and_(Deal.status == DealStatus.won, in_period(Deal.closed_at))
    lost = and_(Deal.status == DealStatus.lost, in_period(Deal.closed_at))
    new = in_period(Deal.created_at)
    is_open = Deal.status == DealStatus.open
    over = or_(false(), *(and_(Deal.stage_key == key, Deal.stage_entered_at <= cutoff)
                          for key, cutoff in stuck_entered_by.items()))

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def amount(condition):
        return func.coalesce(func.sum(case((condition, Deal.amount), else_=0)), 0)

    # Grouped by stage as well, so the weighted pipeline multiplies exact sums by the map's probabilities here
    # rather than in SQL floats; a person has a handful of stages, so the rows stay few.
    rows = session.exec(
        select(Deal.owner_id, Deal.stage_key, count(won), amount(won), count(lost), count(new), amount(new),
               count(is_open), amount(is_open), count(and_(is_open, over)))
        .where(viewer.deal_filter(), or_(is_open, won, lost, new), *owners)
        .group_by(Deal.owner_id, Deal.stage_key)
    ).all()
    result: dict[int, Figures] = {}
    for owner_id, stage_key, won_n, won_sum, lost_n, new_n, new_sum, open_n, open_sum, over_n in rows:
        open_sum = _decimal(open_sum)
        weighted = (open_sum * Decimal(str(probabilities.get(stage_key) or 0))).quantize(CENTS)
        row = Figures(won_count=int(won_n), won_amount=_decimal(won_sum), lost_count=int(lost_n), new_count=int(new_n),
                      new_amount=_decimal(new_sum), open_count=int(open_n), open_amount=open_sum,
                      weighted_amount=weighted, over_norm=int(over_n))
        result[owner_id] = result.get(owner_id, Figures()) + row

    # Overdue as each owner sees it: due before today began in their own timezone (as the digest counts it).
    # The owner is aliased: a manager's access filter is a subquery on ``Rep``, which must not correlate with it.
    owner = aliased(Rep)
    overdue = or_(false(), *(and_(owner.timezone == name, FollowUp.due_at < instant)
                             for name, instant in today_starts.items()))
    for owner_id, n in session.exec(
        select(Deal.owner_id, func.count(FollowUp.id))
        .join(Deal, Deal.id == FollowUp.deal_id).join(owner, owner.id == Deal.owner_id)
        .where(viewer.deal_filter(), FollowUp.done_at == None, is_open, overdue, *owners)  # noqa: E711
        .group_by(Deal.owner_id)
    ).all():
        result[owner_id] = result.get(owner_id, Figures()) + Figures(overdue_followups=int(n))
    return result


def _decimal(value) -> Decimal:
    """A summed amount as an exact Decimal in cents (SQLite sums NUMERIC as floats)."""
    return Decimal(str(value)).quantize(CENTS)
