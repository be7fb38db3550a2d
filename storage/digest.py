"""Queries behind the daily digest, and the delivery records that make it exactly-once.

Reads take a set of owners and return only the rows a digest lists (follow-ups due,
deals over their stage's time, deals past their close date, stage moves), in a few
indexed queries per batch of people, never every deal. Closed deals never appear.

Delivery records: a ``DigestDelivery`` row is inserted as ``reserved`` *before* a
message is sent; the unique constraint on (rep, local date, kind) makes the insert
fail for every run but the first, whatever process it is in. It is completed with
the Slack timestamp after the send, or marked ``failed``. A row left ``reserved``
means a run stopped between the two: it blocks a second message that day, and the
next run reports it once (marking it ``unconfirmed``).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import String, and_, exists, false, func, or_, true, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from storage.access import LIVE_DEAL
from storage.models import CriterionCheck, Deal, DealStatus, DigestDelivery, FollowUp, Rep, StageChange, Team

# Owners per IN (...) list: far below every backend's bound-parameter limit.
CHUNK = 500

# The deal columns a digest shows; rows, not ORM objects, because thousands are read per run.
# The status as its plain text: the enum conversion costs more than it gives here.
_DEAL_COLUMNS = (Deal.id, Deal.external_id, Deal.name, Deal.account, Deal.stage_key, Deal.owner_id, Deal.amount,
                 Deal.close_date, type_coerce(Deal.status, String).label("status"))
# Separates criterion keys in ``met_criteria``; keys are slugs, so it never occurs in one.
MET_SEPARATOR = ","


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class _without_index(FunctionElement):
    """A column SQLite must not pick an index for (unary ``+``, its documented hint); the column elsewhere.

    With no table statistics, SQLite drives "open follow-ups of these owners" from the
    company-wide open-follow-up index; this makes it start from the owners' deals instead.
    """

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_without_index)
def _column_itself(element, compiler, **kw) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(_without_index, "sqlite")
def _unary_plus(element, compiler, **kw) -> str:
    return "+" + compiler.process(next(iter(element.clauses)), **kw)


@lru_cache(maxsize=32)
def _record(columns: tuple[str, ...]) -> type:
    return namedtuple("Record", columns)  # type: ignore[misc]  # noqa: PYI024


def _rows(session: Session, statement) -> list[tuple]:
    """Run a read of plain columns at the Core level, as named tuples.

    The ORM's row handling costs more than the query here, and reading a column of a
    Core ``Row`` by name costs about ten times that of a named tuple: the digest reads
    a dozen columns of each of tens of thousands of rows.
    """
    result = session.connection().execute(statement)
    return list(map(_record(tuple(result.keys()))._make, result.all()))


def _open_followup():
    return _without_index(FollowUp.done_at).is_(None)


def _met_criteria_column():
    """Column ``met_criteria``: the criteria of the deal's current stage whose newest check is met, joined by
    ``MET_SEPARATOR`` (None when none). The database computes it from ``ix_criterioncheck_deal_criterion``
    alone (the index carries ``met``), so no check rows are read or sent."""
    newer = aliased(CriterionCheck)
    newest = ~exists().where(newer.deal_id == CriterionCheck.deal_id, newer.stage_key == CriterionCheck.stage_key,
                             newer.criterion_key == CriterionCheck.criterion_key, newer.id > CriterionCheck.id)
    return (
        select(func.aggregate_strings(CriterionCheck.criterion_key, MET_SEPARATOR))
        .where(CriterionCheck.deal_id == Deal.id, CriterionCheck.stage_key == Deal.stage_key,
               CriterionCheck.met == true(), newest)
        .scalar_subquery().label("met_criteria")
    )


# Built once: the same for every query, and building it costs more than running a small query.
_MET_CRITERIA = _met_criteria_column()


def _unscheduled_since(scheduled_from: datetime | None):
    """The deal has no open follow-up due at or after ``scheduled_from`` (always true for None)."""
    if scheduled_from is None:
        return true()
    return ~exists().where(FollowUp.deal_id == Deal.id, _open_followup(), FollowUp.due_at >= scheduled_from)


def people(*, session: Session) -> list[tuple]:
    """Everyone who may get a digest, by id: rows of the ``Rep`` columns a digest's recipient reads."""
    return _rows(session, select(Rep.id, Rep.name, Rep.email, Rep.slack_user_id, Rep.timezone, Rep.role, Rep.team_id)
                 .order_by(Rep.id))  # type: ignore[arg-type]


def team_summary_days(*, session: Session) -> dict[int, str | None]:
    """Each team's chosen weekday for the manager's weekly summary ("mon".."sun"), None where it chose none."""
    return {team_id: day for team_id, day in session.exec(select(Team.id, Team.summary_day)).all()}


def delivered(*, session: Session, rep_ids: Iterable[int], local_date: date) -> set[tuple[int, str]]:
    """(rep id, kind) pairs that already have a delivery record of any status for ``local_date``."""
    found: set[tuple[int, str]] = set()
    for chunk in _chunks(rep_ids):
        rows = session.exec(
            select(DigestDelivery.rep_id, DigestDelivery.kind)
            .where(DigestDelivery.rep_id.in_(chunk), DigestDelivery.local_date == local_date)  # type: ignore[attr-defined]
        ).all()
        found.update((rep_id, kind) for rep_id, kind in rows)
    return found


def followups_due_before(*, session: Session, owner_ids: Iterable[int], until: datetime) -> list[tuple]:
    """Open follow-ups on open deals of these owners due before ``until``, oldest first.

    Each row has the follow-up's ``id, deal_id, due_at, note``, the deal's columns
    prefixed ``deal_`` (``deal_external_id``, ``deal_owner_id``...) and ``met_criteria``.
    """
    columns = [FollowUp.id, FollowUp.deal_id, FollowUp.due_at, FollowUp.note] + [
        c.label(f"deal_{c.key}") for c in _DEAL_COLUMNS[1:]  # type: ignore[attr-defined]
    ] + [_MET_CRITERIA]
    rows: list[tuple] = []
    for chunk in _chunks(owner_ids):
        rows += _rows(session,
            select(*columns)
            .join(Deal, Deal.id == FollowUp.deal_id)
            .where(Deal.owner_id.in_(chunk), Deal.status == DealStatus.open, LIVE_DEAL,  # type: ignore[attr-defined]
                   _open_followup(), FollowUp.due_at < until)
        )
    rows.sort(key=lambda r: (r.due_at, r.id))
    return rows


def open_followup_counts(*, session: Session, owner_ids: Iterable[int], before: datetime) -> list[tuple]:
    """Per owner with any, their open follow-ups on open deals due before ``before``: ``owner_id, due_count, oldest``
    (the earliest due time)."""
    rows: list[tuple] = []
    for chunk in _chunks(owner_ids):
        rows += _rows(session,
            select(Deal.owner_id, func.count(FollowUp.id).label("due_count"), func.min(FollowUp.due_at).label("oldest"))
            .join(Deal, Deal.id == FollowUp.deal_id)
            .where(Deal.owner_id.in_(chunk), Deal.status == DealStatus.open, LIVE_DEAL,  # type: ignore[attr-defined]
                   _open_followup(), FollowUp.due_at < before)
            .group_by(Deal.owner_id)
        )
    return rows


def stuck_deals(*, session: Session, owner_ids: Iterable[int], entered_by: dict[str, datetime],
                unless_scheduled_from: datetime | None = None, with_met_criteria: bool = False) -> list[tuple]:
    """Open deals that entered their stage at or before that stage's cutoff in ``entered_by``.

    Rows: the deal's columns and ``stage_entered_at`` (and ``met_criteria`` when asked).

    Args:
        entered_by: stage key -> latest stage entry time that makes a deal in that stage overdue.
        unless_scheduled_from: leave out deals with an open follow-up due at or after this time
            (the rep has scheduled the next touch, e.g. by snoozing the item).
    """
    if not entered_by:
        return []
    over = or_(*(and_(Deal.stage_key == key, Deal.stage_entered_at <= cutoff) for key, cutoff in entered_by.items()))
    columns = [*_DEAL_COLUMNS, Deal.stage_entered_at] + ([_MET_CRITERIA] if with_met_criteria else [])
    rows: list[tuple] = []
    for chunk in _chunks(owner_ids):
        rows += _rows(session,
            select(*columns).where(Deal.owner_id.in_(chunk), Deal.status == DealStatus.open, LIVE_DEAL, over,  # type: ignore[attr-defined]
                                   _unscheduled_since(unless_scheduled_from))
        )
    return rows


def deals_past_close(*, session: Session, owner_ids: Iterable[int], before: date,
                     unless_scheduled_from: datetime | None = None) -> list[tuple]:
    """Open deals whose close date is before ``before``, earliest first: the deal's columns and ``met_criteria``."""
    rows: list[tuple] = []
    for chunk in _chunks(owner_ids):
        rows += _rows(session, select(*_DEAL_COLUMNS, _MET_CRITERIA).where(
            Deal.owner_id.in_(chunk), Deal.status == DealStatus.open, LIVE_DEAL, Deal.close_date < before,  # type: ignore[attr-defined]
            _unscheduled_since(unless_scheduled_from),
        ))
    rows.sort(key=lambda r: (r.close_date, r.id))
    return rows


def stage_moves(*, session: Session, owner_ids: Iterable[int], since: datetime, until: datetime) -> list[tuple]:
    """Stage moves and closings (not creations) of these owners' deals in (since, until], oldest first.

    Rows: ``changed_at, from_stage, to_stage`` and the deal's columns prefixed ``deal_``.
    """
    columns = [StageChange.changed_at, StageChange.from_stage, StageChange.to_stage] + [
        c.label(f"deal_{c.key}") for c in _DEAL_COLUMNS  # type: ignore[attr-defined]
    ]
    rows: list[tuple] = []
    for chunk in _chunks(owner_ids):
        rows += _rows(session,
            select(*columns)
            .join(Deal, Deal.id == StageChange.deal_id)
            .where(Deal.owner_id.in_(chunk), StageChange.from_stage != None,  # type: ignore[attr-defined]  # noqa: E711
                   StageChange.changed_at > since, StageChange.changed_at <= until)
        )
    rows.sort(key=lambda r: (r.changed_at, r.deal_id))
    return rows


def last_digest_at(*, session: Session, rep_id: int, kind: str, before: date) -> datetime | None:
    """When this person's latest earlier digest of ``kind`` was computed, if one was sent or recorded empty.

    A failed or unconfirmed one does not count: its reader may never have seen it.
    """
    return session.exec(
        select(DigestDelivery.reserved_at)
        .where(DigestDelivery.rep_id == rep_id, DigestDelivery.kind == kind, DigestDelivery.local_date < before,
               DigestDelivery.status.in_(("sent", "empty")))  # type: ignore[attr-defined]
        .order_by(DigestDelivery.local_date.desc()).limit(1)  # type: ignore[attr-defined]
    ).first()


def reserve(*, session: Session, rep_id: int, local_date: date, kind: str, now: datetime,
            status: str = "reserved") -> DigestDelivery | None:
    """Insert the person's delivery record for the day; None when another run already has one.

    The insert runs in a SAVEPOINT so a conflict rolls back only itself. The caller
    should commit at once (a fresh ``session_scope`` per reservation does): until then a
    concurrent run's insert on PostgreSQL waits on this row rather than failing.

    Args:
        status: ``reserved`` before a send, or ``empty`` when there is nothing to send.
    """
    row = DigestDelivery(rep_id=rep_id, local_date=local_date, kind=kind, status=status, reserved_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def complete(*, session: Session, delivery_id: int, channel: str, ts: str, now: datetime) -> None:
    """Mark a reserved delivery sent, with where and which message."""
    session.exec(
        update(DigestDelivery).where(DigestDelivery.id == delivery_id)  # type: ignore[arg-type]
        .values(status="sent", sent_at=now, slack_channel=channel, slack_ts=ts, error=None)
    )


def fail(*, session: Session, delivery_id: int, error: str) -> None:
    """Mark a reserved delivery failed; it stays for the day, so nothing is sent twice."""
    session.exec(
        update(DigestDelivery).where(DigestDelivery.id == delivery_id)  # type: ignore[arg-type]
        .values(status="failed", error=error[:2000])
    )


@dataclass(frozen=True)
class StaleReservation:
    """A delivery reserved but never completed: the run stopped between reserving and recording the send."""

    delivery_id: int
    rep_id: int
    rep_name: str
    local_date: date
    kind: str
    reserved_at: datetime


def claim_stale_reservations(*, session: Session, reserved_before: datetime,
                              reserved_since: datetime) -> list[StaleReservation]:
    """Reservations still ``reserved`` that were made in [since, before), marked ``unconfirmed`` so that
    exactly one run reports each: the crashed sends, whose message may or may not have gone out."""
    claimed = session.exec(
        update(DigestDelivery)
        .where(DigestDelivery.status == "reserved", DigestDelivery.reserved_at < reserved_before,  # type: ignore[arg-type]
               DigestDelivery.reserved_at >= reserved_since)
        .values(status="unconfirmed", error="run stopped between reserving and recording the send")
        .returning(DigestDelivery.id)
    ).all()
    if not claimed:
        return []
    rows = session.exec(
        select(DigestDelivery.id, DigestDelivery.rep_id, Rep.name, DigestDelivery.local_date, DigestDelivery.kind,
               DigestDelivery.reserved_at)
        .join(Rep, Rep.id == DigestDelivery.rep_id)
        .where(DigestDelivery.id.in_([row[0] for row in claimed]))  # type: ignore[attr-defined]
        .order_by(DigestDelivery.reserved_at, DigestDelivery.id)
    ).all()
    return [StaleReservation(*row) for row in rows]


def deliveries(*, session: Session, local_date: date | None = None, rep_ids: Sequence[int] | None = None) -> list[DigestDelivery]:
    """Delivery records, for reports and tests, optionally of one day and some people."""
    query = select(DigestDelivery)
    if local_date is not None:
        query = query.where(DigestDelivery.local_date == local_date)
    if rep_ids is not None:
        query = query.where(DigestDelivery.rep_id.in_(list(rep_ids)) if rep_ids else false())  # type: ignore[attr-defined]
    return list(session.exec(query.order_by(DigestDelivery.id)).all())
