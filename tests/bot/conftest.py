"""Fixtures of the coach tests."""

from tests.bot.coach_fixtures import floor  # noqa: F401  (a fixture, used by name)
