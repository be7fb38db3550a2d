"""Bulk reads and writes for CSV imports: one statement per batch, never one ORM object per row.

Writes use the dialect's ``INSERT ... ON CONFLICT`` (SQLite and PostgreSQL both have it) with
plain dicts, so a batch of thousands of rows is a handful of round trips; see ``_executemany``
for the SQLite fast path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.sql import Executable
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.models import CriterionCheck, Deal, FollowUp, Rep, StageChange, Team

DEAL_TABLE: Table = Deal.__table__  # type: ignore[attr-defined]
REP_TABLE: Table = Rep.__table__  # type: ignore[attr-defined]
TEAM_TABLE: Table = Team.__table__  # type: ignore[attr-defined]
CHANGE_TABLE: Table = StageChange.__table__  # type: ignore[attr-defined]
CHECK_TABLE: Table = CriterionCheck.__table__  # type: ignore[attr-defined]
FOLLOWUP_TABLE: Table = FollowUp.__table__  # type: ignore[attr-defined]

# Deal columns an import sets; ``id`` and ``external_id`` identify the row.
DEAL_FIELDS = ("name", "account", "owner_id", "stage_key", "amount", "status", "created_at", "stage_entered_at",
               "close_date", "closed_at", "next_step")
REP_FIELDS = ("slack_user_id", "email", "name", "role", "team_id", "timezone")
EVENT_KEY = ("deal_id", "from_stage", "to_stage", "changed_at")


def _insert(session: Session, table: Table):
    """The dialect's INSERT, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy stores for an aware datetime on SQLite ('2026-01-02 03:04:05.000007', UTC),
    built by C code: SQLAlchemy's own formatting costs more than the insert itself."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the tables store aware UTC datetimes")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _executemany(session: Session, stmt: Executable, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Run ``stmt`` once per row (all rows with the same keys).

    On SQLite the values go to the driver's executemany directly: the statement is compiled once,
    and values are converted per column (datetimes as above, other types by SQLAlchemy's own bind
    processors): a fraction of the time SQLAlchemy's per-row parameter handling takes.
    Other databases take the ordinary Core executemany.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        session.execute(stmt, list(rows))
        return
    compiled = stmt.compile(dialect=dialect, column_keys=list(rows[0]))
    columns = []
    for key in compiled.positiontup or ():
        values = [row[key] for row in rows]
        column_type = table.c[key].type
        if isinstance(column_type, UTCDateTime):
            # Converted once per distinct value: a batch repeats the import's own time on many rows.
            texts = {value: _sqlite_datetime(value) for value in set(values)}
            values = [texts[value] for value in values]
        elif (process := column_type.dialect_impl(dialect).bind_processor(dialect)) is not None:
            values = [process(value) for value in values]
        columns.append(values)
    connection.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


def insert_rows(*, session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Plain executemany insert of ``rows`` (dicts of column values)."""
    _executemany(session, table.insert(), table, rows)


# --- reps and teams -------------------------------------------------------------------------------------

def rep_directory(*, session: Session) -> list[Row]:
    """Every rep's identifying and importable columns (reps are few: thousands, not millions)."""
    return list(session.execute(select(REP_TABLE.c.id, REP_TABLE.c.manager_id,
                                       *(REP_TABLE.c[name] for name in REP_FIELDS))).all())


def team_ids(*, session: Session) -> dict[str, int]:
    return {name: id_ for id_, name in session.execute(select(TEAM_TABLE.c.id, TEAM_TABLE.c.name)).all()}


def create_teams(*, session: Session, names: Iterable[str]) -> None:
    rows = [{"name": name} for name in names]
    if rows:
        session.execute(_insert(session, TEAM_TABLE).on_conflict_do_nothing(index_elements=["name"]), rows)


def upsert_reps(*, session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert or update reps keyed by email (as spelled in the database); returns email -> id."""
    if not rows:
        return {}
    stmt = _insert(session, REP_TABLE)
    stmt = stmt.on_conflict_do_update(
        index_elements=["email"], set_={name: stmt.excluded[name] for name in REP_FIELDS if name != "email"}
    ).returning(REP_TABLE.c.email, REP_TABLE.c.id)
    return {email: id_ for email, id_ in session.execute(stmt, rows).all()}


def set_rep_managers(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """``rows`` of {"rid": rep id, "manager_id": id or None}."""
    if rows:
        session.execute(update(REP_TABLE).where(REP_TABLE.c.id == bindparam("rid"))
                        .values(manager_id=bindparam("manager_id")), rows)


# --- deals ----------------------------------------------------------------------------------------------

def deals_by_external_id(*, session: Session, external_ids: Sequence[str]) -> dict[str, SimpleNamespace]:
    """The current state of the deals with these external ids (a batch: one query).

    Plain objects rather than result rows: the importer reads each attribute several times, and a
    row's attribute access costs several times more.
    """
    if not external_ids:
        return {}
    rows = session.execute(
        select(DEAL_TABLE.c.id, DEAL_TABLE.c.external_id, *(DEAL_TABLE.c[name] for name in DEAL_FIELDS))
        .where(DEAL_TABLE.c.external_id.in_(list(external_ids)))
    ).all()
    return {row.external_id: SimpleNamespace(**row._asdict()) for row in rows}


def deals_by_id(*, session: Session, deal_ids: Sequence[int]) -> dict[int, Row]:
    rows = session.execute(
        select(DEAL_TABLE.c.id, DEAL_TABLE.c.external_id, *(DEAL_TABLE.c[name] for name in DEAL_FIELDS))
        .where(DEAL_TABLE.c.id.in_(list(deal_ids)))
    ).all()
    return {row.id: row for row in rows}


def upsert_deals(*, session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert or update deals keyed by external id; returns external id -> id."""
    if not rows:
        return {}
    stmt = _insert(session, DEAL_TABLE)
    stmt = stmt.on_conflict_do_update(
        index_elements=["external_id"], set_={name: stmt.excluded[name] for name in DEAL_FIELDS}
    )
    _executemany(session, stmt, DEAL_TABLE, rows)
    return deal_ids(session=session, external_ids=[row["external_id"] for row in rows])


def deal_ids(*, session: Session, external_ids: Sequence[str]) -> dict[str, int]:
    """External id -> id of the deals with these external ids (a batch: one query)."""
    if not external_ids:
        return {}
    rows = session.execute(select(DEAL_TABLE.c.external_id, DEAL_TABLE.c.id)
                           .where(DEAL_TABLE.c.external_id.in_(list(external_ids)))).all()
    return dict(rows)  # type: ignore[arg-type]


def update_deal_states(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """``rows`` of {"did", "stage_key", "status", "stage_entered_at", "closed_at"}: the derived current state."""
    if rows:
        session.execute(
            update(DEAL_TABLE).where(DEAL_TABLE.c.id == bindparam("did")).values(
                stage_key=bindparam("stage_key"), status=bindparam("status"),
                stage_entered_at=bindparam("stage_entered_at"), closed_at=bindparam("closed_at"),
            ),
            rows,
        )


def latest_criterion_states(*, session: Session, deal_ids: Sequence[int]) -> dict[tuple[int, str, str], bool]:
    """(deal, stage, criterion) -> met, per the newest check of each."""
    if not deal_ids:
        return {}
    newest = (
        select(func.max(CHECK_TABLE.c.id))
        .where(CHECK_TABLE.c.deal_id.in_(list(deal_ids)))
        .group_by(CHECK_TABLE.c.deal_id, CHECK_TABLE.c.stage_key, CHECK_TABLE.c.criterion_key)
    )
    rows = session.execute(
        select(CHECK_TABLE.c.deal_id, CHECK_TABLE.c.stage_key, CHECK_TABLE.c.criterion_key, CHECK_TABLE.c.met)
        .where(CHECK_TABLE.c.id.in_(newest))
    ).all()
    return {(d, s, c): met for d, s, c, met in rows}


def followup_dues(*, session: Session, deal_ids: Sequence[int]) -> set[tuple[int, datetime]]:
    """(deal, due) of every follow-up of these deals, open or done."""
    if not deal_ids:
        return set()
    rows = session.execute(
        select(FOLLOWUP_TABLE.c.deal_id, FOLLOWUP_TABLE.c.due_at).where(FOLLOWUP_TABLE.c.deal_id.in_(list(deal_ids)))
    ).all()
    return {(deal_id, due) for deal_id, due in rows}


# --- stage history --------------------------------------------------------------------------------------

def stage_changes(*, session: Session, deal_ids: Sequence[int]) -> dict[int, list[Row]]:
    """Each deal's timeline, in order (changed_at, then id)."""
    timelines: dict[int, list[Row]] = {deal_id: [] for deal_id in deal_ids}
    if not deal_ids:
        return timelines
    rows = session.execute(
        select(CHANGE_TABLE.c.id, *(CHANGE_TABLE.c[name] for name in EVENT_KEY), CHANGE_TABLE.c.source)
        .where(CHANGE_TABLE.c.deal_id.in_(list(deal_ids)))
        .order_by(CHANGE_TABLE.c.deal_id, CHANGE_TABLE.c.changed_at, CHANGE_TABLE.c.id)
    ).all()
    for row in rows:
        timelines[row.deal_id].append(row)
    return timelines


def delete_stage_changes(*, session: Session, deal_ids: Sequence[int] = (), change_ids: Sequence[int] = (),
                         source: str | None = None) -> None:
    """Delete changes by id, or those of ``source`` on the given deals."""
    if change_ids:
        session.execute(delete(CHANGE_TABLE).where(CHANGE_TABLE.c.id.in_(list(change_ids))))
    if deal_ids and source:
        session.execute(delete(CHANGE_TABLE).where(CHANGE_TABLE.c.deal_id.in_(list(deal_ids)),
                                                   CHANGE_TABLE.c.source == source))


def insert_stage_changes(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert changes, skipping any identical event already recorded (the unique constraint)."""
    _executemany(session, _insert(session, CHANGE_TABLE).on_conflict_do_nothing(index_elements=list(EVENT_KEY)),
                 CHANGE_TABLE, rows)
