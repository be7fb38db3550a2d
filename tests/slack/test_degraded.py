"""When Slack or the database misbehaves: a stream that will not start or stop, a rate-limited
``response_url``, an answer that fails outright, and a digest whose reservation or record is refused.

Slack's failures are scripted on the emulator; the database's are real refusals (a trigger that raises),
so no code of ours is replaced.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from sqlalchemy import text
from sqlmodel import select

from bot.digest.deliver import deliver_due
from bot.slack.answering import SORRY
from bot.slack.client import make_client
from bot.slack.digest import poster
from storage.models import DigestDelivery
from tests.slack.harness import GLOBEX_PLAN, llm_coach, make_slack
from tests.utils.openai_server import FakeOpenAI
from tests.utils.slack_emulator import SlackEmulator


@contextmanager
def refused(runtime, table: str, operation: str):
    """The database refuses every ``operation`` (INSERT or UPDATE) on ``table`` while inside."""
    name = f"refuse_{table}_{operation.lower()}"
    postgres = runtime.engine.dialect.name == "postgresql"
    with runtime.engine.begin() as db:
        if postgres:
            db.execute(text(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                            f"RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"))
            db.execute(text(f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW "
                            f"EXECUTE FUNCTION {name}()"))
        else:
            # RAISE() would read as a constraint conflict (SQLITE_CONSTRAINT); a failing function is a plain error.
            db.execute(text(f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                            f"BEGIN SELECT json('refused by the test'); END"))
    try:
        yield
    finally:
        with runtime.engine.begin() as db:
            db.execute(text(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}"))
            if postgres:
                db.execute(text(f"DROP FUNCTION {name}()"))


LLM_REPLY = ("First, send the pricing recap — it is overdue. Then draft the written success criteria with the "
             "champion and get the buyer to confirm them <in writing> & on email.")
THREAD = "1700007000.0"  # Slack streams into threads only


def _ask_in_a_thread(slack, floor):
    slack.dm(floor.alice, "what should I do next on Globex?", ts="1700007001.0", thread_ts=THREAD)


def test_a_stream_that_will_not_start_becomes_a_plain_answer(runtime, floor, team_channel):
    with FakeOpenAI(default_reply=LLM_REPLY, default_tool_reply=GLOBEX_PLAN) as llm, \
            make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        slack.emulator.script("chat.startStream", {"ok": False, "error": "not_allowed_token_type"})
        _ask_in_a_thread(slack, floor)
        [post] = slack.emulator.wait_for("chat.postMessage", timeout=30)
        assert post["thread_ts"] == THREAD and "pricing recap" in post["text"]
        methods = slack.emulator.methods()
        assert "chat.startStream" in methods  # tried, refused
        assert "chat.appendStream" not in methods and "chat.stopStream" not in methods


def test_a_stream_that_will_not_stop_is_followed_by_the_whole_answer(runtime, floor, team_channel):
    with FakeOpenAI(default_reply=LLM_REPLY, default_tool_reply=GLOBEX_PLAN) as llm, \
            make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        slack.emulator.script("chat.stopStream", {"ok": False, "error": "message_not_in_streaming_state"})
        _ask_in_a_thread(slack, floor)
        [post] = slack.emulator.wait_for("chat.postMessage", timeout=30)
        assert post["thread_ts"] == THREAD and "pricing recap" in post["text"]
        assert slack.emulator.calls_to("chat.startStream")  # it did start; the whole answer follows it


def test_a_rate_limited_response_url_is_retried_after_retry_after(slack):
    slack.emulator.script("response_url", {"status": 429, "headers": {"Retry-After": "1"}})
    slack.sender.command("/coach", "what should I do next on Globex?", user_id=slack.floor.alice.slack_user_id)
    [answer] = slack.emulator.wait_for("response_url")
    assert "Globex platform rollout" in answer["text"]
    attempts = [c for c in slack.emulator.calls if c.method == "response_url"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9


def test_an_answer_that_fails_outright_says_sorry_and_nothing_else(slack):
    with refused(slack.runtime, "conversation", "INSERT"):  # every question in a DM saves a turn
        slack.dm(slack.floor.alice, "what should I do next on Globex?", ts="1700007200.0")
        [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["text"] == SORRY and post["channel"] == f"D{slack.floor.alice.slack_user_id}"
    assert "Globex" not in json.dumps(post)
    slack.dm(slack.floor.alice, "what should I do next on Globex?", ts="1700007201.0")  # the database is back
    assert "Globex platform rollout" in slack.emulator.wait_for("chat.postMessage", 2)[1]["text"]


def _deliveries(runtime) -> list[DigestDelivery]:
    with runtime.session() as s:
        return list(s.exec(select(DigestDelivery)).all())


def _client(runtime, emulator):
    return make_client(runtime.settings.model_copy(update={"slack_bot_token": "xoxb-test",
                                                            "slack_api_url": emulator.base_url}))


def test_a_digest_whose_reservation_is_refused_is_not_sent_and_goes_out_on_the_next_run(runtime, floor):
    alice = floor.alice
    day = runtime.now().date()
    with SlackEmulator() as emulator:
        with refused(runtime, "digestdelivery", "INSERT"):
            summary = deliver_due(runtime, poster(_client(runtime, emulator)), day=day)
        [outcome] = [o for o in summary.outcomes if o.person.rep_id == alice.id]
        assert outcome.status == "failed" and outcome.reason.startswith("could not reserve")
        assert emulator.calls_to("chat.postMessage") == [] and _deliveries(runtime) == []  # nothing sent at all
        again = deliver_due(runtime, poster(_client(runtime, emulator)), day=day)
        assert [o.status for o in again.outcomes if o.person.rep_id == alice.id] == ["sent"]
        assert [b["channel"] for b in emulator.calls_to("chat.postMessage")].count(alice.slack_user_id) == 1


def test_a_digest_sent_but_not_recorded_is_reported_and_never_sent_again(runtime, floor):
    alice = floor.alice
    day = runtime.now().date()
    with SlackEmulator() as emulator:
        with refused(runtime, "digestdelivery", "UPDATE"):  # reserving inserts; recording the send updates
            summary = deliver_due(runtime, poster(_client(runtime, emulator)), day=day)
        [outcome] = [o for o in summary.outcomes if o.person.rep_id == alice.id]
        assert outcome.status == "sent" and "recording it failed" in outcome.reason
        assert [b["channel"] for b in emulator.calls_to("chat.postMessage")].count(alice.slack_user_id) == 1
        [row] = [d for d in _deliveries(runtime) if d.rep_id == alice.id]
        assert row.status == "reserved"  # left as it was: the next runs see it taken
        again = deliver_due(runtime, poster(_client(runtime, emulator)), day=day)
        assert "sent" not in [o.status for o in again.outcomes if o.person.rep_id == alice.id]
        assert [b["channel"] for b in emulator.calls_to("chat.postMessage")].count(alice.slack_user_id) == 1
