"""Digest benchmark: compute every digest of a big sales floor, deliver them through the Slack emulator, peak memory.

Usage: python bench/digest_bench.py [--reps 1000] [--deals 100000] [--postgres URL] [--no-sqlite] [--no-deliver] [--smoke]

A generated floor (default process map): teams of 20 reps and a manager across 8
timezones, 100 deals per rep, about 70 % open; deals sit up to 1.3x their stage's
expected days (about a quarter are over), close dates from 5 days ago to 90 ahead,
0-2 follow-ups per deal due from 10 days ago to 20 ahead (40 % done), some criteria
confirmed. That is a few dozen digest items per rep. The data is written by a child
process, so the memory figure is this process's own.

- Compute: ``stagecoach digest --date`` for a Monday — every person's digest and every
  manager's roll-up of that local date, built in batches from indexed queries.
- Deliver: the same digests sent for real, through the app's client, to the Slack
  emulator (a local HTTP server), exactly once each.
- Peak RSS of this process (ru_maxrss) after both.

PostgreSQL runs when ``--postgres URL`` is given or STAGECOACH_TEST_POSTGRES_URL is set:
in a schema of its own, dropped afterwards. SQLite uses a temp file.

A failed or missing delivery ends the bench with a non-zero exit before its figures. ``--smoke`` is the
small size the test suite runs (SQLite only).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import Runtime  # noqa: E402
from bot.digest import compute  # noqa: E402
from bot.digest.deliver import deliver_due  # noqa: E402
from bot.digest.types import RepDigest  # noqa: E402
from bot.slack.client import make_client  # noqa: E402
from bot.slack.digest import poster  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import CriterionCheck, Deal, DealStatus, FollowUp, Rep, Role, StageChange, Team  # noqa: E402
from storage.timeutil import zone  # noqa: E402
from tests.utils.slack_emulator import SlackEmulator  # noqa: E402

DAY = date(2026, 11, 23)  # a Monday
NOW = datetime.combine(DAY, clock(12), tzinfo=UTC)
TIMEZONES = ("America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London", "Europe/Berlin",
             "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")
TEAM_SIZE = 20
CHUNK = 5_000


def generate(url: str, reps: int, deals: int, seed: int = 11) -> None:
    """Write the floor with bulk inserts (in a child process, so its memory is not the benchmark's)."""
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate(engine)
    process = Runtime(Settings(database_url=url), engine=engine).process
    stages = process.stages
    with engine.begin() as conn:
        teams = max(1, reps // TEAM_SIZE)
        conn.execute(insert(Team), [{"id": t + 1, "name": f"Team {t + 1}", "timezone": TIMEZONES[t % len(TIMEZONES)]}
                                    for t in range(teams)])
        people, owners = [], []
        for t in range(teams):
            manager_id = len(people) + 1
            people.append({"id": manager_id, "name": f"Manager {t + 1}", "email": f"m{t + 1}@bench.example",
                           "slack_user_id": f"UM{t + 1:05d}", "role": Role.manager, "team_id": t + 1,
                           "timezone": TIMEZONES[t % len(TIMEZONES)]})
        for r in range(reps):
            rep_id = len(people) + 1
            team = r % teams + 1
            people.append({"id": rep_id, "name": f"Rep {r + 1}", "email": f"r{r + 1}@bench.example",
                           "slack_user_id": f"UR{r + 1:05d}", "role": Role.rep, "team_id": team,
                           "manager_id": team, "timezone": TIMEZONES[(team - 1) % len(TIMEZONES)]})
            owners.append(rep_id)
        conn.execute(insert(Rep), people)

    for start in range(0, deals, CHUNK):
        deal_rows, followups, checks, changes = [], [], [], []
        for n in range(start, min(deals, start + CHUNK)):
            deal_id = n + 1
            index = rng.randrange(len(stages))
            stage = stages[index]
            entered = NOW - timedelta(days=rng.randint(0, int(stage.expected_days * 1.3)), hours=rng.randint(0, 23))
            status = DealStatus.open if rng.random() < 0.7 else rng.choice([DealStatus.won, DealStatus.lost])
            deal_rows.append({
                "id": deal_id, "external_id": f"B-{deal_id}", "name": f"Deal {deal_id}", "account": f"Account {n % 9000}",
                "owner_id": owners[n % len(owners)], "stage_key": stage.key, "amount": Decimal(rng.randint(5, 500) * 1000),
                "status": status, "created_at": entered - timedelta(days=30), "stage_entered_at": entered,
                "close_date": (NOW + timedelta(days=rng.randint(-5, 90))).date(),
                "closed_at": entered + timedelta(days=1) if status != DealStatus.open else None})
            for _ in range(rng.choice((0, 1, 1, 2))):
                due = NOW + timedelta(days=rng.randint(-10, 20), hours=rng.randint(-12, 12))
                followups.append({"deal_id": deal_id, "due_at": due, "note": "Check in", "created_at": due - timedelta(days=7),
                                  "done_at": due if rng.random() < 0.4 else None})
            for criterion in stage.exit_criteria[: rng.randint(0, len(stage.exit_criteria))]:
                checks.append({"deal_id": deal_id, "stage_key": stage.key, "criterion_key": criterion.key, "met": True,
                               "checked_at": entered + timedelta(hours=1)})
            if index:
                changes.append({"deal_id": deal_id, "from_stage": stages[index - 1].key, "to_stage": stage.key,
                                "changed_at": entered, "source": "bench"})
            if status != DealStatus.open:
                changes.append({"deal_id": deal_id, "from_stage": stage.key, "to_stage": status.value,
                                "changed_at": entered + timedelta(days=1), "source": "bench"})
        with engine.begin() as conn:
            conn.execute(insert(Deal), deal_rows)
            if followups:
                conn.execute(insert(FollowUp), followups)
            if checks:
                conn.execute(insert(CriterionCheck), checks)
            if changes:
                conn.execute(insert(StageChange), changes)
    if engine.dialect.name == "postgresql":
        # The state autovacuum leaves a table in after a bulk load: statistics for the planner, and the
        # visibility map that lets index-only scans skip the table. VACUUM cannot run in a transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE rep, deal, followup, criterioncheck, stagechange, digestdelivery"))
    engine.dispose()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(label: str, url: str, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=generate, args=(url, args.reps, args.deals))
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit(f"{label}: generating the data failed")
    print(f"{label}: generated {args.reps} reps, {args.deals} deals in {time.perf_counter() - started:.1f} s")

    runtime = Runtime(Settings(database_url=url, home=Path(tempfile.gettempdir())), engine=make_engine(url))
    runtime.process  # noqa: B018 - the map is loaded once per process, not per run
    before = rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    with runtime.session() as session:
        schedule = compute.due_on(session=session, settings=runtime.settings, day=DAY)
    people = items = 0
    for digests in compute.build_in_batches(runtime, schedule.dues):
        people += len(digests)
        items += sum(len(d.items) if isinstance(d, RepDigest) else len(d.overdue_by_rep) + len(d.stuck) + len(d.moves)
                     for d in digests)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    # CPU time is this process's alone: on a busy machine the wall time also counts waiting for a core.
    print(f"{label}: computed {people} digests ({items} items) in {seconds:.2f} s wall, {cpu_seconds:.2f} s CPU"
          f"   [aim ≤ 2 s]")

    if not args.no_deliver:
        with SlackEmulator() as slack:
            settings = runtime.settings.model_copy(update={"slack_bot_token": "xoxb-bench", "slack_api_url": slack.base_url})
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = deliver_due(runtime, poster(make_client(settings)), day=DAY, now=NOW, workers=args.workers)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            posts = len(slack.calls_to("chat.postMessage"))
        if not summary.ok or posts != len(summary.of("sent")) or not summary.of("sent"):
            raise SystemExit(f"FAILED: {label}: " + "; ".join(summary.lines()) + f"; {posts} DMs received")
        print(f"{label}: delivered in {seconds:.2f} s wall, {cpu_seconds:.2f} s CPU (with the emulator's threads)"
              f" — {summary.headline()}; {posts} DMs received by the emulator")
    print(f"{label}: peak RSS {rss_mb():.0f} MB (after loading code and map: {before:.0f} MB)   [aim ≤ 400 MB]")
    runtime.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4, help="DMs in flight at once")
    parser.add_argument("--postgres", default=os.environ.get("STAGECOACH_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL (default: STAGECOACH_TEST_POSTGRES_URL)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-deliver", action="store_true", help="compute only")
    parser.add_argument("--smoke", action="store_true", help="a small size for the test suite")
    args = parser.parse_args()
    if args.smoke:
        args.reps, args.deals = 40, 400
    for zone_name in TIMEZONES:
        zone(zone_name)

    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench("sqlite", f"sqlite:///{tmp}/bench.db", args)
    if args.postgres and not args.smoke:  # the suite runs its own PostgreSQL variants
        schema = f"digest_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in args.postgres else "?"
            bench("postgres", f"{args.postgres}{separator}options=-csearch_path%3D{schema}", args)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
