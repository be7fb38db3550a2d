"""The digest tests' sales floor, available to every test here."""

from tests.digest.fixtures import floor  # noqa: F401  (a fixture, used by name)
