"""Streamed answers as Slack's reference shapes them: a status with loading messages while the coach works, then
chat.startStream / appendStream / stopStream, with a plan of tasks for multi-part answers; each call one the
validating emulator accepts, and the calls it refuses as Slack would."""

import json

from tests.slack.harness import dm_channel
from tests.utils.slack_emulator import SlackEmulator, chunk_problems, status_problems, stream_problems


def _dm(slack, rep, text: str, ts: str):
    """message.im as Slack sends it for a message typed in the app's Messages tab."""
    return slack.sender.event({"type": "message", "channel_type": "im", "channel": dm_channel(rep),
                               "user": rep.slack_user_id, "text": text, "ts": ts, "client_msg_id": f"m{ts}",
                               "blocks": [{"type": "rich_text", "block_id": "b", "elements": [
                                   {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]})


def _chunks(slack, kind: str) -> list[dict]:
    return [c for s in slack.emulator.streams() for c in s["chunks"] if c["type"] == kind]


def test_a_focus_question_in_the_messages_tab_streams_a_plan_with_a_task_per_deal(slack):
    alice = slack.floor.alice
    assert _dm(slack, alice, "which three deals should I focus on today?", "1700008001.000100").status == 200
    [stop] = slack.emulator.wait_for("chat.stopStream")
    [status] = slack.emulator.calls_to("assistant.threads.setStatus")
    assert status["channel_id"] == dm_channel(alice) and status["thread_ts"] == "1700008001.000100"
    assert status["status"] and 1 <= len(status["loading_messages"]) <= 10
    [start] = slack.emulator.calls_to("chat.startStream")
    assert start["thread_ts"] == "1700008001.000100" and start["task_display_mode"] == "plan"
    methods = slack.emulator.methods()
    assert methods.index("assistant.threads.setStatus") < methods.index("chat.startStream")
    [plan] = _chunks(slack, "plan_update")
    tasks = _chunks(slack, "task_update")
    assert plan["title"] and 1 <= len(tasks) <= 3 and all(t["status"] == "complete" for t in tasks)
    [stream] = slack.emulator.streams()
    assert all(t["title"] in stream["text"] for t in tasks)  # each task is one of the deals the answer names
    assert "Globex platform rollout" in stream["text"] and not stream["open"]
    assert "feedback_buttons" in json.dumps(stop["blocks"])  # the feedback buttons end the streamed answer
    assert "chat.postMessage" not in methods


def test_a_call_prep_streams_its_parts_as_tasks(slack):
    alice = slack.floor.alice
    _dm(slack, alice, "prep me for my call with Globex", "1700008101.000100")
    slack.emulator.wait_for("chat.stopStream")
    titles = [t["title"] for t in _chunks(slack, "task_update")]
    assert "Questions for the call" in titles
    assert "Globex" in slack.emulator.streams()[0]["text"]


def test_a_weekly_summary_streams_its_scorecard_as_a_task(slack):
    alice = slack.floor.alice
    _dm(slack, alice, "how did I do last week?", "1700008201.000100")
    slack.emulator.wait_for("chat.stopStream")
    [task] = _chunks(slack, "task_update")
    assert "week" in task["title"].lower()
    assert slack.emulator.streams()[0]["text"]


def test_two_questions_at_once_show_each_part_live_the_first_done_before_the_second_starts(slack):
    alice = slack.floor.alice
    _dm(slack, alice, "is globex at risk and what comes after this stage for it", "1700008251.000100")
    [stop] = slack.emulator.wait_for("chat.stopStream")
    [stream] = slack.emulator.streams()
    updates = [(c["id"], c["status"]) for c in stream["chunks"] if c["type"] == "task_update"]
    # in the order the calls reached Slack: part 1 started and completed, then part 2
    assert updates == [("part1", "in_progress"), ("part1", "complete"), ("part2", "in_progress"),
                       ("part2", "complete")]
    titles = {c["title"] for c in stream["chunks"] if c["type"] == "task_update"}
    assert titles == {"is globex at risk", "what comes after this stage for it"}  # the asker's own words
    [start] = slack.emulator.calls_to("chat.startStream")
    methods = slack.emulator.methods()
    assert methods.count("chat.appendStream") >= 4 and methods.index("chat.startStream") < methods.index("chat.stopStream")
    assert "Globex" in stream["text"] and not stream["open"]  # the checked answer follows the plan, in the same stream
    assert "feedback_buttons" in json.dumps(stop["blocks"]) and "chat.postMessage" not in methods
    assert not slack.emulator.rejected()


def test_two_questions_whose_live_plan_slack_refuses_still_get_their_answer(slack):
    slack.emulator.script("chat.startStream", {"ok": False, "error": "ratelimited"})  # the live plan's start only
    _dm(slack, slack.floor.alice, "is globex at risk and what comes after this stage for it", "1700008261.000100")
    slack.emulator.wait_for("chat.stopStream")
    [stream] = slack.emulator.streams()  # the answer's own stream, once the coach is done
    assert "Globex" in stream["text"] and not stream["open"]
    statuses = [c["status"] for c in stream["chunks"] if c["type"] == "task_update"]
    assert statuses == ["complete", "complete"]  # no live plan: the parts are shown as delivered


def test_a_single_answer_is_posted_whole_and_the_status_is_cleared(slack):
    alice = slack.floor.alice
    _dm(slack, alice, "what should I do next on Globex?", "1700008301.000100")
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post.get("thread_ts") is None and "Globex platform rollout" in post["text"]
    statuses = slack.emulator.wait_for("assistant.threads.setStatus", 2)
    assert statuses[0]["status"] and statuses[1]["status"] == ""  # the top-level answer does not clear it itself
    assert "chat.startStream" not in slack.emulator.methods()


def test_a_stream_slack_will_not_start_is_posted_whole(slack):
    slack.emulator.script("chat.startStream", {"ok": False, "error": "channel_type_not_supported"})
    _dm(slack, slack.floor.alice, "which three deals should I focus on today?", "1700008401.000100")
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert "Globex platform rollout" in post["text"] and "feedback_buttons" in json.dumps(post["blocks"])


# ---------------------------------------------------------------- what the emulator refuses, as Slack does

def test_the_emulator_refuses_stream_calls_out_of_turn_and_with_bad_arguments():
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    with SlackEmulator() as emulator:
        client = WebClient(token="xoxb-test", base_url=emulator.base_url)
        started = client.chat_startStream(channel="D0ALICE", thread_ts="1700000000.000001",
                                          chunks=[{"type": "markdown_text", "text": "Hello"}])
        client.chat_appendStream(channel="D0ALICE", ts=started["ts"], markdown_text=" there")
        client.chat_stopStream(channel="D0ALICE", ts=started["ts"])
        assert emulator.streamed(started["ts"]) == "Hello there"
        errors = []
        for call in (lambda: client.chat_appendStream(channel="D0ALICE", ts=started["ts"], markdown_text="late"),
                     lambda: client.chat_stopStream(channel="D0ALICE", ts="1700000000.999999"),
                     lambda: client.chat_startStream(channel="C0EAST", thread_ts="1700000000.000001"),
                     lambda: client.chat_startStream(channel="D0ALICE", thread_ts="1.0", markdown_text="x" * 12_001),
                     lambda: client.chat_startStream(channel="D0ALICE", thread_ts="1.0",
                                                     chunks=[{"type": "task_update", "id": "1", "title": "t",
                                                              "status": "done"}]),
                     lambda: client.assistant_threads_setStatus(channel_id="D0ALICE", thread_ts="1.0", status="…",
                                                                loading_messages=[f"m{i}" for i in range(11)])):
            try:
                call()
                errors.append(None)
            except SlackApiError as error:
                errors.append(error.response["error"])
        assert errors == ["message_not_in_streaming_state", "message_not_in_streaming_state", "invalid_arguments",
                          "msg_too_long", "invalid_chunks", "invalid_arguments"]
        assert emulator.streamed(started["ts"]) == "Hello there"  # the refused append added nothing


def test_stream_and_status_rules_accept_what_slacks_reference_shows():
    assert stream_problems("chat.startStream", {"channel": "C0EAST", "thread_ts": "1.0", "recipient_user_id": "U1",
                                                "recipient_team_id": "T1", "task_display_mode": "plan"}) == []
    assert stream_problems("chat.appendStream", {"channel": "D1", "ts": "1.0", "markdown_text": "x" * 12_000}) == []
    assert stream_problems("chat.appendStream", {"channel": "D1", "ts": "1.0"}) == ["markdown_text missing"]
    assert stream_problems("chat.startStream", {"channel": "D1"})  # a stream is a reply: thread_ts
    assert chunk_problems([{"type": "plan_update", "title": "Plan"},
                           {"type": "task_update", "id": "a", "title": "Step", "status": "in_progress",
                            "output": "done"},
                           {"type": "blocks", "blocks": [{"type": "divider"}]}]) == []
    assert chunk_problems([{"type": "plan_update"}, {"type": "speech"}]) == [
        "chunks[0]: plan_update without title", "chunks[1]: unknown chunk type 'speech'"]
    assert stream_problems("chat.stopStream", {"channel": "D1", "ts": "1.0",
                                               "blocks": [{"type": "divider"}] * 51})  # 50 blocks at most
    assert status_problems({"channel_id": "D1", "thread_ts": "1.0", "status": ""}) == []  # an empty one clears it
    assert status_problems({"channel_id": "D1", "thread_ts": "1.0", "status": "is thinking…",
                            "loading_messages": ["a"] * 10}) == []
    assert status_problems({"channel_id": "D1", "status": "x"}) == ["thread_ts missing"]


def test_the_emulator_refuses_a_method_slack_does_not_have():
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    with SlackEmulator() as emulator:
        client = WebClient(token="xoxb-test", base_url=emulator.base_url)
        try:
            client.api_call("chat.streamText", json={"channel": "D0ALICE", "text": "x"})
            error = None
        except SlackApiError as refused:
            error = refused.response["error"]
        assert error == "unknown_method" and [c.method for c in emulator.rejected()] == ["chat.streamText"]
