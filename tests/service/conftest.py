"""Fixtures of the service tests: the coach tests' small sales floor."""

from tests.bot.coach_fixtures import floor  # noqa: F401  (a fixture, used by name)
