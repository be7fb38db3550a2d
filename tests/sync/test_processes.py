"""Whole `stagecoach sync hubspot` processes: killed at a random moment, or two at once, equal one clean sync."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.runtime import Runtime
from tests.conftest import SMALL_PROCESS, fresh_database
from tests.sync.conftest import STAGES, TOKEN, add_owners, dump
from tests.utils import factories
from tests.utils.hubspot_emulator import HubSpotEmulator

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


@pytest.fixture
def account():
    """1,000 deals with history, on the real clock (the command line's)."""
    rng = random.Random(3)
    with HubSpotEmulator(token=TOKEN, limit_per_10s=None, search_per_second=None) as emulator:
        emulator.add_pipeline("default", "Sales Pipeline", STAGES)
        add_owners(emulator)
        start = datetime.now(UTC) - timedelta(days=60)
        for n in range(1000):
            created = start + timedelta(minutes=n * 7)
            deal = emulator.add_deal(name=f"Deal {n}", stage="s-discover", owner=rng.choice(["501", "502"]),
                                     amount=str(rng.randrange(100, 9000)), created=created)
            emulator.edit_deal(deal, dealstage=rng.choice(["s-validate", "s-close", "s-won"]),
                               at=created + timedelta(days=rng.randrange(1, 20)))
        yield emulator


def _sync_process(db_url: str, account: HubSpotEmulator) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STAGECOACH_DATABASE_URL": db_url,
           "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS), "HUBSPOT_ACCESS_TOKEN": TOKEN,
           "STAGECOACH_HUBSPOT_API_URL": account.base_url}
    return subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "sync", "hubspot", "-q"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _with_reps(url: str, settings) -> Runtime:
    runtime = Runtime(settings.model_copy(update={"database_url": url}))
    with runtime.session() as session:
        factories.rep(session, "Ann Archer")
        factories.rep(session, "Bob Baker")
    return runtime


def _clean_dump(account, settings, tmp_path, backend) -> dict:
    with fresh_database(backend, tmp_path / "clean.db") as url:
        runtime = _with_reps(url, settings)
        process = _sync_process(url, account)
        assert process.wait(timeout=600) == 0, process.stdout.read()
        tables = dump(runtime)
        runtime.engine.dispose()
        return tables


def _backend(db_url: str) -> str:
    return "postgres" if db_url.startswith("postgresql") else "sqlite"


def test_kill_9_at_a_random_moment_then_a_sync_equals_one_clean_sync(account, settings, db_url, tmp_path):
    runtime = _with_reps(db_url, settings)
    victim = _sync_process(db_url, account)
    time.sleep(random.uniform(1.0, 4.0))
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    again = _sync_process(db_url, account)  # takes over the dead runner's lease
    assert again.wait(timeout=600) == 0, again.stdout.read()
    assert dump(runtime) == _clean_dump(account, settings, tmp_path, _backend(db_url))


def test_two_syncs_at_once_equal_one(account, settings, db_url, tmp_path):
    runtime = _with_reps(db_url, settings)
    first, second = _sync_process(db_url, account), _sync_process(db_url, account)
    outcomes = sorted([first.wait(timeout=600), second.wait(timeout=600)])
    outputs = first.stdout.read() + second.stdout.read()
    assert outcomes[0] == 0, outputs
    if outcomes[1] != 0:  # the one that found the other running says so in one line
        assert "already running" in outputs
    assert dump(runtime) == _clean_dump(account, settings, tmp_path, _backend(db_url))
