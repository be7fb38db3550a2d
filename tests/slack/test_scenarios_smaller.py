"""Issue 13, point 9: no Share on a refusal, no empty DM from /pipeline, the mention out of a DM's question,
LLM answers at a DM's top level, Socket Mode against an unreachable Slack."""

import json
import socket

from click.testing import CliRunner
from sqlmodel import select

from bot.cli import main
from bot.slack import ids
from storage.models import Conversation
from tests.slack.harness import GLOBEX_PLAN, dm_channel, llm_coach, make_slack
from tests.slack.payloads import load, send
from tests.utils.openai_server import FakeOpenAI


def test_a_refusal_offers_no_share_button_but_a_real_answer_does(slack):
    bob, alice = slack.floor.bob, slack.floor.alice
    slack.mention(bob, "what should I do next on Globex?", ts="1700005000.000100")  # Alice's deal: not found
    [refusal] = slack.emulator.wait_for("chat.postEphemeral")
    assert "can't find" in refusal["text"] and ids.SHARE_ANSWER not in json.dumps(refusal["blocks"])
    slack.mention(alice, "what should I do next on Globex?", ts="1700005010.000200")
    answer = slack.emulator.wait_for("chat.postEphemeral", 2)[1]
    assert ids.SHARE_ANSWER in json.dumps(answer["blocks"])


def test_pipeline_opens_no_dm_for_a_report_without_a_chart(slack):
    manager = slack.floor.manager.slack_user_id
    slack.sender.command("/pipeline", "time in stage this quarter", user_id=manager)
    [first] = slack.emulator.wait_for("response_url")
    assert [b for b in first["blocks"] if b["type"] == "table"]  # a table, which has no chart
    slack.sender.command("/pipeline", "status", user_id=manager)  # the control: a charted report
    slack.emulator.wait_for("files.completeUploadExternal")
    assert len(slack.emulator.calls_to("conversations.open")) == 1  # before the fix: 2, one DM left empty


def test_a_mention_typed_in_a_dm_is_not_part_of_the_stored_question(slack):
    alice = slack.floor.alice
    send(
        slack.sender,
        load(
            "message_im",
            USER=alice.slack_user_id,
            CHANNEL=dm_channel(alice),
            TEXT="<@U0BOT> what should I do next on Globex?",
        ),
    )
    slack.emulator.wait_for("chat.postMessage")
    with slack.runtime.session() as s:
        [row] = s.exec(select(Conversation).where(Conversation.rep_id == alice.id)).all()
    assert json.loads(row.history)[0]["text"] == "what should I do next on Globex?"


def test_an_llm_answer_in_a_dm_streams_as_a_reply_to_the_question(runtime, floor, team_channel):
    reply = "First send the pricing recap, which is overdue; then agree the success criteria with the champion."
    with (
        FakeOpenAI(default_reply=reply, default_tool_reply=GLOBEX_PLAN) as llm,
        make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack,
    ):
        slack.dm(floor.alice, "what should I do next on Globex?", ts="1700005100.000100")
        slack.emulator.wait_for("chat.stopStream", timeout=30)
        [start] = slack.emulator.calls_to("chat.startStream")
        # Slack streams replies only: in a DM, under the question, as Bolt's say_stream does
        assert start["channel"] == dm_channel(floor.alice) and start["thread_ts"] == "1700005100.000100"
        assert slack.emulator.streams()[0]["text"] == reply
        [status] = slack.emulator.calls_to("assistant.threads.setStatus")  # the reply in its thread clears it
        assert status["thread_ts"] == "1700005100.000100" and status["loading_messages"]
        assert "chat.postMessage" not in slack.emulator.methods()


def test_socket_mode_against_an_unreachable_slack_exits_with_a_message(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{port}/api/")
    result = CliRunner().invoke(main, ["run", "--no-digest"])
    assert result.exit_code == 1
    assert f"Cannot reach Slack at http://127.0.0.1:{port}/api/" in result.output
    assert "Traceback" not in result.output
