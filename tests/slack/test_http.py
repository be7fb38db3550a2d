"""HTTP mode as Slack sees it: signatures, the health check, quick acks, retries and rate limits."""

import json
import threading
import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.slack.dedup import EventClaims
from storage.models import ProcessedEvent
from tests.slack.harness import GLOBEX_PLAN, SECRET, llm_coach, make_slack, running_app
from tests.slack.waiting import control, is_control_answer
from tests.utils.openai_server import FakeOpenAI
from tests.utils.slack_emulator import SlackSender


def test_healthz_answers_ok(slack):
    import urllib.request

    with urllib.request.urlopen(f"{slack.url}/healthz", timeout=5) as response:
        assert (response.status, response.read()) == (200, b"ok")


@pytest.mark.parametrize("problem", ["wrong secret", "stale timestamp"])
def test_a_badly_signed_or_stale_request_is_refused_and_never_answered(slack, problem):
    event = {"type": "message", "channel_type": "im", "channel": "D1", "user": slack.floor.alice.slack_user_id,
             "text": "what should I do next on Globex?", "ts": "1700000100.000100"}
    body = json.dumps(slack.sender.event_body(event))
    if problem == "wrong secret":
        reply = slack.sender.post(body, "application/json", secret="not-the-secret")
    else:
        reply = slack.sender.post(body, "application/json", timestamp=int(time.time()) - 10 * 60)
    assert reply.status == 401
    assert slack.sender.event(event).status == 200  # the same event, signed properly, is answered
    assert [m["channel"] for m in slack.emulator.wait_for("chat.postMessage")] == ["D1"]
    control(slack, "D1")  # answered after the refused request: had that been let in, its answer would be here too
    assert [is_control_answer(p) for p in slack.emulator.calls_to("chat.postMessage")] == [False, True]


def test_a_retried_event_is_answered_once_even_when_both_deliveries_race(slack):
    event = {"type": "message", "channel_type": "im", "channel": "DALICE", "user": slack.floor.alice.slack_user_id,
             "text": "what should I do next on Globex?", "ts": "1700000100.000100"}
    replies = []
    threads = [threading.Thread(target=lambda n=n: replies.append(
        slack.sender.event(event, event_id="EvRETRIED", retry_num=n))) for n in (None, 1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in replies] == [200, 200, 200]
    slack.emulator.wait_for("chat.postMessage")
    control(slack, "DALICE")
    assert [is_control_answer(p) for p in slack.emulator.calls_to("chat.postMessage")] == [False, True]
    with slack.runtime.session() as s:
        assert s.exec(select(func.count()).select_from(ProcessedEvent)).one() == 2  # the retried one and the control


def test_two_worker_apps_on_one_database_answer_a_duplicated_event_once(runtime, floor):
    """What several ``stagecoach run --workers`` processes share is the database, so the claim lives there."""
    from bot.coach.engine import Coach

    with make_slack(runtime, floor)() as first, running_app(first.runtime, Coach(first.runtime)) as second:
        other = SlackSender(f"{second}/slack/events", SECRET)
        event = {"type": "message", "channel_type": "im", "channel": "DALICE", "user": floor.alice.slack_user_id,
                 "text": "what should I do next on Globex?", "ts": "1700000100.000100"}
        assert first.sender.event(event, event_id="EvTWICE").status == 200
        assert other.event(event, event_id="EvTWICE", retry_num=1).status == 200
        first.emulator.wait_for("chat.postMessage")
        control(first, "DALICE")
        assert [is_control_answer(p) for p in first.emulator.calls_to("chat.postMessage")] == [False, True]


def test_old_claims_are_pruned(runtime):
    from datetime import timedelta

    from storage import events

    with runtime.session() as s:
        events.claim_event(session=s, event_id="EvOLD", now=runtime.now() - timedelta(days=2))
    claims = EventClaims(runtime)
    assert claims.claim("EvNEW").result(timeout=10) is True  # a burst written, then housekeeping
    assert claims.claim("EvNEW").result(timeout=10) is False
    with runtime.session() as s:
        assert s.get(ProcessedEvent, "EvOLD") is None
        assert s.get(ProcessedEvent, "EvNEW") is not None


def test_a_slow_llm_does_not_delay_the_ack(runtime, floor, team_channel):
    answer = "Send the pricing recap today, then agree written success criteria with the champion."
    with FakeOpenAI(default_reply={"delay": 10, "content": answer}, default_tool_reply=GLOBEX_PLAN) as llm, \
        make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        # The acks come back while the model is still wording (it takes 10 s): nothing is answered yet.
        # How fast an ack is belongs to bench/slack_bench.py, not to a test on a shared machine.
        reply = slack.dm(floor.alice, "what should I do next on Globex?")
        command = slack.sender.command("/coach", "what next on Globex?", user_id=floor.alice.slack_user_id)
        assert (reply.status, reply.body, command.status, command.body) == (200, "", 200, "")
        assert not {"chat.postMessage", "chat.stopStream", "response_url"} & set(slack.emulator.methods())
        slack.emulator.wait_for("chat.stopStream", timeout=30)  # checked, then streamed under the question
        assert "pricing recap" in slack.emulator.streams()[0]["text"]
        slack.emulator.wait_for("response_url", timeout=20)


def test_a_rate_limited_post_is_retried_after_retry_after(slack):
    slack.emulator.script("chat.postMessage", {"status": 429, "headers": {"Retry-After": "1"}})
    assert slack.dm(slack.floor.alice, "what should I do next on Globex?").status == 200
    slack.emulator.wait_for("chat.postMessage", timeout=10)
    attempts = [c for c in slack.emulator.calls if c.method == "chat.postMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9


def test_a_server_error_is_retried(slack):
    slack.emulator.script("chat.postMessage", {"status": 500})
    assert slack.dm(slack.floor.alice, "what should I do next on Globex?").status == 200
    slack.emulator.wait_for("chat.postMessage", timeout=10)
    assert [c.status for c in slack.emulator.calls if c.method == "chat.postMessage"] == [500, 200]
