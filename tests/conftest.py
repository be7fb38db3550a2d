"""Shared fixtures: no test touches real state, the network, the real date, or another test's database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.core.config import Settings
from bot.core.runtime import Runtime
from storage.db import make_engine, migrate
from storage.timeutil import FixedClock, SystemClock
from tests.utils import clock_shift
from tests.utils.factories import NOW

DATA = Path(__file__).parent / "data"
SMALL_PROCESS = DATA / "process_small.yaml"
POSTGRES_URL = os.environ.get("STAGECOACH_TEST_POSTGRES_URL")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--clock-shift-days", type=int, default=0, metavar="N",
                     help="Run every test with the system clock moved N days (negative: back). "
                          "Proves no test depends on the day it runs.")


_TRAVELLER = pytest.StashKey[object]()


def pytest_configure(config: pytest.Config) -> None:
    # Every process of the run calls this, xdist workers included, so each one moves its own clock.
    config.stash[_TRAVELLER] = clock_shift.start(config.getoption("clock_shift_days"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if traveller := config.stash.get(_TRAVELLER, None):
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption("clock_shift_days")
    return f"clock shifted {days:+d} days: now is {SystemClock().now():%Y-%m-%d %H:%M} UTC" if days else None


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_environment(monkeypatch, tmp_path / "home")


def isolate_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Clear every setting a developer's shell might carry; point the data directory at ``home``."""
    for name in list(os.environ):
        if name.startswith(("STAGECOACH_", "OPENAI_", "SLACK_")) and name != "STAGECOACH_TEST_POSTGRES_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STAGECOACH_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


def _backends() -> list:
    backends = [pytest.param("sqlite", id="sqlite")]
    if POSTGRES_URL:
        backends.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))
    return backends


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a private schema on the test PostgreSQL."""
    with fresh_database(request.param, tmp_path / "test.db") as url:
        yield url


@contextmanager
def fresh_database(backend: str, sqlite_file: Path) -> Iterator[str]:
    """An empty database of ``backend`` ("sqlite" or "postgres"), dropped afterwards on PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=db_url, process_file=SMALL_PROCESS)


@pytest.fixture
def clock() -> FixedClock:
    """The program's time in a test: the moment the fixtures' dates are stated against."""
    return FixedClock(NOW)


@pytest.fixture
def runtime(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    """A runtime on the test database with the small process map active, on the test clock."""
    return Runtime(settings, engine=engine, clock=clock)
