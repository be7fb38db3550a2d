import pytest

from tests.bot.coach_fixtures import floor  # noqa: F401  (fixture)
from tests.slack.harness import make_slack, team_channel  # noqa: F401  (fixture)


@pytest.fixture
def slack(runtime, floor, team_channel):  # noqa: F811
    """A running app with the composer coach (no LLM, no retriever) on the floor's data."""
    with make_slack(runtime, floor)() as running:
        yield running
