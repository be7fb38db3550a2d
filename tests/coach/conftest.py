"""Fixtures of the conversation tests: the coach tests' sales floor."""

from tests.bot.coach_fixtures import floor  # noqa: F401  (a fixture, used by name)
