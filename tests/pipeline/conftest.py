"""Fixtures of the pipeline tests."""

from tests.pipeline.closed import closed_history  # noqa: F401  (fixture)
from tests.pipeline.history import history  # noqa: F401  (fixture)
from tests.pipeline.test_changes import waterfall  # noqa: F401, E402  (fixture: the forecast waterfall's deals)
from tests.pipeline.test_forecast import book  # noqa: F401, E402  (fixture: deals closing in Q4 by category)
from tests.pipeline.test_slippage import slips  # noqa: F401, E402  (fixture: deals pushed across quarters)
