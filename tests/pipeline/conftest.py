"""Fixtures of the pipeline tests."""

from tests.pipeline.closed import closed_history  # noqa: F401  (fixture)
from tests.pipeline.history import history  # noqa: F401  (fixture)
