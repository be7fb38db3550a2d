"""Under load, as bench/slack_bench.py found it: slow answers in flight must not cost a modal its
acknowledgement, and every question acknowledged with 200 must be answered.

Both run the real app over HTTP with a listener pool and a database pool sized so the defect shows with
a handful of questions instead of the bench's hundreds (the sizes are configuration, no code is replaced).
"""

from __future__ import annotations

import json

import pytest

from bot.coach.engine import Coach
from bot.core.runtime import Runtime
from bot.slack import ids
from bot.slack.answering import SORRY
from bot.slack.dedup import EventClaims
from storage.db import make_engine
from tests.slack.harness import GLOBEX_PLAN, SECRET, llm_coach, running_server, slack_settings, text_input
from tests.slack.test_degraded import refused
from tests.slack.waiting import wait_until
from tests.utils.openai_server import FakeOpenAI
from tests.utils.slack_emulator import SlackEmulator, SlackSender

QUESTION = "what should I do next on Globex?"
WORDED = "Send the pricing recap today, then agree written success criteria with the champion."


def answered(emulator: SlackEmulator, method: str, where: str, value: str) -> list[dict]:
    return [b for b in emulator.calls_to(method) if b.get(where) == value]


def test_a_modal_submission_is_acknowledged_while_every_listener_thread_is_on_a_slow_answer(runtime, floor):
    threads, questions = 2, 4  # two rounds of answers, each two model calls of a second: the pool is busy >3 s
    with FakeOpenAI(default_reply=WORDED, default_tool_reply=GLOBEX_PLAN, latency=1.0) as llm, \
            SlackEmulator() as emulator:
        app_runtime = Runtime(slack_settings(runtime.settings, emulator), engine=runtime.engine, clock=runtime.clock)
        with running_server(app_runtime, llm_coach(app_runtime, llm), listener_threads=threads) as server:
            url = f"{server.url}/slack/events"
            senders = [SlackSender(url, SECRET, response_url=emulator.response_url(f"q{i}")) for i in range(questions)]
            for sender in senders:
                assert sender.command("/coach", QUESTION, user_id=floor.alice.slack_user_id).status == 200
            wait_until(emulator, lambda: bool(llm.chat_requests()), what="answer work in flight")
            submitted = senders[0].view_submission(
                user_id=floor.alice.slack_user_id, callback_id=ids.ACTIVITY_VIEW,
                private_metadata=json.dumps({"deal": floor.globex.id}),
                values={ids.ACTIVITY_INPUT: {ids.ACTIVITY_INPUT: {"type": "static_select", "selected_option": None}},
                        ids.NOTE_INPUT: {ids.NOTE_INPUT: text_input("Called the CFO")}})
            # Bolt answers 404 when a listener has not acknowledged within Slack's 3 seconds.
            assert submitted.status == 200 and submitted.json()["response_action"] == "update"
            for i in range(questions):
                wait_until(emulator, lambda i=i: bool(answered(emulator, "response_url", "_to", f"q{i}")),
                           timeout=60, what=f"the answer to /coach q{i}")
            replies = [answered(emulator, "response_url", "_to", f"q{i}") for i in range(questions)]
    assert all(len(r) == 1 and "pricing recap" in r[0]["text"] for r in replies), replies


@pytest.fixture
def narrow_runtime(runtime, db_url):
    """The test database behind a pool of three connections (the default pool holds 15 for 32 listener threads)."""
    engine = make_engine(db_url, pool_size=3, max_overflow=0, pool_timeout=3)
    yield lambda settings: Runtime(settings, engine=engine, clock=runtime.clock)
    engine.dispose()


def test_every_acknowledged_question_is_answered_when_listener_threads_outnumber_connections(
        runtime, floor, narrow_runtime):
    threads, questions = 8, 8
    with SlackEmulator() as emulator:
        app_runtime = narrow_runtime(slack_settings(runtime.settings, emulator))
        with running_server(app_runtime, Coach(app_runtime), listener_threads=threads) as server:
            url = f"{server.url}/slack/events"
            sender = SlackSender(url, SECRET, response_url=emulator.response_url())
            channels = [f"DLOAD{i}" for i in range(questions)]
            replies = [sender.event({"type": "message", "channel_type": "im", "channel": channel,
                                     "user": floor.alice.slack_user_id, "text": QUESTION,
                                     "ts": f"1700000100.{i:06d}"}) for i, channel in enumerate(channels)]
            assert [r.status for r in replies] == [200] * questions
            for channel in channels:
                wait_until(emulator, lambda c=channel: bool(answered(emulator, "chat.postMessage", "channel", c)),
                           timeout=60, what=f"the answer in {channel}")
            posts = [answered(emulator, "chat.postMessage", "channel", c) for c in channels]
    assert all(len(p) == 1 and "Globex" in p[0]["text"] and SORRY not in p[0]["text"] for p in posts), posts


def test_a_claim_the_database_refuses_is_tried_three_times_then_logged(runtime, caplog):
    claims = EventClaims(runtime, retry_seconds=0.01)
    with refused(runtime, "processedevent", "INSERT"):
        claim = claims.claim("EvREFUSED")
        with pytest.raises(Exception, match="refused by the test|malformed JSON"):  # PostgreSQL | SQLite
            claim.result(timeout=30)
    assert [r.getMessage()[:40] for r in caplog.records if r.name == "bot.slack.dedup"] == [
        "could not record 1 Slack event(s) (attem", "could not record 1 Slack event(s) (attem",
        "could not record 1 Slack event(s); they "]
    assert claims.claim("EvREFUSED").result(timeout=30) is True  # the database takes it again: nothing was kept
