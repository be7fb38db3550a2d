"""HubSpot sync benchmark: API calls, the time they would take at HubSpot's limits, local speed and memory.

Usage: python bench/sync_bench.py [--deals 100000] [--changed 1000] [--reps 50] [--postgres URL]

A HubSpot emulator (tests/utils/hubspot_emulator.py, its rate limits off) runs in a child process with
``--deals`` deals on HubSpot's default pipeline, each with 5 stage changes (the last one closing it won or
lost), owned by ``--reps`` owners who are reps here. The bench runs the first (full) sync, then changes
``--changed`` deals in HubSpot and runs an incremental sync. For each it prints the API calls (all, and
search calls), the time those calls take at least at HubSpot's default limits for a private app (100
calls per 10 s, search 5 per second), the local processing speed and the peak resident memory of this
process. Local processing is the sync's wall time less the time spent waiting for the emulator's replies
(``Budget.http_seconds``): it includes decoding the replies, mapping, checking and writing (SQLite's
commits too); its CPU time, the same work measured by this process's CPU clock, is printed beside it
(on a busy machine the fairer figure). The emulator runs in a child process, outside both. Exits 1 if any deal is missing, the incremental sync reads other than
the changed deals, or a second incremental sync changes anything.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.import_bench import PeakRss, rss_mb  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import Runtime  # noqa: E402
from bot.sync.engine import SyncSummary, sync  # noqa: E402
from bot.sync.hubspot import HubSpotSource, client_for  # noqa: E402
from storage.models import Deal, Rep, StageChange  # noqa: E402
from tests.utils.hubspot_emulator import HubSpotEmulator  # noqa: E402

TOKEN = "pat-bench-0000-1111-2222"
CALLS_PER_10S, SEARCH_PER_SECOND = 100, 5  # HubSpot's default limits for a private app
PATH = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent"]


def serve_account(deals: int, reps: int, conn) -> None:
    """The child process: an emulated account, then edits on request ("edit", n) until ("stop",)."""
    rng = random.Random(7)
    with HubSpotEmulator(token=TOKEN, limit_per_10s=None, search_per_second=None) as hubspot:
        hubspot.add_default_pipeline()
        for i in range(reps):
            hubspot.add_owner(str(100 + i), f"rep{i}@example.com", "Rep", str(i))
        companies = [hubspot.add_company(f"Company {i}") for i in range(200)]
        now = datetime.now(UTC)
        ids = []
        for i in range(deals):
            created = now - timedelta(days=400) + timedelta(seconds=rng.randrange(200 * 86400))
            deal = hubspot.add_deal(name=f"Deal {i}", stage=PATH[0], owner=str(100 + i % reps),
                                    amount=str(rng.randrange(1000, 90000)), company=companies[i % len(companies)],
                                    created=created, close_date=(created + timedelta(days=90)).date().isoformat())
            at = created
            for stage in [*PATH[1:], rng.choice(["closedwon", "closedlost"])]:  # 5 stage changes
                at += timedelta(days=rng.randrange(1, 30), seconds=rng.randrange(86400))
                hubspot.edit_deal(deal, dealstage=stage, at=at)
            ids.append(deal)
        conn.send(hubspot.base_url)
        while True:
            command = conn.recv()
            if command[0] == "stop":
                return
            at = datetime.now(UTC) - timedelta(seconds=2)
            for deal in rng.sample(ids, command[1]):
                hubspot.edit_deal(deal, amount=str(rng.randrange(1000, 90000)), at=at)
            conn.send("edited")


def timed(label: str, runtime: Runtime, *, full: bool) -> tuple[SyncSummary, float]:
    with client_for(runtime.settings) as client:
        started, cpu = time.perf_counter(), time.process_time()
        with PeakRss() as memory:
            summary = sync(runtime, HubSpotSource(client), full=full, budget=client.budget)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        budget = client.budget
    at_limits = max(budget.calls / (CALLS_PER_10S / 10), budget.search_calls / SEARCH_PER_SECOND)
    local = wall - budget.http_seconds  # our code's time: the run's, less the time waiting for the emulator's replies
    print(f"{label}: {summary.deals_read:,} deals, {summary.stage_changes:,} stage changes, "
          f"{summary.property_changes:,} close-date/amount changes; {budget.calls:,} API calls "
          f"({budget.search_calls:,} search); at HubSpot's default limits at least {at_limits / 60:.1f} min; "
          f"here {wall:.1f} s wall, of which {budget.http_seconds:.1f} s waiting for replies; local processing "
          f"{local:.1f} s wall ({_rate(summary.deals_read, local)} deals/s), {cpu:.1f} s CPU "
          f"({_rate(summary.deals_read, cpu)} deals/s); peak RSS {memory.peak:.0f} MB")
    print("   calls by endpoint: " + ", ".join(f"{path} {n}" for path, n in sorted(budget.by_path.items())))
    return summary, memory.peak


def _rate(deals: int, seconds: float) -> str:
    return f"{deals / seconds:,.0f}" if seconds > 0 and deals else "-"


def deal_count(runtime: Runtime) -> tuple[int, int]:
    with runtime.session() as session:
        return (session.execute(select(func.count()).select_from(Deal)).scalar_one(),
                session.execute(select(func.count()).select_from(StageChange)).scalar_one())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database instead of a SQLite file")
    args = parser.parse_args()
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    emulator = context.Process(target=serve_account, args=(args.deals, args.reps, child), daemon=True)
    print(f"building an account of {args.deals:,} deals...", flush=True)
    emulator.start()
    base_url = parent.recv()
    problems = []
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), database_url=args.postgres, hubspot_access_token=TOKEN,
                            hubspot_api_url=base_url, sync_lag_seconds=0, sync_lookback_seconds=1,
                            hubspot_calls_per_10s=10_000, hubspot_search_per_second=100)
        runtime = Runtime(settings)
        with runtime.session() as session:
            session.add_all(Rep(email=f"rep{i}@example.com", name=f"Rep {i}") for i in range(args.reps))
        print(f"RSS before syncing: {rss_mb():.0f} MB")
        first, _ = timed("first sync", runtime, full=False)
        deals, changes = deal_count(runtime)
        if deals != args.deals or first.created != args.deals:
            problems.append(f"first sync: {deals} deals stored, {first.created} created; expected {args.deals}")
        if changes != first.stage_changes or first.stage_changes < 5 * args.deals:
            problems.append(f"first sync: {changes} stage changes stored, {first.stage_changes} recorded; "
                            f"expected at least {5 * args.deals} (5 per deal)")
        time.sleep(1.1)  # the incremental window starts after the first sync's end, to the millisecond
        parent.send(("edit", args.changed))
        parent.recv()
        time.sleep(0.1)
        incremental, _ = timed("incremental sync", runtime, full=False)
        if incremental.deals_read != args.changed or incremental.updated != args.changed:
            problems.append(f"incremental sync read {incremental.deals_read} and updated {incremental.updated}; "
                            f"expected {args.changed}")
        time.sleep(1.1)
        again, _ = timed("sync with nothing changed", runtime, full=False)
        if again.deals_read or deal_count(runtime) != (deals, changes):
            problems.append(f"an unchanged account: {again.deals_read} deal(s) read")
        if args.postgres is None:
            runtime.engine.dispose()
    parent.send(("stop",))
    emulator.join(timeout=30)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
