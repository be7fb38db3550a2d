"""Import benchmark: rows/second and peak memory importing a generated deals CSV.

Usage: python bench/import_bench.py [--rows 100000] [--reps 200] [--postgres URL] [--keep DIR] [--smoke]

Generates a reps CSV and a deals CSV (every deals column filled in, on the default process map:
open deals spread over the stages with some criteria met and a follow-up, a fifth closed won or
lost; times to the second, so few values repeat), imports the reps, then imports the deals twice:
the first import creates every deal, the second finds every row unchanged. Each import is timed
end to end (reading, checking and writing, and the commit).

Memory: the resident set size (RSS) of this process is sampled from /proc every 20 ms while an
import runs; the bench prints RSS before the import and the peak during it (the growth is what
the import itself costs). Run with a smaller --rows to see how the peak depends on the file.
Wall time depends on what else the machine runs; CPU time of this process (time.process_time) is
printed beside it, as rows per CPU second: the figure to compare between runs on a shared machine.
Files of 2 MB or more are read and checked in a child process while this one writes; its CPU time
is printed apart (``--in-process`` checks them here instead, for comparison).

An import that does not create every row (or, the second time, find every row unchanged) ends the
bench with a non-zero exit before its figures. ``--smoke`` is the small size the test suite runs.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import Runtime  # noqa: E402
from bot.importer import BATCH_SIZE, CsvSource, ImportOptions, import_from  # noqa: E402
from knowledge.process_map import ProcessMap  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402

DEALS_HEADER = ["external_id", "name", "account", "owner_email", "stage", "amount", "created_at",
                "stage_entered_at", "close_date", "next_followup_at", "followup_note", "criteria_met", "status"]
ACCOUNTS = ["Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Acme", "Oscorp", "Tyrell", "Cyberdyne"]
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRss:
    """Samples RSS in a thread while the ``with`` block runs; ``peak`` is the highest seen."""

    def __init__(self, every: float = 0.02):
        self.every = every
        self.peak = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRss:
        self.peak = rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def write_reps(path: Path, count: int) -> list[str]:
    emails = [f"rep{i}@example.com" for i in range(count)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["slack_user_id", "email", "name", "role", "team", "manager_email", "timezone"])
        out.writerow(["UMGR0", "boss@example.com", "Boss", "manager", "Sales", "", "Europe/Berlin"])
        for i, email in enumerate(emails):
            out.writerow([f"UREP{i}", email, f"Rep {i}", "rep", "Sales", "boss@example.com", "America/New_York"])
    return emails


def write_deals(path: Path, rows: int, owners: list[str], process: ProcessMap, seed: int = 7) -> None:
    """A deals CSV of ``rows`` rows, written as it is generated (nothing held in memory)."""
    rng = random.Random(seed)
    stages = process.stages
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(DEALS_HEADER)
        for i in range(rows):
            stage = rng.choice(stages)
            # Times to the second, as CRM exports give them: few values repeat (caches get no free ride).
            created = NOW - timedelta(days=rng.randint(20, 400), seconds=rng.randint(0, 86_399))
            entered = created + timedelta(days=rng.randint(0, 19), seconds=rng.randint(0, 86_399))
            roll = rng.random()
            status = "won" if roll < 0.1 else "lost" if roll < 0.2 else "open"
            met = [c.key for c in stage.exit_criteria if rng.random() < 0.4]
            followup = status == "open" and rng.random() < 0.5
            out.writerow([
                f"D-{i:07d}", f"{rng.choice(ACCOUNTS)} deal {i}", rng.choice(ACCOUNTS), rng.choice(owners),
                stage.key, f"{rng.randint(1, 500) * 1000}.{rng.randint(0, 99):02d}",
                created.isoformat(), entered.isoformat(),
                (entered + timedelta(days=rng.randint(1, 90))).date().isoformat(),
                (NOW + timedelta(days=rng.randint(1, 30))).isoformat() if followup else "",
                "Check in on the open item" if followup else "", ";".join(met), status,
            ])


def children_cpu() -> float:
    """CPU seconds of this process's finished child processes (the import's reader)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(runtime: Runtime, kind: str, path: Path, rows: int, label: str, batch_size: int,
                 expect: str = "created", **options) -> None:
    """Import ``path`` and print its figures once every one of its ``rows`` came out as ``expect``."""
    with PeakRss() as memory:
        before = memory.peak
        start, cpu_start, child_start = time.perf_counter(), time.process_time(), children_cpu()
        summary = import_from(runtime, kind, CsvSource(path), ImportOptions(now=NOW), batch_size=batch_size, **options)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        child = children_cpu() - child_start
    if (summary.rows, getattr(summary, expect)) != (rows, rows):
        raise SystemExit(f"FAILED: {label}: expected all {rows} rows {expect}, got {summary.line()}")
    reader = f" + reader process {child:.2f} s" if summary.checked_in_child else ""
    print(f"{label:<22} {rows:>8} rows in {seconds:6.2f} s = {rows / seconds:>8,.0f} rows/s "
          f"(CPU {cpu:.2f} s{reader}: {rows / cpu:,.0f} rows per CPU second of this process); "
          f"RSS {before:.0f} MB before, peak {memory.peak:.0f} MB (+{memory.peak - before:.0f} MB); "
          f"{summary.line()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="deals to generate and import")
    parser.add_argument("--reps", type=int, default=200, help="reps owning them")
    parser.add_argument("--batch", type=int, default=BATCH_SIZE, help="rows per batch written")
    parser.add_argument("--in-process", action="store_true",
                        help="check rows in this process too (no reader process), as small files are")
    parser.add_argument("--postgres", metavar="URL", help="import into a fresh schema on this PostgreSQL instead")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the files and database here and keep them")
    parser.add_argument("--smoke", action="store_true", help="a small size for the test suite")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.reps = 300, 10

    work = args.keep or Path(tempfile.mkdtemp(prefix="import_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    schema = None
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with make_engine(args.postgres).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{work / 'bench.db'}"
        (work / "bench.db").unlink(missing_ok=True)
    engine = make_engine(url)
    migrate(engine)
    runtime = Runtime(Settings(home=work, database_url=url), engine=engine)
    try:
        reps_csv, deals_csv = work / "reps.csv", work / "deals.csv"
        owners = write_reps(reps_csv, args.reps)
        start = time.perf_counter()
        write_deals(deals_csv, args.rows, owners, runtime.process)
        print(f"generated {args.rows} deals ({deals_csv.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - start:.1f} s; database: {'PostgreSQL' if schema else 'SQLite'}")
        timed_import(runtime, "reps", reps_csv, args.reps + 1, "reps", args.batch)
        options = {"pipeline_min_bytes": 10**15} if args.in_process else {}
        timed_import(runtime, "deals", deals_csv, args.rows, "deals (first import)", args.batch, **options)
        timed_import(runtime, "deals", deals_csv, args.rows, "deals (re-import)", args.batch, expect="unchanged",
                     **options)
        print(f"peak RSS of the whole run (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
              f"; of the reader process: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")
    finally:
        engine.dispose()
        if schema:
            admin = make_engine(args.postgres)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
