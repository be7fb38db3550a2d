"""Pipeline report queries: every figure is aggregated in the database, never by loading all deals.

The stage timeline is the ``StageChange`` table: a deal is in stage S from a change
into S until its next change (by ``changed_at``, then ``id``); ``won``/``lost`` end it.
So the stage a change *leaves* is the ``to_stage`` of the deal's previous change: a
report reads only the changes of its period, takes each one's previous (or next) change
from ``LAG``/``LEAD`` over those rows, and probes the index on ``(deal_id, changed_at, id)``
only for a deal's first (last) change there, whose neighbour lies outside the period.

Every query is limited to what the viewer may see (``Viewer.deal_filter``) and to the
report's scope. SQL is portable across SQLite and PostgreSQL (and DuckDB, which the
benchmark uses as a reference): medians come from ``ROW_NUMBER``/``COUNT`` windows and
day arithmetic from ``epoch_days``, compiled per dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Float, and_, case, exists, func, literal, or_, select, text, tuple_, union, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import True_
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.access import LIVE_DEAL, Viewer
from storage.deals import close_date_pushes
from storage.models import CLOSED_STAGES, Activity, CriterionCheck, Deal, DealStatus, Rep, StageChange, Team
from storage.timeutil import to_utc


class epoch_days(FunctionElement):  # noqa: N801 (reads as the SQL function it compiles to)
    """Days since an epoch as a float; only differences are meaningful (the epoch differs by dialect)."""

    type = Float()
    name = "epoch_days"
    inherit_cache = True


@compiles(epoch_days)
def _epoch_days_default(element, compiler, **kw) -> str:  # PostgreSQL, DuckDB
    # date_part is a double; EXTRACT gives PostgreSQL's numeric, several times slower to compute and sort.
    return f"(date_part('epoch', {compiler.process(element.clauses, **kw)}) / 86400.0)"


@compiles(epoch_days, "sqlite")
def _epoch_days_sqlite(element, compiler, **kw) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


@dataclass(frozen=True)
class ReportScope:
    """Which deals a report covers, on top of what the viewer may see: everything, a team, or one rep."""

    team_id: int | None = None
    rep_id: int | None = None


@dataclass(frozen=True)
class StageTotal:
    stage_key: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class FlowCount:
    stage_key: str
    at_start: int
    entered: int
    left: int
    at_end: int


@dataclass(frozen=True)
class DwellStat:
    stage_key: str
    count: int
    mean_days: float
    median_days: float
    p75_days: float  # nearest rank: the stay at rank ceil(0.75 n)


@dataclass(frozen=True)
class OpenDwell:
    stage_key: str
    count: int
    mean_days: float
    max_days: float
    over_expected: int


@dataclass(frozen=True)
class StuckRow:
    deal_id: int
    external_id: str
    name: str
    account: str
    owner_name: str
    stage_key: str
    amount: Decimal
    days_in_stage: float
    days_over: float


@dataclass(frozen=True)
class ConversionCount:
    stage_key: str
    entered: int
    advanced: int
    lost: int
    still_in_stage: int
    other: int  # moved back, or to a stage outside the map


@dataclass(frozen=True)
class UnmetCount:
    stage_key: str
    stuck: int
    lost: int
    deals: int  # stuck and lost, each deal once
    unmet: dict[str, int]  # criterion key -> deals whose latest check is not "met"


def _for_reports(session: Session) -> None:
    """For this transaction on PostgreSQL: no JIT (it compiles these many-probe plans for longer than they run),
    and room to sort a period's changes in memory (the default 4 MB spills a busy month to disk)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.connection()  # begin the transaction the settings belong to
    transaction = session.get_transaction()
    if session.info.get("tuned_for_reports") is transaction:
        return  # a report runs several of these functions in one transaction: set once
    # One statement (set_config(..., true) is SET LOCAL): a list that reads a report's figure adds one round trip.
    session.exec(text("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"))
    session.info["tuned_for_reports"] = transaction


def _at(value: datetime):
    """A UTC timestamp parameter, typed like the columns so SQLite compares it as stored."""
    return literal(to_utc(value), UTCDateTime())


def scope_clauses(viewer: Viewer, scope: ReportScope) -> list:
    """Clauses on ``Deal``: the viewer's access, then the scope; empty when every deal counts."""
    clauses = []
    access = viewer.deal_filter()
    if not isinstance(access, True_):
        clauses.append(access)
    if scope.team_id is not None:
        clauses.append(Deal.owner_id.in_(select(Rep.id).where(Rep.team_id == scope.team_id)))  # type: ignore[attr-defined]
    if scope.rep_id is not None:
        clauses.append(Deal.owner_id == scope.rep_id)
    return clauses


def _changes(columns: list, change, clauses: list):
    """Select ``columns`` from the aliased ``change`` table, joined to its deal only when the scope needs it.

    Everything but the deals deleted in the CRM (an admin's scope): an anti-join on the few deleted ones
    (``ix_deal_archived``), not a join of every change to every deal (5x the flow's time on PostgreSQL).
    """
    query = select(*columns).select_from(change)
    if len(clauses) == 1 and clauses[0] is LIVE_DEAL:
        return query.where(~exists().where(Deal.id == change.deal_id, Deal.archived_at.is_not(None)))  # type: ignore[union-attr]
    if clauses:
        query = query.join(Deal, Deal.id == change.deal_id).where(*clauses)
    return query


def _neighbour(deal_id, changed_at, change_id, column: str, *, previous: bool):
    """The deal's previous (or next) change's ``column``, by (changed_at, id): one index probe per row."""
    other = aliased(StageChange)
    # A row comparison, which the index serves as one range (no step over the change itself).
    theirs, ours = tuple_(other.changed_at, other.id), tuple_(changed_at, change_id)
    if previous:
        order = theirs < ours
        sort = (other.changed_at.desc(), other.id.desc())
    else:
        order = theirs > ours
        sort = (other.changed_at.asc(), other.id.asc())
    return (select(getattr(other, column)).where(other.deal_id == deal_id, order)
            .order_by(*sort).limit(1).scalar_subquery())


def _period_changes(clauses: list, *, since: datetime | None, until: datetime | None,
                    neighbours: dict[str, tuple[str, bool]]):
    """The changes in ``[since, until)`` (in scope), with neighbour columns: ``name -> (column, previous?)``.

    Returns (rows, filled): ``rows`` is a subquery of the changes (``id, deal_id, to_stage,
    changed_at``) and their neighbours within the period (LAG/LEAD, ``None`` at its edge);
    ``filled`` maps each name to an expression over ``rows`` that probes the index only at
    that edge (COALESCE stops at the first non-null). Select ``filled`` expressions in a
    query over ``rows`` whose WHERE drops unwanted rows first, so those never probe.
    """
    c = aliased(StageChange)
    order = (c.changed_at, c.id)
    adjacent = [(func.lag if previous else func.lead)(getattr(c, column))
                .over(partition_by=c.deal_id, order_by=order).label(f"adjacent_{name}")
                for name, (column, previous) in neighbours.items()]
    window = [c.changed_at >= _at(since)] if since else []
    window += [c.changed_at < _at(until)] if until else []
    rows = _changes([c.id, c.deal_id, c.to_stage, c.changed_at, *adjacent], c, clauses).where(*window).subquery()
    filled = {name: func.coalesce(rows.c[f"adjacent_{name}"],
                                  _neighbour(rows.c.deal_id, rows.c.changed_at, rows.c.id, column, previous=previous)
                                  .correlate(rows))
              for name, (column, previous) in neighbours.items()}
    return rows, filled


def _dated():
    """Deals whose stage entry has a date: an open deal imported without any date has none (and no
    timeline), and stage figures leave it out until it moves."""
    return Deal.undated.is_(None)  # type: ignore[union-attr]


def undated_open_deals(*, session: Session, viewer: Viewer, scope: ReportScope) -> int:
    """Open deals in their stage since an unknown date (imported without dates): in no stage figure."""
    _for_reports(session)
    return int(session.exec(select(func.count()).select_from(Deal).where(  # type: ignore[call-overload]
        Deal.status == DealStatus.open, ~_dated(), *scope_clauses(viewer, scope))).scalar_one())


def status_totals(*, session: Session, viewer: Viewer, scope: ReportScope,
                  now: datetime | None = None) -> list[StageTotal]:
    """Open deals per current stage: count and total amount; with ``now``, only deals created by then."""
    _for_reports(session)
    existed = [Deal.created_at <= _at(now)] if now is not None else []
    rows = session.exec(
        select(Deal.stage_key, func.count(), func.coalesce(func.sum(Deal.amount), 0))
        .where(Deal.status == DealStatus.open, *existed, *scope_clauses(viewer, scope)).group_by(Deal.stage_key)
    ).all()
    return [StageTotal(stage, int(n), Decimal(amount)) for stage, n, amount in rows]


def _split_counts(session: Session, clauses: list, *, since: datetime | None, until: datetime | None,
                  split: datetime) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Entries into and exits from each stage by changes in ``[since, until)``, split at ``split``.

    Returns (entries, exits): stage -> (count before ``split``, count from ``split`` on).
    """
    c = aliased(StageChange)
    window = [c.changed_at >= _at(since)] if since else []
    window += [c.changed_at < _at(until)] if until else []
    early = func.sum(case((c.changed_at < _at(split), 1), else_=0))
    entries = session.exec(
        _changes([c.to_stage, early, func.count()], c, clauses)
        .where(*window, c.to_stage.notin_(CLOSED_STAGES)).group_by(c.to_stage)  # type: ignore[attr-defined]
    ).all()
    rows, filled = _period_changes(clauses, since=since, until=until, neighbours={"left": ("to_stage", True)})
    inner = select(filled["left"].label("stage"), rows.c.changed_at.label("at")).subquery()
    # No filter on the left stage in SQL: PostgreSQL would push it down and compute it twice per change.
    exits = session.exec(
        select(inner.c.stage, func.sum(case((inner.c.at < _at(split), 1), else_=0)), func.count())
        .group_by(inner.c.stage)
    ).all()

    def as_dict(rows) -> dict[str, tuple[int, int]]:
        return {stage: (int(before), int(total) - int(before)) for stage, before, total in rows
                if stage is not None and stage not in CLOSED_STAGES}

    return as_dict(entries), as_dict(exits)


def flow_counts(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime, end: datetime,
                direction: str = "auto") -> list[FlowCount]:
    """Per stage: deals in it at ``start``, entering and leaving in ``[start, end)``, in it at ``end``.

    "In S at t" counts the timeline intervals of S with ``entered < t <= left`` (a deal
    entering exactly at ``start`` is counted as entering during the period). The counts
    obey ``at_start + entered - left == at_end`` by construction, in either direction:
    ``forward`` counts every change before ``end`` (state at start = entries - exits so far);
    ``backward`` counts every change from ``start`` on and unwinds them from the current
    state of the deals (``Deal.status``/``stage_key``, which the timeline contract keeps in
    agreement). ``auto`` reads whichever side of the period holds fewer changes.
    """
    _for_reports(session)
    clauses = scope_clauses(viewer, scope)
    if direction == "auto":
        first, last = session.exec(select(func.min(StageChange.changed_at), func.max(StageChange.changed_at))).one()
        if first is None:
            return []
        direction = "forward" if (to_utc(end) - first) <= (last - to_utc(start)) else "backward"
    result: dict[str, list[int]] = {}
    if direction == "forward":
        entries, exits = _split_counts(session, clauses, since=None, until=end, split=start)
        for stage in entries.keys() | exits.keys():
            e_before, e_during = entries.get(stage, (0, 0))
            l_before, l_during = exits.get(stage, (0, 0))
            at_start = e_before - l_before
            result[stage] = [at_start, e_during, l_during, at_start + e_during - l_during]
    elif direction == "backward":
        entries, exits = _split_counts(session, clauses, since=start, until=None, split=end)
        current = dict(session.exec(
            select(Deal.stage_key, func.count()).where(Deal.status == DealStatus.open, _dated(), *clauses)
            .group_by(Deal.stage_key)
        ).all())
        for stage in entries.keys() | exits.keys() | current.keys():
            e_during, e_after = entries.get(stage, (0, 0))
            l_during, l_after = exits.get(stage, (0, 0))
            at_end = int(current.get(stage, 0)) - e_after + l_after
            result[stage] = [at_end - e_during + l_during, e_during, l_during, at_end]
    else:
        raise ValueError(f"direction must be auto, forward or backward, not {direction!r}")
    return [FlowCount(stage, *counts) for stage, counts in sorted(result.items())]


def left_dwell(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime,
               end: datetime) -> list[DwellStat]:
    """For deals that left each stage in ``[start, end)``: how many, mean and median days spent in it.

    Each stay counts once (a deal that left a stage twice in the period counts twice).
    """
    _for_reports(session)
    rows, filled = _period_changes(scope_clauses(viewer, scope), since=start, until=end,
                                   neighbours={"stage": ("to_stage", True), "entered": ("changed_at", True)})
    stays = select(filled["stage"].label("stage"),
                   (epoch_days(rows.c.changed_at) - epoch_days(filled["entered"])).label("days")).subquery()
    ranked = select(  # unfiltered, so each stage is computed once (see _split_counts); closed or none dropped below
        stays.c.stage, stays.c.days,
        func.row_number().over(partition_by=stays.c.stage, order_by=stays.c.days).label("rn"),
        func.count().over(partition_by=stays.c.stage).label("n"),
    ).subquery()
    # The median is the middle row, or the mean of the two middle rows: 2*rn in [n, n+2].
    middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    rows = session.exec(
        select(ranked.c.stage, func.count(), func.avg(ranked.c.days), func.avg(case((middle, ranked.c.days))),
               func.min(case((ranked.c.rn * 4 >= ranked.c.n * 3, ranked.c.days))))
        .group_by(ranked.c.stage).order_by(ranked.c.stage)
    ).all()
    return [DwellStat(s, int(n), float(mean), float(median), float(p75)) for s, n, mean, median, p75 in rows
            if s is not None and s not in CLOSED_STAGES]


def _cutoffs(expected_days: dict[str, int], now: datetime) -> dict[str, datetime]:
    return {stage: to_utc(now) - timedelta(days=days) for stage, days in expected_days.items()}


def _over_expected(cutoffs: dict[str, datetime]):
    """Open deals in a mapped stage for longer than it expects."""
    return or_(*(and_(Deal.stage_key == s, Deal.stage_entered_at < _at(t)) for s, t in cutoffs.items()))


def open_dwell(*, session: Session, viewer: Viewer, scope: ReportScope, now: datetime,
               expected_days: dict[str, int]) -> list[OpenDwell]:
    """Open deals per current stage: how long they have been in it (mean, max) and how many are over expectation."""
    _for_reports(session)
    days = epoch_days(_at(now)) - epoch_days(Deal.stage_entered_at)
    over = func.sum(case((_over_expected(_cutoffs(expected_days, now)), 1), else_=0)) if expected_days else literal(0)
    rows = session.exec(
        select(Deal.stage_key, func.count(), func.avg(days), func.max(days), over)
        # Deals not in their stage yet at ``now`` (a report for an earlier day), or since an unknown date: left out.
        .where(Deal.status == DealStatus.open, Deal.stage_entered_at <= _at(now), _dated(), *scope_clauses(viewer, scope))
        .group_by(Deal.stage_key)
    ).all()
    return [OpenDwell(s, int(n), float(mean), float(longest), int(o or 0)) for s, n, mean, longest, o in rows]


def stuck_deals(*, session: Session, viewer: Viewer, scope: ReportScope, now: datetime,
                expected_days: dict[str, int], limit: int = 20) -> tuple[int, list[StuckRow]]:
    """Open deals over their stage's expected days, most overdue first: (how many in all, the first ``limit``)."""
    _for_reports(session)
    if not expected_days:
        return 0, []
    in_stage = epoch_days(_at(now)) - epoch_days(Deal.stage_entered_at)
    over = in_stage - case(expected_days, value=Deal.stage_key)
    rows = session.exec(
        select(Deal.id, Deal.external_id, Deal.name, Deal.account, Rep.name, Deal.stage_key, Deal.amount,
               in_stage, over, func.count().over())
        .join(Rep, Rep.id == Deal.owner_id)
        .where(Deal.status == DealStatus.open, _over_expected(_cutoffs(expected_days, now)), _dated(),
               *scope_clauses(viewer, scope))
        .order_by(over.desc(), Deal.id).limit(limit)
    ).all()
    total = int(rows[0][-1]) if rows else 0
    return total, [StuckRow(*row[:6], Decimal(row[6]), float(row[7]), float(row[8])) for row in rows]


def met_criteria(*, session: Session, deal_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    """(stage, criterion) pairs whose latest check is "met", per deal — as the coach reads them."""
    if not deal_ids:
        return {}
    latest = (select(func.max(CriterionCheck.id)).where(CriterionCheck.deal_id.in_(deal_ids))  # type: ignore[attr-defined]
              .group_by(CriterionCheck.deal_id, CriterionCheck.stage_key, CriterionCheck.criterion_key))
    rows = session.exec(
        select(CriterionCheck.deal_id, CriterionCheck.stage_key, CriterionCheck.criterion_key)
        .where(CriterionCheck.id.in_(latest), CriterionCheck.met == True)  # type: ignore[attr-defined]  # noqa: E712
    ).all()
    met: dict[int, set[tuple[str, str]]] = {deal_id: set() for deal_id in deal_ids}
    for deal_id, stage, criterion in rows:
        met[deal_id].add((stage, criterion))
    return met


def conversion_counts(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime, end: datetime,
                      stage_order: list[str]) -> list[ConversionCount]:
    """Per stage, the deals that entered it in ``[start, end)`` and what their next change did, at any time since.

    A deal counts once per stage. It *advanced* when, after an entry in the period, its next
    change went to a later stage of ``stage_order`` (the next one, or beyond it when a stage
    is skipped) or to ``won``; otherwise *lost* if that next change was ``lost``; otherwise
    *still in stage* if it has not changed since; otherwise *other* (moved back, or to a
    stage outside the map).
    """
    _for_reports(session)
    index = {stage: i for i, stage in enumerate(stage_order)}
    rows, filled = _period_changes(scope_clauses(viewer, scope), since=start, until=end,
                                   neighbours={"next": ("to_stage", False)})
    # Materialized: the next change is found once per entry, however often the classification reads it.
    entries = select(rows.c.deal_id, rows.c.to_stage.label("stage"), filled["next"].label("next")) \
        .where(rows.c.to_stage.notin_(CLOSED_STAGES)) \
        .cte("entries").prefix_with("MATERIALIZED")  # type: ignore[attr-defined]
    forward = or_(entries.c.next == "won",
                  case(index, value=entries.c.next, else_=None) > case(index, value=entries.c.stage, else_=None))
    per_deal = select(
        entries.c.stage,
        func.max(case((forward, 1), else_=0)).label("adv"),
        func.max(case((entries.c.next == "lost", 1), else_=0)).label("lost"),
        func.max(case((entries.c.next.is_(None), 1), else_=0)).label("still"),
    ).group_by(entries.c.stage, entries.c.deal_id).subquery()
    not_adv = per_deal.c.adv == 0
    rows = session.exec(
        select(per_deal.c.stage, func.count(), func.sum(per_deal.c.adv),
               func.sum(case((and_(not_adv, per_deal.c.lost == 1), 1), else_=0)),
               func.sum(case((and_(not_adv, per_deal.c.lost == 0, per_deal.c.still == 1), 1), else_=0)))
        .group_by(per_deal.c.stage).order_by(per_deal.c.stage)
    ).all()
    return [ConversionCount(s, int(n), int(a), int(lo), int(st), int(n) - int(a) - int(lo) - int(st))
            for s, n, a, lo, st in rows]


def closed_without_history(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime,
                           end: datetime) -> int:
    """Deals that closed in ``[start, end)`` with no stage entry before their close: imported closed,
    with no history. Stage figures (flow, time in stage, conversion) cannot count them; reports say how many."""
    _for_reports(session)
    c = aliased(StageChange)
    first_is_close = _neighbour(c.deal_id, c.changed_at, c.id, "to_stage", previous=True).correlate(c).is_(None)
    closes = _changes([c.deal_id], c, scope_clauses(viewer, scope)).where(
        c.to_stage.in_(CLOSED_STAGES), c.changed_at >= _at(start), c.changed_at < _at(end),  # type: ignore[attr-defined]
        first_is_close).subquery()
    return int(session.exec(select(func.count(func.distinct(closes.c.deal_id)))).scalar_one())


def unmet_among_stuck_and_lost(*, session: Session, viewer: Viewer, scope: ReportScope, stage_key: str,
                               criteria: list[str], now: datetime, expected_days: int, start: datetime,
                               end: datetime) -> UnmetCount:
    """For one stage: its stuck deals (open, over ``expected_days``) and the deals lost from it in
    ``[start, end)``, and per exit criterion how many of them lack a latest "met" check."""
    _for_reports(session)
    clauses = scope_clauses(viewer, scope)
    # One statement, each set materialized once: the lost deals' probes are the costly part.
    stuck = select(Deal.id.label("deal_id")).where(  # type: ignore[union-attr]
        Deal.status == DealStatus.open, _over_expected(_cutoffs({stage_key: expected_days}, now)), *clauses,
    ).cte("stuck").prefix_with("MATERIALIZED")
    c = aliased(StageChange)
    lost = _changes([c.deal_id.label("deal_id")], c, clauses).where(
        c.to_stage == "lost", c.changed_at >= _at(start), c.changed_at < _at(end),
        _neighbour(c.deal_id, c.changed_at, c.id, "to_stage", previous=True).correlate(c) == stage_key,
    ).distinct().cte("lost").prefix_with("MATERIALIZED")
    deals = union(select(stuck.c.deal_id), select(lost.c.deal_id)).cte("deals").prefix_with("MATERIALIZED")
    latest = (select(func.max(CriterionCheck.id))
              .where(CriterionCheck.stage_key == stage_key, CriterionCheck.deal_id.in_(select(deals.c.deal_id)))  # type: ignore[attr-defined]
              .group_by(CriterionCheck.deal_id, CriterionCheck.criterion_key))
    met = (select(CriterionCheck.criterion_key, func.count())
           .where(CriterionCheck.id.in_(latest), CriterionCheck.met == True)  # type: ignore[attr-defined]  # noqa: E712
           .group_by(CriterionCheck.criterion_key))
    # Totals ride along as rows keyed "#name" (criterion keys are slugs, never "#...").
    totals = [select(literal(f"#{name}"), select(func.count()).select_from(cte).scalar_subquery())
              for name, cte in (("stuck", stuck), ("lost", lost), ("deals", deals))]
    counts = {key: int(n) for key, n in session.exec(union_all(met, *totals)).all()}
    n_deals = counts["#deals"]
    return UnmetCount(stage_key, counts["#stuck"], counts["#lost"], n_deals,
                      {key: n_deals - counts.get(key, 0) for key in criteria})


@dataclass(frozen=True)
class ClosedStats:
    """Deals closed in a period: how many were won and lost, the won deals' mean amount and cycle (create → close)."""

    won: int
    lost: int
    won_amount_mean: float | None
    cycle_mean_days: float | None
    cycle_median_days: float | None


@dataclass(frozen=True)
class ReachedCount:
    furthest: int  # index in the map of the furthest stage the deal entered
    deals: int
    won: int


@dataclass(frozen=True)
class PathCounts:
    deals: int  # deals with a stage change in the period (a deal created closed has no path and is left out)
    followed: int
    skipped: int
    moved_back: int


@dataclass(frozen=True)
class StageOutcome:
    stage_key: str
    deals: int  # deals closed in the period that left this stage
    won: int


@dataclass(frozen=True)
class CriterionOutcome:
    stage_key: str
    criterion_key: str
    confirmed: int  # of StageOutcome.deals, those whose latest check before leaving the stage was "met"
    confirmed_won: int


def _closed_in(viewer: Viewer, scope: ReportScope, start: datetime, end: datetime) -> list:
    """Clauses on ``Deal``: won or lost with ``closed_at`` in ``[start, end)``, in scope."""
    return [Deal.status.in_((DealStatus.won, DealStatus.lost)), Deal.closed_at >= _at(start),  # type: ignore[attr-defined]
            Deal.closed_at < _at(end), *scope_clauses(viewer, scope)]


def closed_outcomes(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime,
                    end: datetime) -> ClosedStats:
    """Won and lost deals by ``closed_at`` in ``[start, end)`` (with or without stage history), and for the won
    ones the mean amount and the mean and median days from ``created_at`` to ``closed_at``."""
    _for_reports(session)
    closed = _closed_in(viewer, scope, start, end)
    won, lost = session.exec(select(  # type: ignore[call-overload]
        func.coalesce(func.sum(case((Deal.status == DealStatus.won, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Deal.status == DealStatus.lost, 1), else_=0)), 0)).where(*closed)).one()
    cycles = select(Deal.amount.label("amount"),  # type: ignore[attr-defined]
                    (epoch_days(Deal.closed_at) - epoch_days(Deal.created_at)).label("days")) \
        .where(*closed, Deal.status == DealStatus.won).subquery()
    ranked = select(cycles.c.amount, cycles.c.days, func.row_number().over(order_by=cycles.c.days).label("rn"),
                    func.count().over().label("n")).subquery()
    middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    amount, mean, median = session.exec(select(  # type: ignore[call-overload]
        func.avg(ranked.c.amount), func.avg(ranked.c.days), func.avg(case((middle, ranked.c.days))))).one()

    def number(value) -> float | None:
        return float(value) if value is not None else None

    return ClosedStats(int(won), int(lost), number(amount), number(mean), number(median))


def furthest_stage_of_closed(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime,
                             end: datetime, stage_order: list[str]) -> list[ReachedCount]:
    """Deals closed in ``[start, end)`` grouped by the furthest stage of ``stage_order`` they ever entered,
    with how many of each group were won. Deals that entered no mapped stage (created closed) are left out."""
    _for_reports(session)
    index = {stage: i for i, stage in enumerate(stage_order)}
    closed = select(Deal.id.label("deal_id"), case((Deal.status == DealStatus.won, 1), else_=0).label("won")) \
        .where(*_closed_in(viewer, scope, start, end)).subquery()
    c = aliased(StageChange)
    per_deal = select(closed.c.deal_id, closed.c.won,
                      func.max(case(index, value=c.to_stage, else_=None)).label("furthest")) \
        .join(c, c.deal_id == closed.c.deal_id).group_by(closed.c.deal_id, closed.c.won).subquery()
    rows = session.exec(
        select(per_deal.c.furthest, func.count(), func.sum(per_deal.c.won))
        .where(per_deal.c.furthest.is_not(None)).group_by(per_deal.c.furthest).order_by(per_deal.c.furthest)
    ).all()
    return [ReachedCount(int(i), int(n), int(w)) for i, n, w in rows]


def path_counts(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime, end: datetime,
                stage_order: list[str]) -> PathCounts:
    """Deals that changed stage in ``[start, end)``, and how many of them skipped a stage or moved back there.

    A change *skips* when it goes more than one stage forward in ``stage_order``, to ``won``
    from before the last stage, or (as a deal's first change) into any stage but the first;
    it *moves back* when it goes to an earlier stage. A deal *follows* the map when none of its
    changes in the period did either. A deal whose only change is its creation as won or lost
    has no path and is not counted.
    """
    _for_reports(session)
    index = {stage: i for i, stage in enumerate(stage_order)}
    rows, filled = _period_changes(scope_clauses(viewer, scope), since=start, until=end,
                                   neighbours={"previous": ("to_stage", True)})
    moves = select(rows.c.deal_id, rows.c.to_stage.label("to"), filled["previous"].label("previous")).subquery()
    before = case(index, value=moves.c.previous, else_=None)
    after = case(index, value=moves.c.to, else_=None)
    skip = or_(and_(moves.c.previous.is_(None), after > 0), after > before + 1,
               and_(moves.c.to == "won", before < len(stage_order) - 1))
    has_path = or_(moves.c.previous.is_not(None), moves.c.to.notin_(CLOSED_STAGES))  # type: ignore[attr-defined]
    per_deal = select(
        func.max(case((skip, 1), else_=0)).label("skipped"), func.max(case((after < before, 1), else_=0)).label("back"),
        func.max(case((has_path, 1), else_=0)).label("path"),
    ).group_by(moves.c.deal_id).subquery()
    deals, skipped, back, neither = session.exec(select(  # type: ignore[call-overload]
        func.count(), func.coalesce(func.sum(per_deal.c.skipped), 0), func.coalesce(func.sum(per_deal.c.back), 0),
        func.coalesce(func.sum(case((and_(per_deal.c.skipped == 0, per_deal.c.back == 0), 1), else_=0)), 0),
    ).where(per_deal.c.path == 1)).one()
    return PathCounts(int(deals), int(neither), int(skipped), int(back))


def lost_from_stage(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime,
                    end: datetime) -> dict[str, int]:
    """Deals lost in ``[start, end)`` per the stage they were lost from (the stage before the change to lost)."""
    _for_reports(session)
    rows, filled = _period_changes(scope_clauses(viewer, scope), since=start, until=end,
                                   neighbours={"previous": ("to_stage", True)})
    lost = select(filled["previous"].label("stage"), rows.c.deal_id).where(rows.c.to_stage == "lost").subquery()
    return {stage: int(n) for stage, n in session.exec(
        select(lost.c.stage, func.count()).where(lost.c.stage.is_not(None)).group_by(lost.c.stage)).all()}


def exit_criterion_outcomes(*, session: Session, viewer: Viewer, scope: ReportScope, start: datetime,
                            end: datetime) -> tuple[list[StageOutcome], list[CriterionOutcome]]:
    """For deals closed in ``[start, end)``: per stage they left, how many and how many were won; per exit
    criterion of that stage, how many had it confirmed (latest check at or before they last left the stage is
    "met") and how many of those were won. One statement each, over the closed deals' whole timelines."""
    _for_reports(session)
    closed = select(Deal.id.label("deal_id"), case((Deal.status == DealStatus.won, 1), else_=0).label("won")) \
        .where(*_closed_in(viewer, scope, start, end)).cte("closed")
    c = aliased(StageChange)
    timeline = select(c.deal_id, c.to_stage.label("stage"),
                      func.lead(c.changed_at).over(partition_by=c.deal_id, order_by=(c.changed_at, c.id))
                      .label("left_at")).join(closed, closed.c.deal_id == c.deal_id).subquery()
    exits = select(timeline.c.deal_id, timeline.c.stage, func.max(timeline.c.left_at).label("left_at")) \
        .where(timeline.c.stage.notin_(CLOSED_STAGES), timeline.c.left_at.is_not(None)) \
        .group_by(timeline.c.deal_id, timeline.c.stage).cte("exits").prefix_with("MATERIALIZED")
    # One statement, the exits computed once: stage totals ride along as rows with criterion "#" (keys are slugs).
    stages = select(exits.c.stage, literal("#"), func.count(), func.sum(closed.c.won)) \
        .join(closed, closed.c.deal_id == exits.c.deal_id).group_by(exits.c.stage)
    k = aliased(CriterionCheck)
    latest = select(k.deal_id, k.stage_key, k.criterion_key, k.met, func.row_number().over(
        partition_by=(k.deal_id, k.stage_key, k.criterion_key), order_by=(k.checked_at.desc(), k.id.desc())).label("rn")) \
        .join(exits, and_(exits.c.deal_id == k.deal_id, exits.c.stage == k.stage_key, k.checked_at <= exits.c.left_at)) \
        .subquery()
    criteria = select(latest.c.stage_key, latest.c.criterion_key, func.count(), func.sum(closed.c.won)) \
        .join(closed, closed.c.deal_id == latest.c.deal_id) \
        .where(latest.c.rn == 1, latest.c.met == True) \
        .group_by(latest.c.stage_key, latest.c.criterion_key)  # noqa: E712
    rows = sorted(session.exec(union_all(stages, criteria)).all(), key=lambda r: (r[0], r[1]))
    return ([StageOutcome(s, int(n), int(w)) for s, key, n, w in rows if key == "#"],
            [CriterionOutcome(s, key, int(n), int(w)) for s, key, n, w in rows if key != "#"])


@dataclass(frozen=True)
class WarningRow:
    """An open deal with at least one warning, and which ones apply."""

    deal_id: int
    external_id: str
    name: str
    owner_name: str
    stage_key: str
    amount: Decimal
    days_in_stage: float
    close_date: date | None
    days_quiet: float  # since its last activity, or since it was created when it has none
    has_activity: bool
    stalled: bool
    past_close: bool
    quiet: bool
    unmet_earlier: bool
    pushes: int = 0  # times the recorded close date moved later
    pushed: bool = False


def deal_warnings(*, session: Session, viewer: Viewer, scope: ReportScope, now: datetime, today: date,
                  stall_days: dict[str, float], quiet_days: int, earlier_criteria: dict[str, list[tuple[str, str]]],
                  pushed_times: int, limit: int = 20) -> tuple[int, list[WarningRow]]:
    """Open deals (in their stage since a known date) with a warning, most warnings then largest first:
    (how many in all, the first ``limit``).

    Warnings: *stalled*, longer in its stage than ``stall_days[stage]``; *past close*, a close date before
    ``today``; *quiet*, no activity for ``quiet_days`` (counted from creation when it has none); *unmet
    earlier*, an exit criterion of an earlier stage (``earlier_criteria[stage]``: (stage, criterion) pairs)
    whose latest check is not "met"; *pushed*, a recorded close date moved later ``pushed_times`` times or more.
    One statement: activity, checks and close-date history are aggregated per deal, not probed.
    """
    _for_reports(session)
    clauses = [Deal.status == DealStatus.open, _dated(), *scope_clauses(viewer, scope)]
    in_scope = select(Deal.id).where(*clauses)
    last = (select(Activity.deal_id, func.max(Activity.occurred_at).label("at"))
            .where(Activity.deal_id.in_(in_scope)).group_by(Activity.deal_id).subquery())  # type: ignore[attr-defined]
    pairs = sorted({pair for wanted in earlier_criteria.values() for pair in wanted})
    latest = (select(func.max(CriterionCheck.id)).where(CriterionCheck.deal_id.in_(in_scope))  # type: ignore[attr-defined]
              .group_by(CriterionCheck.deal_id, CriterionCheck.stage_key, CriterionCheck.criterion_key))
    met = (select(CriterionCheck.deal_id, CriterionCheck.stage_key, CriterionCheck.criterion_key)
           .where(CriterionCheck.id.in_(latest), CriterionCheck.met == True,  # type: ignore[attr-defined]  # noqa: E712
                  tuple_(CriterionCheck.stage_key, CriterionCheck.criterion_key).in_(pairs) if pairs else literal(False))
           .subquery())
    met_before = []  # per deal: how many of its current stage's earlier criteria are met
    for stage, wanted in earlier_criteria.items():
        if wanted:
            met_before.append((and_(Deal.stage_key == stage,
                                    tuple_(met.c.stage_key, met.c.criterion_key).in_(wanted)), 1))
    met_counts = (select(met.c.deal_id, func.sum(case(*met_before, else_=0) if met_before else literal(0)).label("n"))
                  .join(Deal, Deal.id == met.c.deal_id).group_by(met.c.deal_id).subquery())
    required = case({s: len(w) for s, w in earlier_criteria.items() if w}, value=Deal.stage_key, else_=0) \
        if any(earlier_criteria.values()) else literal(0)
    quiet_since = func.coalesce(last.c.at, Deal.created_at)
    pushes = close_date_pushes(in_scope)
    flags = {
        "stalled": _over_expected({s: to_utc(now) - timedelta(days=d) for s, d in stall_days.items()})
        if stall_days else literal(False),
        "past_close": and_(Deal.close_date.is_not(None), Deal.close_date < today),  # type: ignore[union-attr]
        "quiet": quiet_since < _at(now - timedelta(days=quiet_days)),
        "unmet": func.coalesce(met_counts.c.n, 0) < required,
        "pushed": func.coalesce(pushes.c.pushes, 0) >= pushed_times,
    }
    as_int = {name: case((flag, 1), else_=0) for name, flag in flags.items()}
    score = sum(as_int.values(), literal(0))
    rows = session.exec(
        select(Deal.id, Deal.external_id, Deal.name, Rep.name, Deal.stage_key, Deal.amount,
               epoch_days(_at(now)) - epoch_days(Deal.stage_entered_at), Deal.close_date,
               epoch_days(_at(now)) - epoch_days(quiet_since), last.c.at.is_not(None), *as_int.values(),
               func.coalesce(pushes.c.pushes, 0), func.count().over())
        .join(Rep, Rep.id == Deal.owner_id).outerjoin(last, last.c.deal_id == Deal.id)
        .outerjoin(met_counts, met_counts.c.deal_id == Deal.id).outerjoin(pushes, pushes.c.deal_id == Deal.id)
        .where(*clauses, or_(*flags.values()))
        .order_by(score.desc(), Deal.amount.desc(), Deal.id).limit(limit)
    ).all()
    total = int(rows[0][-1]) if rows else 0
    return total, [WarningRow(*row[:5], Decimal(row[5]), float(row[6]), row[7], float(row[8]), bool(row[9]),
                              *(bool(v) for v in row[10:14]), int(row[15]), bool(row[14])) for row in rows]


def reps_named(*, session: Session, text: str) -> list[Rep]:
    """Reps whose email or Slack id is ``text``, else whose full or first name it is (ignoring case)."""
    wanted = text.strip().lower()
    exact = session.exec(select(Rep).where(
        (func.lower(Rep.email) == wanted) | (Rep.slack_user_id == text.strip()) | (func.lower(Rep.name) == wanted)
    ).order_by(Rep.id)).scalars().all()
    if exact:
        return list(exact)
    pattern = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %"
    first_name = func.lower(Rep.name).like(pattern, escape="\\")
    return list(session.exec(select(Rep).where(first_name).order_by(Rep.id)).scalars().all())


def team_named(*, session: Session, text: str) -> Team | None:
    """A team by name (ignoring case, with or without a leading "team") or by id."""
    wanted = text.strip().lower()
    candidates = {wanted, wanted.removeprefix("team ").strip(), f"team {wanted}"}
    query = select(Team).where(func.lower(Team.name).in_(candidates))
    if wanted.isdigit():
        query = select(Team).where((Team.id == int(wanted)) | func.lower(Team.name).in_(candidates))
    return session.exec(query.order_by(Team.id)).scalars().first()
