"""Two ``stagecoach import`` processes on the same file at the same time write what one would, and say so."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.core.runtime import Runtime
from storage import imports as db
from storage.db import make_engine, migrate, session_scope
from tests.conftest import SMALL_PROCESS, fresh_database
from tests.importer.helpers import DEALS_HEADER, REPS_CSV, run, write_csv
from tests.utils import clock_shift

DEALS = 400
WAITING = "another import is running; waiting for it to finish..."

# Every table an import writes, as (table, columns compared); ids are left out (they depend on the order
# of inserts), deals, reps and teams are named by their keys. Columns holding the import's own time
# (a follow-up's created_at, a check's checked_at) are left out: two runs are two different moments.
DUMP = {
    "team": "SELECT name, timezone FROM team",
    "rep": "SELECT r.email, r.name, r.role, r.slack_user_id, r.timezone, t.name, m.email "
           "FROM rep r LEFT JOIN team t ON t.id = r.team_id LEFT JOIN rep m ON m.id = r.manager_id",
    "deal": "SELECT d.external_id, d.name, d.account, o.email, d.stage_key, d.amount, d.status, d.created_at, "
            "d.stage_entered_at, d.close_date, d.closed_at, d.next_step FROM deal d JOIN rep o ON o.id = d.owner_id",
    "stagechange": "SELECT d.external_id, c.from_stage, c.to_stage, c.changed_at, c.source, c.changed_by_id "
                   "FROM stagechange c JOIN deal d ON d.id = c.deal_id",
    "criterioncheck": "SELECT d.external_id, c.stage_key, c.criterion_key, c.met, c.evidence, c.checked_by_id "
                      "FROM criterioncheck c JOIN deal d ON d.id = c.deal_id",
    "followup": "SELECT d.external_id, f.due_at, f.note, f.done_at, f.created_by_id "
                "FROM followup f JOIN deal d ON d.id = f.deal_id",
}


def dump(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {table: sorted(tuple(map(str, row)) for row in conn.execute(text(sql)))
                for table, sql in DUMP.items()}


@pytest.fixture
def other_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as ``db_url``: where the single import goes."""
    with fresh_database("sqlite" if db_url.startswith("sqlite") else "postgres", tmp_path / "single.db") as url:
        yield url


def deals_file(path: Path) -> Path:
    """Deals with every date given (nothing depends on the moment of the import), follow-ups and checks."""
    stages = ("discover", "validate", "close", "won", "lost")
    rows = []
    for i in range(DEALS):
        stage = stages[i % len(stages)]
        rows.append({
            "external_id": f"D-{i}", "name": f"Deal {i}", "account": f"Account {i % 37}",
            "owner_email": ("ann@example.com", "bob@example.com")[i % 2], "stage": stage, "amount": str(1000 + i),
            "created_at": f"2026-0{1 + i % 8}-0{1 + i % 9}", "stage_entered_at": f"2026-09-{10 + i % 19}T09:00:00Z",
            "close_date": "2026-10-30" if stage in ("won", "lost") else "",
            "next_followup_at": f"2026-12-{1 + i % 28:02d}T10:00:00Z" if stage not in ("won", "lost") else "",
            "followup_note": f"call {i}" if stage not in ("won", "lost") else "",
            "criteria_met": "pain_confirmed" if stage == "discover" else "",
        })
    return write_csv(path, DEALS_HEADER, rows)


def start_import(db_url: str, path: Path) -> tuple[subprocess.Popen, queue.Queue]:
    """``stagecoach import deals PATH`` as a child process; its stderr lines arrive on the queue."""
    env = {**os.environ, "STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
    child = subprocess.Popen(clock_shift.command("import", "deals", str(path)), env=env, cwd=clock_shift.REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in child.stderr:  # type: ignore[union-attr]
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return child, lines


def wait_for_line(lines: queue.Queue, wanted: str) -> None:
    seen = []
    while (line := lines.get(timeout=120)) is not None:
        if wanted in line:
            return
        seen.append(line)
    raise AssertionError(f"the import ended without printing {wanted!r}: {''.join(seen)}")


def test_two_imports_of_one_file_at_once_write_what_one_import_writes(runtime: Runtime, engine: Engine,
                                                                      other_db_url: str, db_url: str,
                                                                      tmp_path: Path):
    path = deals_file(tmp_path / "deals.csv")
    run(runtime, "reps", REPS_CSV)
    single = make_engine(other_db_url)
    migrate(single)
    single_runtime = Runtime(runtime.settings.model_copy(update={"database_url": other_db_url}), engine=single,
                             clock=runtime.clock)
    run(single_runtime, "reps", REPS_CSV)
    once = subprocess.run(clock_shift.command("import", "deals", str(path)), cwd=clock_shift.REPO, text=True,
                          capture_output=True, timeout=300,
                          env={**os.environ, "STAGECOACH_DATABASE_URL": other_db_url,
                               "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)})
    assert once.returncode == 0, once.stderr

    # Hold the import lock, start both imports, and let go once both wait for it: they then start together.
    with session_scope(engine) as holder:
        db.take_import_lock(session=holder)
        children = [start_import(db_url, path) for _ in range(2)]
        for _, lines in children:
            wait_for_line(lines, WAITING)
    outputs, errors = [], []
    for child, lines in children:
        out = child.stdout.read()  # type: ignore[union-attr]  (stderr is the pump thread's: not communicate())
        child.wait(timeout=300)
        errors.append("".join(iter(partial(lines.get, timeout=60), None)))  # the rest of its stderr
        assert child.returncode == 0, (out, errors[-1])
        outputs.append(out.strip())

    assert sorted(outputs) == sorted([
        f"{path}: {DEALS} rows: {DEALS} created, 0 updated, 0 unchanged",
        f"{path}: {DEALS} rows: 0 created, 0 updated, {DEALS} unchanged",
    ]), errors
    assert once.stdout.strip() == f"{path}: {DEALS} rows: {DEALS} created, 0 updated, 0 unchanged"
    together, alone = dump(engine), dump(single)
    single.dispose()
    assert {table: len(rows) for table, rows in together.items()} == {table: len(rows) for table, rows in alone.items()}
    assert together == alone
    assert len(alone["followup"]) == DEALS * 3 // 5 and len(alone["stagechange"]) >= DEALS


def test_an_import_waits_for_another_then_finds_its_rows(runtime: Runtime, engine: Engine, tmp_path: Path):
    """In one process too: the second import starts after the first one committed, and says nothing changed."""
    path = deals_file(tmp_path / "deals.csv")
    run(runtime, "reps", REPS_CSV)
    waited = threading.Event()
    results: list = []
    with session_scope(engine) as holder:
        db.take_import_lock(session=holder)
        worker = threading.Thread(target=lambda: results.append(run(runtime, "deals", path, on_wait=waited.set)))
        worker.start()
        assert waited.wait(60)
    worker.join(120)
    assert results and results[0].line() == f"{DEALS} rows: {DEALS} created, 0 updated, 0 unchanged"
    assert run(runtime, "deals", path).line() == f"{DEALS} rows: 0 created, 0 updated, {DEALS} unchanged"
