"""Whole `stagecoach sync salesforce` processes: killed during a first sync, or two at once, equal one clean sync."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlmodel import func, select

from bot.core.runtime import Runtime
from storage.models import Deal
from tests.conftest import SMALL_PROCESS, fresh_database
from tests.sync.conftest import CLIENT_ID, USERNAME, dump
from tests.utils import clock_shift, factories
from tests.utils.salesforce_emulator import SalesforceEmulator

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


@pytest.fixture
def company(key, tmp_path):
    """An org on the real clock (the command line's): 2,000 opportunities with history, and the key's file."""
    rng = random.Random(7)
    key_file = tmp_path / "server.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    with SalesforceEmulator() as org:
        org.add_app(CLIENT_ID, key.public_key())
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
        org.add_user(start, Username=USERNAME, FirstName="Stage", LastName="Coach", Email=USERNAME)
        owners = [org.add_user(start, Username=f"{name}@acme.example", FirstName=name.title(), LastName=last,
                               Email=f"{name}.{last.lower()}@example.com")
                  for name, last in (("ann", "Archer"), ("bob", "Baker"))]
        for label, closed, won in (("Needs Analysis", False, False), ("Value Proposition", False, False),
                                   ("Closed Won", True, True), ("Closed Lost", True, False)):
            org.add_stage(label, start, closed=closed, won=won)
        for n in range(2000):
            created = start + timedelta(minutes=n * 2)
            deal = org.add_opportunity(created, Name=f"Deal {n}", StageName="Needs Analysis",
                                       OwnerId=rng.choice(owners), Amount=rng.randrange(100, 9000),
                                       CloseDate=date(2027, 1, 1), CreatedDate=created)
            org.edit_opportunity(deal, created + timedelta(days=rng.randrange(1, 9)), CloseDate=date(2027, 2, 1))
            org.edit_opportunity(deal, created + timedelta(days=rng.randrange(10, 20)),
                                 StageName=rng.choice(["Value Proposition", "Closed Won", "Closed Lost"]))
        yield org, key_file


def _sync_process(db_url: str, org: SalesforceEmulator, key_file: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STAGECOACH_DATABASE_URL": db_url,
           "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS), "SALESFORCE_INSTANCE_URL": org.instance_url,
           "SALESFORCE_CLIENT_ID": CLIENT_ID, "SALESFORCE_USERNAME": USERNAME,
           "SALESFORCE_PRIVATE_KEY_FILE": str(key_file)}
    return subprocess.Popen(clock_shift.command("sync", "salesforce"), cwd=clock_shift.REPO,  # this run's clock
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _with_reps(url: str, settings) -> Runtime:
    runtime = Runtime(settings.model_copy(update={"database_url": url}))
    with runtime.session() as session:
        factories.rep(session, "Ann Archer")
        factories.rep(session, "Bob Baker")
    return runtime


def _clean_dump(company, settings, tmp_path, db_url: str) -> dict:
    backend = "postgres" if db_url.startswith("postgresql") else "sqlite"
    with fresh_database(backend, tmp_path / "clean.db") as url:
        runtime = _with_reps(url, settings)
        process = _sync_process(url, *company)
        assert process.wait(timeout=600) == 0, process.stdout.read()
        tables = dump(runtime)
        runtime.engine.dispose()
        return tables


def _deal_count(runtime: Runtime) -> int:
    with runtime.session() as session:
        return session.exec(select(func.count()).select_from(Deal)).one()


def test_kill_9_during_a_first_sync_then_a_sync_equals_one_clean_sync(company, settings, db_url, tmp_path):
    runtime = _with_reps(db_url, settings)
    victim = _sync_process(db_url, *company)
    deadline = time.monotonic() + 120
    while _deal_count(runtime) == 0 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # killed once its first thousand is committed, at a random moment after
    time.sleep(random.uniform(0.0, 0.5))
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    assert _deal_count(runtime) < 2000  # it did die mid-sync
    again = _sync_process(db_url, *company)  # takes over the dead runner's lease, resumes at the cursor
    assert again.wait(timeout=600) == 0, again.stdout.read()
    assert dump(runtime) == _clean_dump(company, settings, tmp_path, db_url)


def test_two_salesforce_syncs_at_once_equal_one(company, settings, db_url, tmp_path):
    runtime = _with_reps(db_url, settings)
    first, second = _sync_process(db_url, *company), _sync_process(db_url, *company)
    outcomes = sorted([first.wait(timeout=600), second.wait(timeout=600)])
    outputs = first.stdout.read() + second.stdout.read()
    assert outcomes[0] == 0, outputs
    if outcomes[1] != 0:  # the one that found the other running says so in one line
        assert "already running" in outputs
    assert dump(runtime) == _clean_dump(company, settings, tmp_path, db_url)
