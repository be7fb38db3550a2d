"""CRM sync benchmark: API calls, the time they would take at the CRM's limits, local speed and memory.

Usage: python bench/sync_bench.py [--crm hubspot|salesforce] [--deals 100000] [--changed 1000] [--reps 50]
       [--postgres URL]

``--crm salesforce``: the same with a Salesforce emulator (tests/utils/salesforce_emulator.py): ``--deals``
opportunities with 5 OpportunityHistory rows each (created in Prospecting, then three stage moves and a
close), a first sync by query/queryMore (REST) and another into an empty database by Bulk API 2.0 query
jobs, with the break-even size of Bulk in API calls from the two measured; then ``--changed`` changed
opportunities and a sync with nothing changed. Exits 1 when a sync misses or doubles anything.

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
    parser.add_argument("--crm", choices=("hubspot", "salesforce"), default="hubspot")
    args = parser.parse_args()
    if args.crm == "salesforce":
        return salesforce_main(args)
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


# ---- Salesforce ------------------------------------------------------------------------------------------------

SF_CLIENT_ID, SF_USER = "3MVG9_bench_consumer_key", "stagecoach@bench.example"
SF_PATH = ["Qualification", "Needs Analysis", "Value Proposition"]  # after Prospecting, before the close


def serve_org(deals: int, reps: int, public_pem: bytes, conn) -> None:
    """The child process: an emulated org, then edits on request ("edit", n) until ("stop",)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from tests.utils.salesforce_emulator import SalesforceEmulator

    rng = random.Random(7)
    with SalesforceEmulator(daily_limit=10_000_000) as org:
        org.bulk_page = 50_000
        org.add_app(SF_CLIENT_ID, load_pem_public_key(public_pem))
        now = datetime.now(UTC).replace(microsecond=0)
        org.add_user(now - timedelta(days=500), Username=SF_USER, FirstName="Stage", LastName="Coach", Email=SF_USER)
        owners = [org.add_user(now - timedelta(days=500), Username=f"rep{i}@example.com", FirstName="Rep",
                               LastName=str(i), Email=f"rep{i}@example.com") for i in range(reps)]
        for label, closed, won in (("Prospecting", False, False), *((name, False, False) for name in SF_PATH),
                                   ("Closed Won", True, True), ("Closed Lost", True, False)):
            org.add_stage(label, now - timedelta(days=500), closed=closed, won=won)
        accounts = [org.add_account(f"Company {i}", now - timedelta(days=500)) for i in range(200)]
        ids = []
        for i in range(deals):
            created = now - timedelta(days=400) + timedelta(seconds=rng.randrange(200 * 86400))
            deal = org.add_opportunity(created, Name=f"Deal {i}", StageName="Prospecting", OwnerId=owners[i % reps],
                                       AccountId=accounts[i % len(accounts)], Amount=rng.randrange(1000, 90000),
                                       CloseDate=(created + timedelta(days=90)).date(), CreatedDate=created)
            at = created
            for stage in [*SF_PATH, rng.choice(["Closed Won", "Closed Lost"])]:  # 4 more history rows: 5 in all
                at += timedelta(days=rng.randrange(1, 30), seconds=rng.randrange(86400))
                org.edit_opportunity(deal, at, StageName=stage)
            ids.append(deal)
        conn.send(org.instance_url)
        while True:
            command = conn.recv()
            if command[0] == "stop":
                return
            at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
            for deal in rng.sample(ids, command[1]):
                org.edit_opportunity(deal, at, Amount=rng.randrange(1000, 90000))
            conn.send(org.api_used)


def sf_timed(label: str, runtime: Runtime, *, bulk: bool):
    from bot.sync.salesforce import SalesforceSource
    from bot.sync.salesforce import client_for as sf_client_for

    with sf_client_for(runtime.settings) as client:
        source = SalesforceSource(client, bulk_min=1 if bulk else None, sleep=lambda seconds: None)
        started, cpu = time.perf_counter(), time.process_time()
        with PeakRss() as memory:
            summary = sync(runtime, source, budget=client.usage)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    speed = summary.deals_read / wall if wall else 0.0
    print(f"{label}: {summary.deals_read:,} deals, {summary.stage_changes:,} stage changes; "
          f"{summary.api_calls:,} API calls ({source.bulk_calls:,} of them Bulk API 2.0); here {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU ({speed:,.0f} deals/s); peak RSS {memory.peak:.0f} MB", flush=True)
    summary.notes.append(f"bulk calls: {source.bulk_calls}")
    return summary


def salesforce_main(args) -> int:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    emulator = context.Process(target=serve_org, args=(args.deals, args.reps, public, child), daemon=True)
    print(f"building an org of {args.deals:,} opportunities with 5 history rows each...", flush=True)
    emulator.start()
    instance_url = parent.recv()
    problems = []
    with tempfile.TemporaryDirectory() as home:
        key_file = Path(home) / "server.key"
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        runtimes = []
        for name in ("rest", "bulk"):
            url = args.postgres if args.postgres and name == "rest" else f"sqlite:///{home}/{name}.db"
            settings = Settings(home=Path(home), database_url=url, salesforce_instance_url=instance_url,
                                salesforce_client_id=SF_CLIENT_ID, salesforce_username=SF_USER,
                                salesforce_private_key_file=key_file, sync_lag_seconds=0, sync_lookback_seconds=1)
            runtime = Runtime(settings)
            with runtime.session() as session:
                session.add_all(Rep(email=f"rep{i}@example.com", name=f"Rep {i}") for i in range(args.reps))
            runtimes.append(runtime)
        print(f"RSS before syncing: {rss_mb():.0f} MB")
        rest = sf_timed("first sync by query/queryMore (REST)", runtimes[0], bulk=False)
        bulk = sf_timed("first sync by Bulk API 2.0", runtimes[1], bulk=True)
        for summary, runtime in ((rest, runtimes[0]), (bulk, runtimes[1])):
            if deal_count(runtime)[0] != args.deals or summary.created != args.deals:
                problems.append(f"first sync: {deal_count(runtime)[0]} deals stored, {summary.created} created; "
                                f"expected {args.deals}")
        if rest.notes[-1] != "bulk calls: 0" or bulk.notes[-1] == "bulk calls: 0":
            problems.append("the REST sync used Bulk API 2.0, or the Bulk sync did not")
        if deal_count(runtimes[0]) != deal_count(runtimes[1]):
            problems.append(f"REST and Bulk first syncs differ: {deal_count(runtimes[0])} != {deal_count(runtimes[1])}")
        # calls = fixed + per-deal: Bulk's fixed part is its jobs' create and polls, REST's is nearly nothing
        fixed = 6  # stages, users, describe, the integration user's deals, the count, the delete log or ids
        rest_per_deal = (rest.api_calls - fixed) / args.deals
        bulk_fixed = fixed + 2 * 4  # ... and per job a create and three looks at its state
        bulk_per_deal = max(bulk.api_calls - bulk_fixed, 0) / args.deals
        if rest_per_deal > bulk_per_deal:
            print(f"break-even in API calls: Bulk costs fewer from "
                  f"{(bulk_fixed - fixed) / (rest_per_deal - bulk_per_deal):,.0f} "
                  f"opportunities (REST {rest_per_deal * 1000:.1f} calls per 1,000; Bulk {bulk_fixed} + "
                  f"{bulk_per_deal * 1000:.2f} per 1,000), before its jobs' wait in Salesforce's queue")
        time.sleep(1.1)
        parent.send(("edit", args.changed))
        parent.recv()
        time.sleep(0.1)
        changed = sf_timed("incremental sync", runtimes[0], bulk=False)
        if changed.deals_read != args.changed or changed.updated != args.changed:
            problems.append(f"incremental sync read {changed.deals_read} and updated {changed.updated}; "
                            f"expected {args.changed}")
        time.sleep(1.1)
        before = deal_count(runtimes[0])
        again = sf_timed("sync with nothing changed", runtimes[0], bulk=False)
        if again.created or again.updated or deal_count(runtimes[0]) != before:
            problems.append(f"an unchanged org: {again.created} created, {again.updated} updated")
        for runtime in runtimes:
            runtime.engine.dispose()
    parent.send(("stop",))
    emulator.join(timeout=30)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
