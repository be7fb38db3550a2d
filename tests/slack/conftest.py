import pytest

from bot.coach.engine import Coach
from bot.core.config import Settings
from bot.core.runtime import Runtime
from tests.bot.coach_fixtures import floor  # noqa: F401  (fixture)
from tests.conftest import isolate_environment
from tests.slack.harness import make_slack, team_channel  # noqa: F401  (fixture)


@pytest.fixture
def slack(runtime, floor, team_channel):  # noqa: F811
    """A running app with the composer coach (no LLM, no retriever) on the floor's data."""
    with make_slack(runtime, floor)() as running:
        yield running


@pytest.fixture(scope="session", autouse=True)
def _router_loaded(tmp_path_factory):
    """The intent router (model load, example embeddings) once per test process, before any Slack wait starts:
    the app warms it in the background too, but a slow machine could take longer than an emulator wait.

    It runs before any test's own isolation, so it isolates itself: none of the developer's ``STAGECOACH_*``
    settings, and a temp data directory (the router cache included) instead of the repository's ``.stagecoach/``.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, tmp_path_factory.mktemp("router-home"))
        Coach(Runtime(Settings())).warm_up()  # routes one question, so the model is loaded even with cached vectors
