"""Forecast queries: deals with their close-date, amount and stage changes, for slippage and forecast changes.

Close dates and amounts change in ``DealPropertyChange`` (from the CRM sync and ``import history``);
a deal's value before its first recorded change is that change's ``old_value`` when the source gave
one. The reports rebuild each deal's close date, amount and status at the instants they compare
(``bot.pipeline.as_of``), so these functions read the few deals a report concerns, in scope, with
their changes up to a moment: every query filters by the viewer's access and the report's scope.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlmodel import Session

from storage.models import Deal, DealPropertyChange, DealStatus, Rep, StageChange, Team
from storage.reports import ReportScope, _at, _for_reports, scope_clauses

ID_BATCH = 5000


@dataclass(frozen=True)
class DealFacts:
    """A deal as it is now, with its owner and the owner's team (for per-rep and per-team figures)."""

    deal_id: int
    external_id: str
    name: str
    owner_id: int
    owner_name: str
    team_name: str | None
    amount: Decimal
    status: str
    stage_key: str
    created_at: datetime
    closed_at: datetime | None
    close_date: date | None
    forecast_category: str | None = None


@dataclass(frozen=True)
class ValueChange:
    property: str
    old_value: str | None
    value: str | None
    changed_at: datetime


def _facts_query(viewer, scope: ReportScope, *clauses):
    return (select(Deal.id, Deal.external_id, Deal.name, Deal.owner_id, Rep.name, Team.name, Deal.amount,
                   Deal.status, Deal.stage_key, Deal.created_at, Deal.closed_at, Deal.close_date, Deal.forecast_category)
            .join(Rep, Rep.id == Deal.owner_id).outerjoin(Team, Team.id == Rep.team_id)
            .where(*scope_clauses(viewer, scope), *clauses))


def _facts(rows) -> list[DealFacts]:
    return [DealFacts(deal_id, external_id, name, owner_id, owner, team, Decimal(amount), getattr(status, "value", status),
                      stage, created, closed, close_date, category)
            for deal_id, external_id, name, owner_id, owner, team, amount, status, stage, created, closed, close_date,
            category in rows]


def deals_pushed_past(*, session: Session, viewer, scope: ReportScope, after: date, until: datetime) -> list[DealFacts]:
    """Deals in scope given a close date after ``after`` by a change recorded before ``until``: those that
    may have been pushed out of a period ending on ``after``."""
    _for_reports(session)
    pushed = (select(DealPropertyChange.deal_id)
              .where(DealPropertyChange.property == "close_date", DealPropertyChange.changed_at < _at(until),
                     func.substr(DealPropertyChange.value, 1, 10) > after.isoformat()))
    return _facts(session.execute(_facts_query(viewer, scope, Deal.id.in_(pushed)).order_by(Deal.id)).all())


def deals_open_between(*, session: Session, viewer, scope: ReportScope, start: datetime,
                       end: datetime) -> list[DealFacts]:
    """Deals in scope that existed by ``end`` and were not closed before ``start`` (open now, or closed since)."""
    _for_reports(session)
    query = _facts_query(viewer, scope, Deal.created_at <= _at(end),
                         or_(Deal.status == DealStatus.open, Deal.closed_at >= _at(start)))
    return _facts(session.execute(query.order_by(Deal.id)).all())


def value_changes(*, session: Session, deal_ids: list[int], until: datetime,
                  properties: tuple[str, ...] = ("close_date", "amount")) -> dict[int, list[ValueChange]]:
    """Each deal's close-date and amount changes recorded before ``until``, oldest first."""
    found: dict[int, list[ValueChange]] = defaultdict(list)
    for start in range(0, len(deal_ids), ID_BATCH):
        rows = session.execute(
            select(DealPropertyChange.deal_id, DealPropertyChange.property, DealPropertyChange.old_value,
                   DealPropertyChange.value, DealPropertyChange.changed_at)
            .where(DealPropertyChange.deal_id.in_(deal_ids[start:start + ID_BATCH]),
                   DealPropertyChange.property.in_(properties), DealPropertyChange.changed_at < _at(until))
            .order_by(DealPropertyChange.deal_id, DealPropertyChange.changed_at, DealPropertyChange.id)).all()
        for deal_id, prop, old, new, changed_at in rows:
            found[deal_id].append(ValueChange(prop, old, new, changed_at))
    return found


def stage_moves(*, session: Session, deal_ids: list[int], until: datetime) -> dict[int, list[tuple[str, datetime]]]:
    """Each deal's stage changes (to_stage, changed_at) recorded before ``until``, oldest first."""
    found: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for start in range(0, len(deal_ids), ID_BATCH):
        rows = session.execute(
            select(StageChange.deal_id, StageChange.to_stage, StageChange.changed_at)
            .where(StageChange.deal_id.in_(deal_ids[start:start + ID_BATCH]), StageChange.changed_at < _at(until))
            .order_by(StageChange.deal_id, StageChange.changed_at, StageChange.id)).all()
        for deal_id, to_stage, changed_at in rows:
            found[deal_id].append((to_stage, changed_at))
    return found


@dataclass(frozen=True)
class OpenTotal:
    """Open deals of one owner, stage and CRM forecast category closing in a period."""

    owner_name: str
    stage_key: str
    forecast_category: str | None
    count: int
    amount: Decimal


def open_closing_between(*, session: Session, viewer, scope: ReportScope, first: date, last: date) -> list[OpenTotal]:
    """Open deals in scope with a close date from ``first`` to ``last`` (days, inclusive), by owner, stage and
    CRM category."""
    _for_reports(session)
    rows = session.execute(
        select(Rep.name, Deal.stage_key, Deal.forecast_category, func.count(), func.coalesce(func.sum(Deal.amount), 0))
        .join(Rep, Rep.id == Deal.owner_id)
        .where(Deal.status == DealStatus.open, Deal.close_date >= first, Deal.close_date <= last,
               *scope_clauses(viewer, scope))
        .group_by(Rep.name, Deal.stage_key, Deal.forecast_category)).all()
    return [OpenTotal(owner, stage, category, int(n), Decimal(amount)) for owner, stage, category, n, amount in rows]


def won_between(*, session: Session, viewer, scope: ReportScope, start: datetime,
                end: datetime) -> dict[str, tuple[int, Decimal]]:
    """Deals in scope won with ``closed_at`` in ``[start, end)``: {owner name: (count, amount)}."""
    _for_reports(session)
    rows = session.execute(
        select(Rep.name, func.count(), func.coalesce(func.sum(Deal.amount), 0)).join(Rep, Rep.id == Deal.owner_id)
        .where(Deal.status == DealStatus.won, Deal.closed_at >= _at(start), Deal.closed_at < _at(end),
               *scope_clauses(viewer, scope))
        .group_by(Rep.name)).all()
    return {owner: (int(n), Decimal(amount)) for owner, n, amount in rows}
