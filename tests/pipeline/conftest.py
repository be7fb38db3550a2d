"""Fixtures of the pipeline tests."""

from tests.pipeline.history import history  # noqa: F401  (fixture)
