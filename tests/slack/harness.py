"""The real Bolt app over HTTP on 127.0.0.1, a Slack Web API emulator, and signed requests to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from bot.coach.engine import Coach
from bot.core.config import Settings
from bot.core.llm import make_chat_model
from bot.core.runtime import Runtime
from bot.slack.app import create_app
from bot.slack.priority import ListenerPool
from bot.slack.server import SlackHttpServer, listen
from tests.bot.coach_fixtures import Floor
from tests.utils.openai_server import FakeOpenAI
from tests.utils.slack_emulator import SlackEmulator, SlackSender

SECRET = "test-signing-secret"
SETTLE_SECONDS = 60  # generous: a loaded machine is slow, and an idle app returns at once
TEAM_CHANNEL = "C0EAST"
OTHER_CHANNEL = "C0RANDOM"


@dataclass
class Slack:
    """One running app: send with ``sender``, read what it said in ``emulator``."""

    emulator: SlackEmulator
    sender: SlackSender
    url: str
    runtime: Runtime
    floor: Floor
    listeners: ListenerPool

    def dm(self, rep, text: str, *, ts: str = "1700000100.000100", **kwargs):
        event = {"type": "message", "channel_type": "im", "channel": dm_channel(rep), "user": rep.slack_user_id,
                 "text": text, "ts": ts}
        return self.sender.event({**event, **kwargs})

    def mention(self, rep, text: str, *, channel: str = OTHER_CHANNEL, ts: str = "1700000200.000200",
                thread_ts: str | None = None):
        event = {"type": "app_mention", "channel": channel, "user": rep.slack_user_id, "ts": ts,
                 "text": f"<@U0BOT> {text}"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.sender.event(event)

    def click(self, rep, action_id: str, value: str, **kwargs):
        return self.sender.block_action(user_id=rep.slack_user_id, action_id=action_id, value=value, **kwargs)

    def texts(self, method: str) -> str:
        """Everything said through ``method``: fallback texts, block texts and streamed chunks, as one string."""
        return "\n".join(_all_text(body) for body in self.emulator.calls_to(method))


def dm_channel(rep) -> str:
    return f"D{rep.slack_user_id}"


def _all_text(value) -> str:
    if isinstance(value, dict):
        return "\n".join(_all_text(v) for k, v in value.items() if k not in ("token",))
    if isinstance(value, list):
        return "\n".join(_all_text(v) for v in value)
    return str(value) if isinstance(value, str) else ""


def slack_settings(settings: Settings, emulator: SlackEmulator, **extra) -> Settings:
    return settings.model_copy(update={"slack_bot_token": "xoxb-test", "slack_signing_secret": SECRET,
                                       "slack_api_url": emulator.base_url, **extra})


@contextmanager
def running_app(runtime: Runtime, coach: Coach | None) -> Iterator[str]:
    """The Bolt app served on a free port in a thread; yields the events URL."""
    with running_server(runtime, coach) as server:
        yield server.url


@contextmanager
def running_server(runtime: Runtime, coach: Coach | None, **options) -> Iterator[SlackHttpServer]:
    """The Bolt app (``create_app(runtime, coach=coach, **options)``) served on a free port in a thread."""
    server = SlackHttpServer(create_app(runtime, coach=coach, **options), listen("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(5)


# The model's first reply in LLM mode: the tool for Globex's plan; its wording comes next.
GLOBEX_PLAN = {"tool_calls": [{"name": "deal_plan", "arguments": {"deal": "Globex"}}]}


def llm_coach(runtime: Runtime, server: FakeOpenAI, timeout: float = 20.0) -> Coach:
    settings = Settings(openai_api_key="sk-test", openai_base_url=server.base_url, llm_timeout=timeout)
    return Coach(runtime, chat_model=make_chat_model(settings))


def slack_runtime(runtime: Runtime, emulator: SlackEmulator) -> Runtime:
    """``runtime`` (its database and clock) with the Slack settings pointing at ``emulator``."""
    return Runtime(slack_settings(runtime.settings, emulator), engine=runtime.engine, clock=runtime.clock)


def make_slack(runtime: Runtime, floor: Floor, coach_for: Callable[[Runtime], Coach] | None = None):
    """A context manager: emulator + app on the floor's database; ``coach_for`` builds the coach (composer default)."""

    @contextmanager
    def started(users: dict[str, str] | None = None) -> Iterator[Slack]:
        with SlackEmulator(users=users) as emulator:
            app_runtime = slack_runtime(runtime, emulator)
            coach = coach_for(app_runtime) if coach_for else Coach(app_runtime)
            with running_server(app_runtime, coach) as server:
                sender = SlackSender(f"{server.url}/slack/events", SECRET, response_url=emulator.response_url())
                yield Slack(emulator, sender, server.url, app_runtime, floor, listeners_of(server))
                # Every listener has made its calls before the emulator closes.
                assert listeners_of(server).wait_until_idle(SETTLE_SECONDS), "listeners still busy at the end"
                refused = [] if emulator.allow_rejections else emulator.rejected()
                assert not refused, "Slack would refuse: " + "; ".join(f"{c.method}: {c.problems}" for c in refused)

    return started


def listeners_of(server: SlackHttpServer) -> ListenerPool:
    """The app's listener pool, which knows when every request acknowledged so far has been handled."""
    return server.app.listener_runner.listener_executor


@pytest.fixture
def team_channel(runtime, floor):
    from storage.models import Team

    with runtime.session() as s:
        team = s.get(Team, floor.alice.team_id)
        team.slack_channel_id = TEAM_CHANNEL
        s.add(team)
    return TEAM_CHANNEL


def submit_modal(slack, rep, callback_id: str, deal_id: int, values: dict):
    """Submit a deal modal as ``rep``: ``values`` maps each input block to its element's value."""
    state = {block: {block: value} for block, value in values.items()}
    return slack.sender.view_submission(user_id=rep.slack_user_id, callback_id=callback_id,
                                        private_metadata=json.dumps({"deal": deal_id}), values=state)


def text_input(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}
