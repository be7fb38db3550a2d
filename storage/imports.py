"""Bulk reads and writes for CSV imports: one statement per batch, never one ORM object per row.

Writes use the dialect's ``INSERT ... ON CONFLICT`` (SQLite and PostgreSQL both have it) with
plain dicts, so a batch of thousands of rows is a handful of round trips; see ``_executemany``
for the SQLite fast path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import Numeric, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.exc import SQLAlchemyError
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
               "close_date", "closed_at", "next_step", "currency", "undated", "forecast_category")
REP_FIELDS = ("slack_user_id", "email", "name", "role", "team_id", "timezone", "crm_id")
EVENT_KEY = ("deal_id", "from_stage", "to_stage", "changed_at")
UPSERT_COLUMNS = ("external_id", *DEAL_FIELDS)
CHANGE_COLUMNS = (*EVENT_KEY, "source")


def _insert(session: Session, table: Table):
    """The dialect's INSERT, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Pieces of the stored text of datetimes: put together in a third of the time datetime.isoformat takes
# (most of an import's formatting: a few instants per row, few of them alike).
_DAY_TEXTS: dict[date, str] = {}
_DAY_TEXTS_MAX = 50_000
_HOUR_MINUTE_TEXTS = [f" {hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]
_SECOND_TEXTS = [f"{second:02d}." for second in range(60)]


def _sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy stores for an aware datetime on SQLite ('2026-01-02 03:04:05.000007', UTC),
    without SQLAlchemy's own formatting, which costs more than the insert itself."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the tables store aware UTC datetimes")
        value = value.astimezone(UTC)
    day = value.date()
    text = _DAY_TEXTS.get(day)
    if text is None:
        if len(_DAY_TEXTS) >= _DAY_TEXTS_MAX:
            _DAY_TEXTS.clear()
        text = _DAY_TEXTS[day] = day.isoformat()
    micro = value.microsecond
    return (text + _HOUR_MINUTE_TEXTS[value.hour * 60 + value.minute] + _SECOND_TEXTS[value.second]
            + (f"{micro:06d}" if micro else "000000"))


# (statement name, dialect, columns) -> SQL text: compiled once per process, not per batch.
_COMPILED: dict[tuple[str, str, tuple[str, ...]], str] = {}
# (dialect, table, columns) -> each column's encoder (see ``column_encoders``).
_ENCODERS: dict[tuple[str, str, tuple[str, ...]], tuple[Callable[[Sequence], list] | None, ...]] = {}


def _sqlite_datetimes(values: Sequence) -> list:
    unique = set(values)  # instants recur (a stage entry is also its change's time)
    unique.discard(None)
    texts = {value: _sqlite_datetime(value) for value in unique}
    return list(map(texts.get, values))


def _converter(column_type: Any, dialect: Any) -> Callable[[Sequence], list] | None:
    """What turns one column's values into what the SQLite driver stores, or None to pass them as they are."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetimes
    if (convert := column_type.dialect_impl(dialect).bind_processor(dialect)) is None:
        return None
    if isinstance(column_type, Numeric):
        return lambda values: list(map(convert, values))  # amounts rarely repeat
    # Dates, statuses and flags repeat across a batch (the import's own time on many rows): convert each once.
    return lambda values: list(map({value: convert(value) for value in set(values)}.__getitem__, values))


def column_encoders(dialect: Any, table: Table, columns: Sequence[str]) -> tuple[Callable[[Sequence], list] | None, ...]:
    """Per column of ``table``, what turns a sequence of its values into what this database's driver
    takes (None: as they are), needing no connection: an import's reader process encodes rows ahead
    of the writer. On SQLite: datetimes as the text SQLAlchemy stores (built by C code, see
    ``_sqlite_datetime``), other types by SQLAlchemy's own bind processors, a column at a time: a
    fraction of the time SQLAlchemy's per-row parameter handling takes. Elsewhere SQLAlchemy's
    executemany converts the values itself: all None.
    """
    key = (dialect.name, table.name, tuple(columns))
    if key not in _ENCODERS:
        _ENCODERS[key] = (tuple(_converter(table.c[column].type, dialect) for column in columns)
                          if dialect.name == "sqlite" else (None,) * len(columns))
    return _ENCODERS[key]


def encode_columns(encoders: Sequence[Callable | None], columns: Sequence[Sequence]) -> list[Sequence]:
    """``columns`` (a sequence of values each) as the driver takes them (see ``column_encoders``).

    Columns sharing an encoder are encoded in one call: an instant recurs across them (a stage entry
    is also its change's time) and is formatted once.
    """
    columns = list(columns)
    shared: dict[Callable, list[int]] = {}
    for i, encode in enumerate(encoders):
        if encode is not None:
            shared.setdefault(encode, []).append(i)
    for encode, indexes in shared.items():
        values = encode(list(chain.from_iterable(columns[i] for i in indexes)))
        start = 0
        for i in indexes:
            columns[i], start = values[start:start + len(columns[i])], start + len(columns[i])
    return columns


def encode_rows(encoders: Sequence[Callable | None], rows: Sequence[tuple]) -> list[tuple]:
    """``rows`` as the driver takes them (see ``column_encoders``)."""
    if not rows or not any(encoders):
        return list(rows)
    return list(zip(*encode_columns(encoders, list(zip(*rows, strict=True))), strict=True))


def _sqlite_statement(dialect: Any, name: str, make_stmt: Callable[[], Executable], columns: Sequence[str]) -> str:
    """The SQL of ``make_stmt()`` taking ``columns`` in order; compiled once."""
    key = (name, dialect.name, tuple(columns))
    if key not in _COMPILED:
        compiled = make_stmt().compile(dialect=dialect, column_keys=list(columns))
        order = list(compiled.positiontup or ())
        if order != list(columns):
            raise ValueError(f"{name}: parameters come in the order {order}, not {list(columns)}")
        _COMPILED[key] = compiled.string
    return _COMPILED[key]


def _sqlite_variable_limit(connection: Any) -> int:
    """How many ``?`` values one SQLite statement takes (32,766 unless the library was built otherwise)."""
    return connection.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class Columns(list):
    """Rows given a sequence per column (each of one length, one value per row), which the writers here
    take as well as tuples: flattened into a statement's values without a tuple per row."""

    def rows(self) -> list[tuple]:
        return list(zip(*self, strict=True))


def _row_count(values: Sequence[tuple] | Columns) -> int:
    if isinstance(values, Columns):
        return len(values[0]) if values else 0
    return len(values)


# (statement written for one row, rows) -> the statement for that many rows: built (and hashed, for the
# driver's statement cache) once.
_SQLITE_MANY: dict[tuple[str, int], str] = {}


def _sqlite_many(connection: Any, sql: str, width: int, values: Sequence[tuple] | Columns) -> Iterator[Any]:
    """Run ``sql``, written for one row of ``width`` values, for all of ``values``, in statements of many
    rows (VALUES (...), (...), ...): cheaper than the driver's executemany, which runs the statement
    once per row (a third less for criterion checks); rows get their ids in order all the same.
    Yields the driver's cursor after each statement.

    Statements hold as many rows as the variable limit allows (bigger ones cost less per row), then
    half as many, a quarter...: the driver keeps every statement it prepared, and a dozen sizes,
    reused batch after batch, keep that cache small (any row count would fill it with a hundred
    statements of thousands of rows: 280 MB).
    """
    count = _row_count(values)
    if isinstance(values, Columns):
        flat: list = [None] * (count * width)
        for i, column in enumerate(values):
            flat[i::width] = column
    else:
        flat = list(chain.from_iterable(values))
    # The driver's own cursor, in the session's transaction: SQLAlchemy's statement and result handling
    # would cost more than some statements (a tenth of the writer's time outside SQLite).
    cursor = connection.connection.driver_connection.cursor()
    try:
        size = _sqlite_variable_limit(connection) // width
        start = 0
        while start < count:
            while size > count - start:
                size //= 2
            statement = _SQLITE_MANY.get((sql, size))
            if statement is None:
                one_row = "(" + ", ".join("?" * width) + ")"
                head, tail = sql.split(one_row)  # the statement written for a single row, around its VALUES group
                statement = _SQLITE_MANY[sql, size] = head + ", ".join([one_row] * size) + tail
            cursor.execute(statement, flat[start * width:(start + size) * width])
            yield cursor
            start += size
    finally:
        cursor.close()


def _executemany(session: Session, name: str, make_stmt: Callable[[], Executable], table: Table,
                 columns: Sequence[str], rows: Sequence[tuple] | Columns, *, encoded: bool = False) -> None:
    """Run the statement ``make_stmt()`` once per row of ``rows`` (tuples of ``columns``' values, or
    ``Columns``; as the driver takes them when ``encoded``, see ``column_encoders``).

    On SQLite the values go to the driver directly, in statements of many rows (``_sqlite_many``),
    compiled once per process (cached under ``name``). Other databases take the ordinary Core executemany.
    """
    if not _row_count(rows):
        return
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        rows = rows.rows() if isinstance(rows, Columns) else rows
        session.execute(make_stmt(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    if not encoded:
        rows = _encoded(column_encoders(connection.dialect, table, columns), rows)
    for _ in _sqlite_many(connection, _sqlite_statement(connection.dialect, name, make_stmt, columns),
                          len(columns), rows):
        pass


def _encoded(encoders: Sequence[Callable | None], rows: Sequence[tuple] | Columns) -> Sequence[tuple] | Columns:
    return Columns(encode_columns(encoders, rows)) if isinstance(rows, Columns) else encode_rows(encoders, rows)


def insert_rows(*, session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple] | Columns,
                encoded: bool = False) -> None:
    """Plain insert of ``rows`` (tuples of the ``columns``' values; encoded: see ``_executemany``)."""
    _executemany(session, f"insert {table.name}", table.insert, table, columns, rows, encoded=encoded)


def upsert_rows(*, session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple],
                keys: Sequence[str], update: Sequence[str] = ()) -> None:
    """Insert ``rows`` (tuples of the ``columns``' values); a row whose ``keys`` match a stored row's sets that
    row's ``update`` columns instead, or changes nothing when there are none. Bulk, as ``_executemany``."""

    def statement():
        insert = _insert(session, table)
        if not update:
            return insert.on_conflict_do_nothing(index_elements=list(keys))
        return insert.on_conflict_do_update(index_elements=list(keys), set_={c: insert.excluded[c] for c in update})

    _executemany(session, f"upsert {table.name} {','.join(keys)} {','.join(update)}", statement, table, columns, rows)


# A bulk import touches more pages than SQLite's default 2 MB cache holds; with too small a cache it writes
# pages out to the WAL and reads them back many times over. Raised for the import only (the pooled
# connection gets its own size back); durability is unchanged, the commit still goes through the WAL.
IMPORT_CACHE_KIB = 16 * 1024


@contextmanager
def bulk_write_tuning(session: Session) -> Iterator[None]:
    """Database settings for the duration of one bulk import on this session's connection."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    except BaseException:
        with suppress(SQLAlchemyError):  # the import's own error is the one to report
            connection.exec_driver_sql(f"PRAGMA cache_size = {before}")
        raise
    connection.exec_driver_sql(f"PRAGMA cache_size = {before}")


# One import at a time per database (all kinds: deals and history both write the timeline).
#
# Why a lock, not only unique constraints: an import reads what is stored, decides per row what to
# create or update, then writes. Two imports of the same file started together both read "nothing
# stored" and both wrote: duplicate stage changes dated at their own import time, duplicate
# follow-ups, and both said "created". Constraints could stop the duplicate rows, but not the false
# summary nor the second run's differing decisions (a move recorded at its own ``now``). Holding one
# lock from the first read to the commit makes the second import start after the first one
# committed: it finds every row stored and changes nothing, and its summary says so.
# PostgreSQL: a transaction-level advisory lock, keyed by schema (released at commit or rollback,
# also when the process dies). SQLite: BEGIN IMMEDIATE, the database's write lock, taken before the
# first read (the driver would otherwise begin the transaction only at the first write, after the
# reads it decides on).
IMPORT_LOCK_WAIT_SECONDS = 3600  # how long an import waits for another one (SQLite's busy timeout is 30 s)


class ImportBusy(Exception):
    """Another import (or writer) held the database longer than ``IMPORT_LOCK_WAIT_SECONDS``."""


def take_import_lock(*, session: Session, on_wait: Callable[[], None] | None = None) -> None:
    """Hold the import lock until this session's transaction ends; must be the session's first statement.

    Calls ``on_wait`` once if another import holds it, then waits for it.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        key = "SELECT hashtext(current_schema() || ':stagecoach-import')"
        if not connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock(({key}))").scalar_one():
            if on_wait is not None:
                on_wait()
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock(({key}))")
        return
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver.in_transaction:
        raise RuntimeError("the import lock must be taken before the session reads or writes anything")
    before = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
    try:
        connection.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except SQLAlchemyError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        if on_wait is not None:
            on_wait()
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {IMPORT_LOCK_WAIT_SECONDS * 1000}")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except SQLAlchemyError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ImportBusy() from exc
            raise
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {before}")


# --- reps and teams -------------------------------------------------------------------------------------

def rep_directory(*, session: Session) -> list[Row]:
    """Every rep's identifying and importable columns (reps are few: thousands, not millions)."""
    return list(session.execute(select(REP_TABLE.c.id, REP_TABLE.c.manager_id,
                                       *(REP_TABLE.c[name] for name in REP_FIELDS))).all())


def deal_currencies(*, session: Session) -> list[str]:
    """The currencies stored deals' amounts are in (None: the company currency of their time)."""
    return sorted(code for (code,) in session.execute(select(DEAL_TABLE.c.currency).distinct()).all() if code)


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

class StoredDeal(NamedTuple):
    """A deal's identity and importable columns as stored (a tuple: cheap to build 100,000s of times)."""

    id: int
    external_id: str
    name: str
    account: str
    owner_id: int
    stage_key: str
    amount: Decimal
    status: Any  # DealStatus
    created_at: datetime
    stage_entered_at: datetime
    close_date: date | None
    closed_at: datetime | None
    next_step: str | None
    currency: str | None
    undated: bool | None
    forecast_category: str | None


STORED_DEAL_COLUMNS = ("id", "external_id", *DEAL_FIELDS)
assert StoredDeal._fields == STORED_DEAL_COLUMNS


def _sqlite_reader(column_type: Any, dialect: Any) -> Callable[[tuple], Sequence] | None:
    """What turns one column's stored SQLite values into Python ones, or None when they are already."""
    process = column_type.dialect_impl(dialect).result_processor(dialect, None)
    if process is None:
        return None
    if isinstance(column_type, UTCDateTime):
        def read(values):  # our own '2026-01-02 03:04:05.000007' texts by C code, anything else as SQLAlchemy reads it
            return [datetime.fromisoformat(value + "+00:00") if value.__class__ is str and len(value) == 26
                    and value[10] == " " else process(value) for value in values]
        return read
    if isinstance(column_type, Numeric):
        return lambda values: list(map(process, values))
    return lambda values: list(map({value: process(value) for value in set(values)}.__getitem__, values))


# (dialect, key column) -> the query of stored deals by that column, up to its IN list, and its columns' readers.
_STORED_DEAL_QUERY: dict[tuple[str, str], tuple[str, list]] = {}


def deals_by_external_id(*, session: Session, external_ids: Sequence[str]) -> dict[str, StoredDeal]:
    """The current state of the deals with these external ids (a batch: one query on PostgreSQL, a few on SQLite)."""
    return {deal.external_id: deal for deal in _stored_deals(session, "external_id", external_ids)}


def deals_by_id(*, session: Session, deal_ids: Sequence[int]) -> dict[int, StoredDeal]:
    """The current state of the deals with these ids (as ``deals_by_external_id``)."""
    return {deal.id: deal for deal in _stored_deals(session, "id", deal_ids)}


def _stored_deals(session: Session, key: str, values: Sequence) -> list[StoredDeal]:
    """Stored deals whose ``key`` column is one of ``values``.

    On SQLite the rows are read as the driver gives them and converted a column at a time, as ``_executemany``
    writes them: SQLAlchemy's row processing would cost more than the rest of a re-import.
    """
    if not values:
        return []
    columns = [DEAL_TABLE.c[name] for name in STORED_DEAL_COLUMNS]
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        rows = session.execute(select(*columns).where(DEAL_TABLE.c[key].in_(list(values)))).all()
        return [StoredDeal._make(row) for row in rows]
    if (dialect.name, key) not in _STORED_DEAL_QUERY:  # compiled once per process, not per batch
        _STORED_DEAL_QUERY[dialect.name, key] = (str(select(*columns).compile(dialect=dialect)) + f" WHERE deal.{key} IN ",
                                                 [_sqlite_reader(column.type, dialect) for column in columns])
    sql, readers = _STORED_DEAL_QUERY[dialect.name, key]
    return list(map(StoredDeal._make, _sqlite_rows_in(connection, sql, readers, values)))


def _sqlite_rows_in(connection, sql: str, readers: list, values: Sequence) -> Iterator[tuple]:
    """The rows of ``sql`` (ending in ``IN ``) for every ``values``, a chunk per the driver's variable limit,
    each column converted by its reader (``_sqlite_reader``): read through the driver, in the session's
    transaction (as ``_sqlite_many`` writes)."""
    per_query = _sqlite_variable_limit(connection)
    values = list(values)
    with closing(connection.connection.driver_connection.cursor()) as cursor:
        for start in range(0, len(values), per_query):
            chunk = values[start:start + per_query]
            rows = cursor.execute(sql + "(" + ", ".join("?" * len(chunk)) + ")", chunk).fetchall()
            if not rows:
                continue
            columns: list[Sequence] = list(zip(*rows, strict=True))
            for i, read in enumerate(readers):
                if read is not None:
                    columns[i] = read(columns[i])
            yield from zip(*columns, strict=True)


def upsert_deals(*, session: Session, rows: Sequence[tuple] | Columns, encoded: bool = False) -> dict[str, int]:
    """Insert or update deals keyed by external id; ``rows`` are tuples of UPSERT_COLUMNS' values, or
    ``Columns`` (encoded: see ``_executemany``).

    Returns external id -> id. On SQLite one statement per thousands of rows, with RETURNING: a
    multi-row VALUES upsert costs a third less than the same rows one by one, and no second query
    has to look the ids up.
    """
    if not _row_count(rows):
        return {}

    def statement():
        stmt = _insert(session, DEAL_TABLE)
        return stmt.on_conflict_do_update(
            index_elements=["external_id"], set_={name: stmt.excluded[name] for name in DEAL_FIELDS}
        )

    connection = session.connection()
    if connection.dialect.name != "sqlite":
        rows = rows.rows() if isinstance(rows, Columns) else rows
        # A plain executemany and one query for the ids: cheaper there than SQLAlchemy's RETURNING batches.
        session.execute(statement(), [dict(zip(UPSERT_COLUMNS, row, strict=True)) for row in rows])
        return dict(session.execute(select(DEAL_TABLE.c.external_id, DEAL_TABLE.c.id)
                                    .where(DEAL_TABLE.c.external_id.in_([row[0] for row in rows]))).all())
    sql = _sqlite_statement(connection.dialect, "upsert deal", lambda: statement().returning(
        DEAL_TABLE.c.external_id, DEAL_TABLE.c.id), UPSERT_COLUMNS)
    values = rows if encoded else _encoded(column_encoders(connection.dialect, DEAL_TABLE, UPSERT_COLUMNS), rows)
    ids: dict[str, int] = {}
    for cursor in _sqlite_many(connection, sql, len(UPSERT_COLUMNS), values):
        ids.update(cursor.fetchall())
    return ids


def update_deal_states(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """``rows`` of {"did", "stage_key", "status", "stage_entered_at", "closed_at", "undated"}: the derived current
    state (a timeline dates the deal's stage entry: "undated" is None)."""
    if not rows:
        return
    statement = update(DEAL_TABLE).where(DEAL_TABLE.c.id == bindparam("did")).values(
        stage_key=bindparam("stage_key"), status=bindparam("status"), stage_entered_at=bindparam("stage_entered_at"),
        closed_at=bindparam("closed_at"), undated=bindparam("undated"))
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        session.execute(statement, rows)
        return
    # The driver's executemany, values encoded a column at a time (as ``_executemany``): SQLAlchemy's
    # per-row parameter handling cost more than the updates themselves.
    sql = _sqlite_statement(connection.dialect, "update deal state", lambda: statement, _STATE_PARAMETERS)
    encoders = column_encoders(connection.dialect, DEAL_TABLE, _STATE_COLUMNS)
    values = encode_rows(encoders, [tuple(row[name] for name in _STATE_PARAMETERS) for row in rows])
    with closing(connection.connection.driver_connection.cursor()) as cursor:
        cursor.executemany(sql, values)


_STATE_PARAMETERS = ("stage_key", "status", "stage_entered_at", "closed_at", "undated", "did")
_STATE_COLUMNS = ("stage_key", "status", "stage_entered_at", "closed_at", "undated", "id")


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

class StoredChange(NamedTuple):
    id: int
    deal_id: int
    from_stage: str | None
    to_stage: str
    changed_at: datetime
    source: str


_CHANGE_COLUMNS = ("id", *EVENT_KEY, "source")
# dialect -> the query of stored changes by deal, up to its IN list, and its columns' readers.
_STORED_CHANGE_QUERY: dict[str, tuple[str, list]] = {}


def stage_changes(*, session: Session, deal_ids: Sequence[int]) -> dict[int, list[StoredChange]]:
    """Each deal's timeline, in order (changed_at, then id).

    On SQLite read through the driver as ``deals_by_external_id`` reads (an import reads every timeline it
    writes, twice: SQLAlchemy's row handling cost more than the query).
    """
    timelines: dict[int, list[StoredChange]] = {deal_id: [] for deal_id in deal_ids}
    if not deal_ids:
        return timelines
    columns = [CHANGE_TABLE.c[name] for name in _CHANGE_COLUMNS]
    order = (CHANGE_TABLE.c.deal_id, CHANGE_TABLE.c.changed_at, CHANGE_TABLE.c.id)
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        for row in session.execute(select(*columns).where(CHANGE_TABLE.c.deal_id.in_(list(deal_ids))).order_by(*order)):
            timelines[row.deal_id].append(StoredChange._make(row))
        return timelines
    if dialect.name not in _STORED_CHANGE_QUERY:
        _STORED_CHANGE_QUERY[dialect.name] = (str(select(*columns).compile(dialect=dialect)) + " WHERE stagechange.deal_id IN ",
                                              [_sqlite_reader(column.type, dialect) for column in columns])
    sql, readers = _STORED_CHANGE_QUERY[dialect.name]
    for change in map(StoredChange._make, _sqlite_rows_in(connection, sql, readers, deal_ids)):
        timelines[change.deal_id].append(change)
    for timeline in timelines.values():  # sorted here: the database's sort of text times is the same order
        timeline.sort(key=_change_order)
    return timelines


def _change_order(change: StoredChange) -> tuple[datetime, int]:
    return change.changed_at, change.id


def delete_stage_changes(*, session: Session, deal_ids: Sequence[int] = (), change_ids: Sequence[int] = (),
                         source: str | None = None) -> None:
    """Delete changes by id, or those of ``source`` on the given deals."""
    if change_ids:
        session.execute(delete(CHANGE_TABLE).where(CHANGE_TABLE.c.id.in_(list(change_ids))))
    if deal_ids and source:
        session.execute(delete(CHANGE_TABLE).where(CHANGE_TABLE.c.deal_id.in_(list(deal_ids)),
                                                   CHANGE_TABLE.c.source == source))


def insert_stage_changes(*, session: Session, rows: Sequence[tuple] | Sequence[dict[str, Any]] | Columns,
                         encoded: bool = False) -> None:
    """Insert changes, skipping any identical event already recorded (the unique constraint).

    ``rows`` are tuples of CHANGE_COLUMNS' values (encoded: see ``_executemany``), or dicts with those keys.
    """
    if rows and not isinstance(rows, Columns) and isinstance(rows[0], dict):
        rows = [tuple(row[column] for column in CHANGE_COLUMNS) for row in rows]  # type: ignore[index]
    _executemany(session, "insert stagechange", lambda: _insert(session, CHANGE_TABLE).on_conflict_do_nothing(
        index_elements=list(EVENT_KEY)), CHANGE_TABLE, CHANGE_COLUMNS, rows,  # type: ignore[arg-type]
                 encoded=encoded)
