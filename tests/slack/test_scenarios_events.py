"""Issue 13, points 2, 3, 6, 7 and 8: events as Slack sends them (payloads in ``tests/slack/payloads``).

Silence is proven with a positive control sent afterwards: Slack delivers events in order to one
app, so once the control's answer is there, an answer to the earlier event would be there too.
"""

import json
import logging

from sqlmodel import select

from bot.slack.answering import SORRY
from bot.slack.places import FILE_ONLY, FILES_NOT_READ
from storage.models import Conversation
from tests.slack.harness import OTHER_CHANNEL, TEAM_CHANNEL, dm_channel
from tests.slack.payloads import load, send

QUESTION = "What should I do next on Globex?"


def _sent(slack, method: str) -> int:
    """Answers so far through ``method`` (accepted by Slack)."""
    return len(slack.emulator.calls_to(method))


def test_point2_two_people_in_one_thread_each_get_an_answer_and_their_own_history(slack):
    alice, manager = slack.floor.alice, slack.floor.manager
    root = "1700004000.000100"
    send(slack.sender, load("app_mention", USER=alice.slack_user_id, CHANNEL=TEAM_CHANNEL, TS=root, TEXT=QUESTION))
    slack.emulator.wait_for("chat.postMessage")
    send(slack.sender, load("app_mention", USER=manager.slack_user_id, CHANNEL=TEAM_CHANNEL, TS="1700004010.000200",
                            THREAD_TS=root, TEXT="why is Hooli stuck?"))
    first, second = slack.emulator.wait_for("chat.postMessage", 2)
    assert SORRY not in slack.texts("chat.postMessage")  # before the fix: UNIQUE constraint failed
    assert first["thread_ts"] == second["thread_ts"] == root and "Hooli" in second["text"]
    with slack.runtime.session() as s:
        rows = {r.rep_id: json.loads(r.history) for r in s.exec(select(Conversation)).all()}
    assert [t["text"] for t in rows[alice.id] if t["role"] == "user"] == [QUESTION]
    assert [t["text"] for t in rows[manager.id] if t["role"] == "user"] == ["why is Hooli stuck?"]


def test_point3_an_edited_mention_is_not_answered_again(slack):
    alice = slack.floor.alice
    ts = "1700004100.000100"
    send(slack.sender, load("app_mention", USER=alice.slack_user_id, CHANNEL=TEAM_CHANNEL, TS=ts, TEXT=QUESTION))
    slack.emulator.wait_for("chat.postMessage")
    send(slack.sender, load("app_mention_edited", USER=alice.slack_user_id, CHANNEL=TEAM_CHANNEL, TS=ts,
                            TEXT=QUESTION + " (edited)"))
    send(slack.sender, load("message_changed", USER=alice.slack_user_id, CHANNEL=TEAM_CHANNEL, TS=ts,
                            TEXT=QUESTION + " (edited)", OLD_TEXT=QUESTION))
    send(slack.sender, load("message_deleted", USER=alice.slack_user_id, CHANNEL=TEAM_CHANNEL, TS=ts,
                            OLD_TEXT=QUESTION))
    control = "1700004200.000300"
    send(slack.sender, load("app_mention", USER=alice.slack_user_id, CHANNEL=TEAM_CHANNEL, TS=control,
                            TEXT="why is Hooli stuck?"))
    posts = slack.emulator.wait_for("chat.postMessage", 2)
    assert [p["thread_ts"] for p in slack.emulator.calls_to("chat.postMessage")] == [ts, control]
    assert "Hooli" in posts[1]["text"]


def test_point3_edits_and_deletions_in_a_dm_are_not_answered(slack):
    alice = slack.floor.alice
    channel = dm_channel(alice)
    for name in ("message_changed", "message_deleted"):
        send(slack.sender, load(name, USER=alice.slack_user_id, CHANNEL=channel, CHANNEL_TYPE="im",
                                TEXT=QUESTION, OLD_TEXT="what next on Hooli?"))
    send(slack.sender, load("message_im", USER=alice.slack_user_id, CHANNEL=channel, TEXT="why is Hooli stuck?"))
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert "Hooli" in post["text"] and _sent(slack, "chat.postMessage") == 1


def test_point6_a_question_with_a_file_in_a_dm_is_answered_and_says_the_file_was_not_read(slack):
    alice = slack.floor.alice
    send(slack.sender, load("message_file_share", USER=alice.slack_user_id, CHANNEL=dm_channel(alice),
                            CHANNEL_TYPE="im", TEXT=QUESTION))
    [post] = slack.emulator.wait_for("chat.postMessage")  # before the fix: no reply at all
    assert "Send the pricing recap" in post["text"] and FILES_NOT_READ in json.dumps(post["blocks"])


def test_point6_a_file_in_an_assistant_thread_is_answered_and_a_file_alone_gets_a_question_back(slack):
    alice = slack.floor.alice
    thread = "1700004300.000100"
    send(slack.sender, load("message_file_share", USER=alice.slack_user_id, CHANNEL=dm_channel(alice),
                            CHANNEL_TYPE="im", TEXT=QUESTION, TS="1700004301.000200", THREAD_TS=thread))
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["thread_ts"] == thread and "Send the pricing recap" in post["text"]
    send(slack.sender, load("message_file_share", USER=alice.slack_user_id, CHANNEL=dm_channel(alice),
                            CHANNEL_TYPE="im", TEXT="", TS="1700004302.000300", THREAD_TS=thread))
    assert slack.emulator.wait_for("chat.postMessage", 2)[1]["text"] == FILE_ONLY


def test_point7_also_sent_to_channel_in_a_thread_with_the_bot_is_answered(slack):
    alice = slack.floor.alice
    root = "1700004400.000100"
    send(slack.sender, load("app_mention", USER=alice.slack_user_id, CHANNEL=OTHER_CHANNEL, TS=root, TEXT=QUESTION))
    slack.emulator.wait_for("chat.postEphemeral")
    send(slack.sender, load("message_thread_broadcast", USER=alice.slack_user_id, CHANNEL=OTHER_CHANNEL,
                            TS="1700004410.000200", THREAD_TS=root, TEXT="and what's blocking it?",
                            ROOT_TEXT=QUESTION))
    first, second = slack.emulator.wait_for("chat.postEphemeral", 2)  # before the fix: ignored
    assert second["thread_ts"] == root and second["user"] == alice.slack_user_id


def test_point8_app_rate_limited_gets_200_and_a_log_line(slack, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.slack.rate_limited"):
        reply = send(slack.sender, load("app_rate_limited"))
    assert reply.status == 200  # before the fix: 404
    assert any("rate-limited" in r.getMessage() and "T0TEAM" in r.getMessage() for r in caplog.records)
