"""Pipeline report benchmark: each report timed on SQLite and PostgreSQL next to DuckDB on the same data.

Usage: python bench/pipeline_bench.py [--deals 1000000] [--changes 5000000] [--postgres URL] [--repeat 3] [--smoke]

- Data: generated with numpy in chunks on the default process map, shaped like a real CRM's
  history: deals created uniformly over the last 3 years, each moving forward through the
  stages (5% skip one) with a lognormal stay per stage (median its ``expected_days``, a long
  tail), then closing won (from the last stage) or lost; 3% stall and never close. Whatever
  a deal's plan puts after NOW has not happened, so open deals (~10%) are mostly recent
  ones mid-path and a month holds ~3% of all changes (printed). Open deals carry
  criterion checks.
  Loaded with executemany on SQLite (a temp file), COPY on PostgreSQL (a schema it creates
  and drops; URL from --postgres or STAGECOACH_TEST_POSTGRES_URL) and read_csv on DuckDB.
- Reports: the six, as an admin over everything, period = October 2026 as of 2026-11-20;
  plus a month's flow as one team's manager. Each is built by ``bot.pipeline.reports`` —
  the very statements Stagecoach runs; on DuckDB the same SQLAlchemy statements, compiled
  for PostgreSQL, run through a small session adapter (the reference: a columnar engine).
- Beside each report, the report's own query (``storage.reports``) on SQLite/PostgreSQL is paired with a query
  written for DuckDB as one would by hand (``IDIOMATIC``: window over the changes, FILTER aggregates), not the
  same SQL compiled for PostgreSQL; both must give the same figures, and each pair is printed with its ratio.
- Each engine is measured in its own process: median of --repeat runs after one warm-up, and
  that process's peak RSS. The figures of every report must agree across engines: when they do not,
  or an engine fails, the bench exits non-zero without printing a timing. ``--smoke`` is the small
  size the test suite runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from enum import Enum
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.config import DEFAULT_PROCESS_FILE  # noqa: E402
from knowledge.process_map import load_process_map  # noqa: E402

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TEAMS, REPS_PER_TEAM = 50, 20
STALL_SHARE, SKIP_SHARE, WON_SHARE, CHECK_SHARE = 0.03, 0.05, 0.7, 0.5
HISTORY_DAYS, STAY_SIGMA = 3 * 365, 0.9  # deals created over 3 years; lognormal stays (mean 1.5x the median)
PLANNED_EXTRA = 1.045  # planned changes still in the future at NOW, or never made by stalled deals: ~4.5% of the plan
MONTH_START, MONTH_END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)  # the measured period
CHUNK = 200_000
DAY = 86_400
REPORTS = ("status", "flow", "time", "stuck", "conversion", "bottlenecks", "flow_team")
TABLES = {
    "team": ("id", "name"),
    "rep": ("id", "email", "name", "role", "team_id", "timezone"),
    "deal": ("id", "external_id", "name", "account", "owner_id", "stage_key", "amount", "status", "created_at",
             "stage_entered_at", "closed_at"),
    "stagechange": ("id", "deal_id", "from_stage", "to_stage", "changed_at", "source"),
    "criterioncheck": ("id", "deal_id", "stage_key", "criterion_key", "met", "checked_at"),
}


# -- generation ------------------------------------------------------------------------------------


def stamps(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as 'YYYY-MM-DD HH:MM:SS' (UTC) strings."""
    return np.char.replace(seconds.astype("int64").astype("datetime64[s]").astype(str), "T", " ")


def generate_chunk(rng: np.random.Generator, first_deal: int, n: int, process, mean_changes: float) -> dict:
    """``n`` deals from id ``first_deal`` with their stage changes and criterion checks, as column arrays.

    Each deal is created at a uniform moment of the last HISTORY_DAYS and follows its own
    planned path: forward through the stages (SKIP_SHARE skip one), a lognormal stay in each
    (median the stage's ``expected_days``, a long tail), then a won/lost close — except for
    STALL_SHARE that never close. Whatever the plan puts after NOW has not happened yet, so
    open deals are mostly recent ones mid-path, and a month holds a few % of all changes.
    """
    n_stages = len(process.stages)
    keys = np.array(process.stage_keys + ["won", "lost"])
    expected = np.array([s.expected_days for s in process.stages], dtype=float)
    now = NOW.timestamp()
    closes = rng.random(n) >= STALL_SHARE
    k = np.clip(np.rint(rng.normal(mean_changes * PLANNED_EXTRA, 1.5, n)), 1, n_stages + 1).astype(int)
    k = np.where(closes, np.maximum(k, 2), np.minimum(k, n_stages))
    moves = np.where(closes, k - 1, k)  # changes into a stage (the rest is the close)
    created = now - rng.uniform(0, HISTORY_DAYS, n) * DAY
    stage = np.zeros(n, dtype=int)  # the stage of the latest change that has happened by NOW
    at = created.copy()  # when the next planned change happens
    entered = created.copy()
    happened = np.ones(n, dtype=bool)  # whether every planned change so far is before NOW
    change_deal, change_from, change_to, change_at = [], [], [], []
    previous = np.full(n, -1)
    planned = np.zeros(n, dtype=int)
    for j in range(int(moves.max())):
        active = moves > j
        if j:
            room = (n_stages - 1) - planned - (moves - 1 - j)
            skip = (rng.random(n) < SKIP_SHARE) & (room >= 2)
            planned = np.where(active, planned + 1 + skip, planned)
        happened &= ~active | (at <= now)
        done = active & happened
        change_deal.append(np.arange(first_deal, first_deal + n)[done])
        change_from.append(previous[done])
        change_to.append(planned[done])
        change_at.append(at[done])
        previous = np.where(done, planned, previous)
        stage = np.where(done, planned, stage)
        entered = np.where(done, at, entered)
        stay = rng.lognormal(np.log(expected[planned] * DAY), STAY_SIGMA)
        at = np.where(active, at + stay, at)
    closed = closes & happened & (at <= now)
    won = closed & (stage == n_stages - 1) & (rng.random(n) < WON_SHARE)
    close_stage = np.where(won, n_stages, n_stages + 1)
    ids = np.arange(first_deal, first_deal + n)
    change_deal.append(ids[closed])
    change_from.append(stage[closed])
    change_to.append(close_stage[closed])
    change_at.append(at[closed])
    status = np.where(closed, np.where(won, "won", "lost"), "open")
    # Checks on open deals: each exit criterion of the current stage met with CHECK_SHARE.
    check_deal, check_stage, check_key = [], [], []
    open_ids, open_stage = ids[~closed], stage[~closed]
    for index, st in enumerate(process.stages):
        in_stage = open_ids[open_stage == index]
        for criterion in st.exit_criteria:
            chosen = in_stage[rng.random(len(in_stage)) < CHECK_SHARE]
            check_deal.append(chosen)
            check_stage.append(np.full(len(chosen), st.key))
            check_key.append(np.full(len(chosen), criterion.key))
    frm = np.concatenate(change_from)
    return {
        "deal": {"id": ids, "owner_id": TEAMS + 1 + rng.integers(0, TEAMS * REPS_PER_TEAM, n),
                 "stage_key": keys[stage], "amount": rng.integers(5, 200, n) * 1000, "status": status,
                 "created_at": stamps(created), "stage_entered_at": stamps(entered),
                 "closed_at": np.where(closed, stamps(at), "")},
        "stagechange": {"deal_id": np.concatenate(change_deal), "from_stage": np.where(frm >= 0, keys[frm], ""),
                        "to_stage": keys[np.concatenate(change_to)], "changed_at": stamps(np.concatenate(change_at)),
                        "seconds": np.concatenate(change_at)},
        "criterioncheck": {"deal_id": np.concatenate(check_deal), "stage_key": np.concatenate(check_stage),
                           "criterion_key": np.concatenate(check_key)},
    }


def people_rows() -> tuple[list[tuple], list[tuple]]:
    """Teams 1..TEAMS; reps: a manager per team (id = team id), then REPS_PER_TEAM reps per team, then an admin."""
    teams = [(t, f"Team {t}") for t in range(1, TEAMS + 1)]
    reps = [(t, f"manager{t}@bench.example", f"Manager {t}", "manager", t, "UTC") for t in range(1, TEAMS + 1)]
    rep_id = TEAMS + 1
    for t in range(1, TEAMS + 1):
        for _ in range(REPS_PER_TEAM):
            reps.append((rep_id, f"rep{rep_id}@bench.example", f"Rep {rep_id}", "rep", t, "UTC"))
            rep_id += 1
    reps.append((rep_id, "admin@bench.example", "Admin", "admin", None, "UTC"))
    return teams, reps


def chunk_rows(chunk: dict, first_change: int, first_check: int, sqlite: bool) -> dict[str, list[tuple]]:
    """The chunk as row tuples per table; SQLite gets SQLAlchemy's stored datetime form."""
    frac = ".000000" if sqlite else ""  # PostgreSQL loads with its session in UTC

    def when(values):
        return [v + frac if v else None for v in values.tolist()]

    d, c, k = chunk["deal"], chunk["stagechange"], chunk["criterioncheck"]
    ids = d["id"].tolist()
    deals = list(zip(ids, [f"B-{i}" for i in ids], [f"Deal {i}" for i in ids], [f"Account {i % 50_000}" for i in ids],
                     d["owner_id"].tolist(), d["stage_key"].tolist(), d["amount"].tolist(), d["status"].tolist(),
                     when(d["created_at"]), when(d["stage_entered_at"]), when(d["closed_at"]), strict=True))
    n_changes, n_checks = len(c["deal_id"]), len(k["deal_id"])
    changes = list(zip(range(first_change, first_change + n_changes), c["deal_id"].tolist(),
                       [s or None for s in c["from_stage"].tolist()], c["to_stage"].tolist(), when(c["changed_at"]),
                       ["import-history"] * n_changes, strict=True))
    check_at = NOW.strftime("%Y-%m-%d %H:%M:%S") + frac
    checks = list(zip(range(first_check, first_check + n_checks), k["deal_id"].tolist(), k["stage_key"].tolist(),
                      k["criterion_key"].tolist(), [bool(x) for x in (np.arange(n_checks) % 2 == 0)],
                      [check_at] * n_checks, strict=True))
    return {"deal": deals, "stagechange": changes, "criterioncheck": checks}


def copy_text(rows: list[tuple]) -> str:
    def value(v) -> str:
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        return str(v)

    return "".join("\t".join(value(v) for v in row) + "\n" for row in rows)


# -- loading ---------------------------------------------------------------------------------------


class Loaders:
    """Writes each chunk into every engine under test."""

    def __init__(self, sqlite_path: Path | None, pg_url: str | None, duck_dir: Path):
        from storage.db import make_engine, migrate

        self.sqlite = self.pg = None
        if sqlite_path is not None:
            engine = make_engine(f"sqlite:///{sqlite_path}")
            migrate(engine)
            engine.dispose()
            import sqlite3

            self.sqlite = sqlite3.connect(sqlite_path)
            self.sqlite.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;")
        if pg_url is not None:
            import psycopg

            engine = make_engine(pg_url)
            migrate(engine)
            engine.dispose()
            self.pg = psycopg.connect(libpq_url(pg_url))
            self.pg.execute("SET TIME ZONE 'UTC'")
        self.duck_dir = duck_dir
        self.duck_files: dict[str, list[Path]] = {t: [] for t in TABLES}

    def write(self, table: str, sqlite_rows: list[tuple] | None, text_rows: list[tuple]) -> None:
        columns = TABLES[table]
        if self.sqlite is not None:
            marks = ", ".join("?" * len(columns))
            self.sqlite.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", sqlite_rows)
        text = copy_text(text_rows)
        if self.pg is not None:
            with self.pg.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(text)
        path = self.duck_dir / f"{table}-{len(self.duck_files[table])}.tsv"
        path.write_text(text)
        self.duck_files[table].append(path)

    def abort(self) -> None:
        """Close every connection unfinished, so dropping the PostgreSQL schema waits on nothing of ours."""
        for con in (self.sqlite, self.pg):
            if con is not None:
                con.close()
        self.sqlite = self.pg = None

    def finish(self, duck_path: Path) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("COMMIT")
            self.sqlite.execute("ANALYZE")
            self.sqlite.close()
        if self.pg is not None:
            self.pg.commit()
            self.pg.autocommit = True
            self.pg.execute("VACUUM ANALYZE")
            self.pg.close()
        import duckdb

        con = duckdb.connect(str(duck_path))  # instants as naive UTC TIMESTAMPs (TIMESTAMPTZ results need pytz)
        con.execute(duckdb_schema())
        for table, files in self.duck_files.items():
            columns = TABLES[table]
            for path in files:
                con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM read_csv(?, delim='\t', "
                            f"header=false, nullstr='\\N', quote='', escape='', auto_detect=false, "
                            f"columns={_duck_columns(con, table, columns)})", [str(path)])
                path.unlink()
        con.close()


def duckdb_schema() -> str:
    """DuckDB's reference tables, read from the models: a column added there can never be missing here.

    Instants are naive UTC ``TIMESTAMP`` (TIMESTAMPTZ results need pytz), enums plain text.
    """
    from sqlalchemy import DateTime
    from sqlalchemy import Enum as SqlEnum
    from sqlalchemy.dialects import postgresql
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401 (registers the tables)

    def duck_type(column) -> str:
        kind = column.type
        if isinstance(kind, SqlEnum):
            return "VARCHAR"
        if isinstance(getattr(kind, "impl", kind), DateTime):
            return "TIMESTAMP"
        return kind.compile(dialect=postgresql.dialect())

    return "\n".join(f"CREATE TABLE {table} ({', '.join(f'{c.name} {duck_type(c)}' for c in model.columns)});"
                     for table, model in ((t, SQLModel.metadata.tables[t]) for t in TABLES))


def _duck_columns(con, table: str, columns: tuple[str, ...]) -> dict:
    types = dict(con.execute(f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table}'").fetchall())
    return {c: types[c] for c in columns}


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it (no driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


# -- measuring (a separate process per engine, so its peak RSS is the reporting's alone) -----------


class DuckResult:
    def __init__(self, rows: list[tuple]):
        self.rows = rows

    def all(self) -> list[tuple]:
        return self.rows

    def one(self) -> tuple:
        if len(self.rows) != 1:
            raise ValueError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar_one(self):
        return self.one()[0]

    def first(self):
        return self.rows[0] if self.rows else None

    def scalars(self) -> DuckResult:
        return DuckResult([r[0] for r in self.rows])


class DuckSession:
    """Runs SQLAlchemy statements on DuckDB: compiled for PostgreSQL (DuckDB's SQL dialect is close) with ? binds."""

    def __init__(self, con):
        from sqlalchemy.dialects import postgresql

        self.con = con
        self.dialect = postgresql.dialect(paramstyle="qmark")

    def get_bind(self):
        return SimpleNamespace(dialect=SimpleNamespace(name="duckdb"))

    def exec(self, statement) -> DuckResult:
        compiled = statement.compile(dialect=self.dialect, compile_kwargs={"render_postcompile": True})
        params = [_duck_value(compiled.params[name]) for name in compiled.positiontup or []]
        rows = self.con.execute(compiled.string, params).fetchall()
        return DuckResult([tuple(_aware(v) for v in row) for row in rows])


def _duck_value(value):
    """Enums by name, as SQLAlchemy stores them; instants as naive UTC, as the DuckDB copy holds them."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _aware(value):
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else value


# -- the reports' core queries, as one would write them for DuckDB ----------------------------------

# Flow as the report reads it backward (the month is recent): entries into and exits from each stage by the
# changes since the month began, unwound from the deals' current stage. Exits read the stage each change
# left: the previous change's to_stage (LAG over the timelines of the deals that changed since then only).
_DUCK_FLOW = """
WITH scoped AS (SELECT id FROM deal WHERE archived_at IS NULL {owners}
                AND id IN (SELECT deal_id FROM stagechange WHERE changed_at >= $start)),
timeline AS (
  SELECT c.to_stage, c.changed_at,
         lag(c.to_stage) OVER (PARTITION BY c.deal_id ORDER BY c.changed_at, c.id) AS left_stage
  FROM stagechange c SEMI JOIN scoped ON scoped.id = c.deal_id),
recent AS (SELECT * FROM timeline WHERE changed_at >= $start),
entered AS (SELECT to_stage AS stage, count(*) FILTER (changed_at < $end) AS during,
                   count(*) FILTER (changed_at >= $end) AS after FROM recent GROUP BY ALL),
exited AS (SELECT left_stage AS stage, count(*) FILTER (changed_at < $end) AS during,
                  count(*) FILTER (changed_at >= $end) AS after FROM recent WHERE left_stage IS NOT NULL GROUP BY ALL),
current AS (SELECT stage_key AS stage, count(*) AS n FROM deal
            WHERE status = 'open' AND undated IS NULL AND archived_at IS NULL {owners} GROUP BY ALL)
SELECT stage,
       coalesce(n, 0) - coalesce(e.after, 0) + coalesce(x.after, 0) - coalesce(e.during, 0) + coalesce(x.during, 0),
       coalesce(e.during, 0), coalesce(x.during, 0),
       coalesce(n, 0) - coalesce(e.after, 0) + coalesce(x.after, 0)
FROM entered e FULL JOIN exited x USING (stage) FULL JOIN current USING (stage)
WHERE stage NOT IN ('won', 'lost')
ORDER BY stage
"""
_TEAM_OWNERS = "AND owner_id IN (SELECT id FROM rep WHERE team_id = 1)"
_DUCK_STATUS = """
SELECT stage_key, count(*), sum(amount) FROM deal
WHERE status = 'open' AND archived_at IS NULL GROUP BY ALL ORDER BY stage_key
"""
IDIOMATIC = {"status": _DUCK_STATUS, "flow": _DUCK_FLOW.format(owners=""),
             "flow_team": _DUCK_FLOW.format(owners=_TEAM_OWNERS)}


def core_query(name: str, session, viewer, scope, period):
    """The report's own query (``storage.reports``), as figures comparable with ``IDIOMATIC[name]``'s rows."""
    from storage import reports as store

    if name == "status":
        return sorted([t.stage_key, t.count, float(t.amount)] for t in
                      store.status_totals(session=session, viewer=viewer, scope=scope.filter))
    return [[f.stage_key, f.at_start, f.entered, f.left, f.at_end] for f in
            store.flow_counts(session=session, viewer=viewer, scope=scope.filter, start=period.start, end=period.end)]


def idiomatic_duck(name: str, con, period) -> list:
    params = {"start": _duck_value(period.start), "end": _duck_value(period.end)} if name != "status" else {}
    rows = con.execute(IDIOMATIC[name], params).fetchall()
    return [[row[0], *(float(v) if name == "status" and i == 1 else int(v) for i, v in enumerate(row[1:]))]
            for row in rows]


def _timed(fn, repeat: int):
    runs, result = [], None
    for _ in range(repeat + 1):  # the first run warms caches and is not counted
        started = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs[1:]), result


def measure(engine_name: str, url: str, repeat: int) -> dict:
    from bot.pipeline.periods import PeriodSpec
    from bot.pipeline.reports import build_report
    from bot.pipeline.scope import Scope
    from storage.access import Viewer
    from storage.models import Role
    from storage.reports import ReportScope

    process = load_process_map(DEFAULT_PROCESS_FILE)
    period = PeriodSpec("month", month=MONTH_START.month, year=MONTH_START.year).resolve(NOW, "UTC")
    admin = Viewer(rep_id=TEAMS + TEAMS * REPS_PER_TEAM + 1, name="Admin", role=Role.admin, team_id=None)
    manager = Viewer(rep_id=1, name="Manager 1", role=Role.manager, team_id=1)
    everyone = Scope("all", "everyone", "UTC", ReportScope())
    team = Scope("team", "Team 1", "UTC", ReportScope())
    if engine_name == "duckdb":
        import duckdb

        con = duckdb.connect(url, read_only=True)
        session = DuckSession(con)
    else:
        from sqlmodel import Session

        from storage.db import make_engine

        session = Session(make_engine(url))
    timings, figures, core_ms, core_figures = {}, {}, {}, {}
    for name in REPORTS:
        kind, viewer, scope = ("flow", manager, team) if name == "flow_team" else (name, admin, everyone)
        timings[name], report = _timed(partial(build_report, kind, session=session, viewer=viewer, process=process,
                                               scope=scope, period=period, now=NOW), repeat)
        figures[name] = report.rows
        if name in IDIOMATIC:  # DuckDB: the hand-written query; the others: the report's own
            run = partial(idiomatic_duck, name, con, period) if engine_name == "duckdb" else \
                partial(core_query, name, session, viewer, scope, period)
            core_ms[name], core_figures[name] = _timed(run, repeat)
    peak_mb = peak_rss_mb()
    return {"engine": engine_name, "timings_ms": timings, "peak_rss_mb": peak_mb, "figures": figures,
            "core_ms": core_ms, "core_figures": core_figures}


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM (ru_maxrss would carry the generating parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_measure(engine_name: str, url: str, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", engine_name, "--url", url, "--repeat", str(repeat)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"measuring {engine_name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=5_000_000, help="stage changes in all (about)")
    parser.add_argument("--postgres", default=os.environ.get("STAGECOACH_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL (a schema is created in it and dropped after)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)  # leave the schema for EXPLAIN
    parser.add_argument("--smoke", action="store_true", help="a small size for the test suite")
    args = parser.parse_args()
    if args.smoke:
        args.deals, args.changes, args.repeat = 2_000, 10_000, 1
    if args.measure:
        print(json.dumps(measure(args.measure, args.url, args.repeat)))
        return

    process = load_process_map(DEFAULT_PROCESS_FILE)
    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    sqlite_path = None if args.no_sqlite else work / "bench.db"
    schema = f"pipeline_bench_{uuid.uuid4().hex[:8]}"
    pg_url = None
    if args.postgres:
        from sqlalchemy import text

        from storage.db import make_engine

        admin_engine = make_engine(args.postgres)
        with admin_engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in args.postgres else "?"
        pg_url = f"{args.postgres}{separator}options=-csearch_path%3D{schema}"
    try:
        results = run(args, process, work, sqlite_path, pg_url)
    finally:
        if pg_url and args.keep:
            print(f"kept: {pg_url}")
        elif pg_url:
            with admin_engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '30s'"))  # never queue other users' work behind us
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin_engine.dispose()
        for path in work.glob("*"):
            path.unlink()
        work.rmdir()
    report(results)


def run(args, process, work: Path, sqlite_path: Path | None, pg_url: str | None) -> list[dict]:
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    loaders = Loaders(sqlite_path, pg_url, work)
    try:
        n_changes, n_checks, in_month, since_month = load(args, process, rng, loaders)
    except BaseException:
        loaders.abort()
        raise
    duck_path = work / "bench.duckdb"
    loaders.finish(duck_path)
    print(f"Data: {args.deals:,} deals, {n_changes:,} stage changes, {n_checks:,} criterion checks; "
          f"generated and loaded into {', '.join(e for e, on in (('SQLite', sqlite_path), ('PostgreSQL', pg_url)) if on)}"
          f"{' and ' if sqlite_path or pg_url else ''}DuckDB in {time.perf_counter() - started:.0f} s\n"
          f"Measured month {MONTH_START:%B %Y}: {in_month:,} stage changes in it ({in_month / n_changes:.1%}), "
          f"{since_month:,} since it began ({since_month / n_changes:.1%})", flush=True)
    results = [run_measure("duckdb", str(duck_path), args.repeat)]
    if sqlite_path:
        results.append(run_measure("sqlite", f"sqlite:///{sqlite_path}", args.repeat))
    if pg_url:
        results.append(run_measure("postgresql", pg_url, args.repeat))
    return results


def load(args, process, rng, loaders: Loaders) -> tuple[int, int, int, int]:
    mean_changes = args.changes / args.deals
    sqlite = loaders.sqlite is not None
    teams, reps = people_rows()
    loaders.write("team", teams, teams)
    loaders.write("rep", reps, reps)
    n_changes = n_checks = in_month = since_month = 0
    for first in range(1, args.deals + 1, CHUNK):
        chunk = generate_chunk(rng, first, min(CHUNK, args.deals + 1 - first), process, mean_changes)
        text_rows = chunk_rows(chunk, n_changes + 1, n_checks + 1, sqlite=False)
        sqlite_rows = chunk_rows(chunk, n_changes + 1, n_checks + 1, sqlite=True) if sqlite else {}
        for table in ("deal", "stagechange", "criterioncheck"):
            loaders.write(table, sqlite_rows.get(table), text_rows[table])
        n_changes += len(text_rows["stagechange"])
        n_checks += len(text_rows["criterioncheck"])
        seconds = chunk["stagechange"]["seconds"]
        in_month += int(((seconds >= MONTH_START.timestamp()) & (seconds < MONTH_END.timestamp())).sum())
        since_month += int((seconds >= MONTH_START.timestamp()).sum())
        print(f"  generated and loaded {min(first + CHUNK - 1, args.deals):,} deals", file=sys.stderr, flush=True)
    return n_changes, n_checks, in_month, since_month


def report(results: list[dict]) -> None:
    reference = results[0]
    engines = [r["engine"] for r in results]
    disagreements = [f"{r['engine']} {name}" for r in results[1:] for name in REPORTS
                     if r["figures"][name] != reference["figures"][name]]
    disagreements += [f"{r['engine']} {name} (against the idiomatic DuckDB query)" for r in results[1:]
                      for name in IDIOMATIC if r["core_figures"][name] != reference["core_figures"][name]]
    if disagreements:  # a report that is wrong on some engine has no speed worth printing
        raise SystemExit(f"FAILED: the figures differ from DuckDB's: {', '.join(disagreements)}")
    print(f"\n{'report':<12}" + "".join(f"{e:>14}" for e in engines) + "".join(f"{e + '/duck':>18}" for e in engines[1:]))
    for name in REPORTS:
        line = f"{name:<12}" + "".join(f"{r['timings_ms'][name]:>11.0f} ms" for r in results)
        line += "".join(f"{r['timings_ms'][name] / reference['timings_ms'][name]:>17.1f}x" for r in results[1:])
        print(line)
    print("peak RSS    " + "".join(f"{r['peak_rss_mb']:>11.0f} MB" for r in results))
    print("\nthe report's query against one written for DuckDB (same figures):")
    print(f"{'query':<12}{'duckdb (idiomatic)':>20}" + "".join(f"{e:>14}" for e in engines[1:])
          + "".join(f"{e + '/duck':>18}" for e in engines[1:]))
    for name in IDIOMATIC:
        line = f"{name:<12}{reference['core_ms'][name]:>17.0f} ms" + "".join(
            f"{r['core_ms'][name]:>11.0f} ms" for r in results[1:])
        line += "".join(f"{r['core_ms'][name] / reference['core_ms'][name]:>17.1f}x" for r in results[1:])
        print(line)
    print("figures: identical on every engine")


if __name__ == "__main__":
    main()
