"""Fixtures of the importer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.runtime import Runtime
from storage.db import make_engine, migrate
from tests.conftest import SMALL_PROCESS
from tests.importer.helpers import REPS_CSV, run


@pytest.fixture
def cli(runtime, db_url):
    """Runs ``stagecoach import ...`` against the test database, as a user would (the small map active)."""
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
    runtime.process  # noqa: B018

    def invoke(*args: str):
        return CliRunner().invoke(main, ["import", *args], env=env)

    return invoke


@pytest.fixture
def with_reps(runtime):
    """The test runtime with the reps of ``tests/data/csv/reps.csv`` imported."""
    run(runtime, "reps", REPS_CSV)
    return runtime


@pytest.fixture
def baseline(tmp_path, settings) -> Iterator[Runtime]:
    """A second, empty SQLite database with the same reps, for an import done another way to compare with."""
    url = f"sqlite:///{tmp_path / 'baseline.db'}"
    engine = make_engine(url)
    migrate(engine)
    runtime = Runtime(settings.model_copy(update={"database_url": url}), engine=engine)
    run(runtime, "reps", REPS_CSV)
    yield runtime
    engine.dispose()
