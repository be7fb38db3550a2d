"""Fixtures of the coach tests: the sales floor, and a coach on the test runtime."""

import pytest

from bot.coach.engine import Coach
from tests.bot.coach_fixtures import floor  # noqa: F401  (a fixture, used by name)


@pytest.fixture
def coach(runtime):
    return Coach(runtime)
