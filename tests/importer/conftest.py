"""Fixtures of the importer tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.conftest import SMALL_PROCESS


@pytest.fixture
def cli(runtime, db_url):
    """Runs ``stagecoach import ...`` against the test database, as a user would (the small map active)."""
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
    runtime.process  # noqa: B018

    def invoke(*args: str):
        return CliRunner().invoke(main, ["import", *args], env=env)

    return invoke
