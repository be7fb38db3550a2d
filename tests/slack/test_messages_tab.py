"""The agent experience's Messages tab, with payloads shaped as Slack's reference shows them; the legacy
assistant experience (apps installed before agent_view) keeps working beside it."""

import json
from pathlib import Path

import yaml

from tests.slack.harness import dm_channel
from tests.slack.waiting import control

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "slack" / "manifest.yml").read_text())
ALICE_PROMPTS = ["Where should I start today?", "Prep me for my next call",
                 "Draft a follow-up for Globex platform rollout", "Which follow-ups are overdue?"]


def _messages_tab_opened(rep, channel: str) -> dict:
    """``app_home_opened`` as Slack sends it when the Messages tab opens: no ``view``, ``tab`` is "messages"."""
    return {"type": "app_home_opened", "user": rep.slack_user_id, "channel": channel, "tab": "messages",
            "event_ts": "1700007000.000100"}


def test_the_manifest_declares_the_agent_experience_and_keeps_the_legacy_events():
    features = MANIFEST["features"]
    assert "agent_view" in features and "assistant_view" not in features
    assert features["agent_view"]["agent_description"]
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "message.im", "assistant_thread_started"} <= events
    assert MANIFEST["settings"]["socket_mode_enabled"] is False  # HTTP mode is the default


def test_opening_the_messages_tab_sets_prompts_from_the_persons_deals_without_a_thread_ts(slack):
    alice, manager = slack.floor.alice, slack.floor.manager
    assert slack.sender.event(_messages_tab_opened(alice, dm_channel(alice))).status == 200
    [prompts] = slack.emulator.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts["channel_id"] == dm_channel(alice)
    assert "thread_ts" not in prompts  # with a thread_ts an agent app's call fails silently
    assert [p["message"] for p in prompts["prompts"]] == ALICE_PROMPTS
    assert all(p["title"] == p["message"] for p in prompts["prompts"]) and prompts["title"]
    slack.sender.event(_messages_tab_opened(manager, dm_channel(manager)))
    maria = slack.emulator.wait_for("assistant.threads.setSuggestedPrompts", 2)[1]
    assert maria["prompts"][-1]["message"] == "How is my team's pipeline?"
    assert "views.publish" not in slack.emulator.methods()  # the Home tab is not published for the Messages tab
    assert slack.emulator.rejected() == []


def test_a_stranger_opening_the_messages_tab_gets_no_prompts_and_no_message(slack):
    slack.sender.event({"type": "app_home_opened", "user": "U0STRANGER", "channel": "D0STRANGER", "tab": "messages",
                        "event_ts": "1700007100.000100"})
    control(slack, dm_channel(slack.floor.alice))  # a later event answered: the stranger's was handled
    assert "assistant.threads.setSuggestedPrompts" not in slack.emulator.methods()
    assert [p["channel"] for p in slack.emulator.calls_to("chat.postMessage")] == [dm_channel(slack.floor.alice)]


def test_prompts_slack_refuses_leave_the_tab_working(slack):
    slack.emulator.script("assistant.threads.setSuggestedPrompts", {"ok": False, "error": "channel_not_found"})
    alice = slack.floor.alice
    slack.sender.event(_messages_tab_opened(alice, dm_channel(alice)))
    slack.emulator.wait_for("assistant.threads.setSuggestedPrompts")
    assert control(slack, dm_channel(alice))["text"]  # the DM is answered all the same


def test_a_dm_in_the_messages_tab_is_answered_and_keeps_its_conversation(slack):
    alice = slack.floor.alice
    slack.sender.event(_messages_tab_opened(alice, dm_channel(alice)))
    slack.emulator.wait_for("assistant.threads.setSuggestedPrompts")
    # message.im as Slack's reference shows it for a message typed in the Messages tab
    assert slack.dm(alice, "what should I do next on Globex?", ts="1700007201.000100").status == 200
    [answer] = slack.emulator.wait_for("chat.postMessage")
    assert answer["channel"] == dm_channel(alice) and "Globex platform rollout" in answer["text"]
    assert any(b["type"] == "context_actions" for b in answer["blocks"])  # feedback buttons on the answer
    slack.dm(alice, "and after that?", ts="1700007202.000100")
    follow_up = slack.emulator.wait_for("chat.postMessage", 2)[1]
    assert "Close" in follow_up["text"]  # the same conversation: its deal is still Globex
    assert slack.emulator.rejected() == []


def test_a_legacy_assistant_thread_still_gets_prompts_for_its_thread_and_answers_in_it(slack):
    alice = slack.floor.alice
    slack.sender.event({"type": "assistant_thread_started", "event_ts": "1700007300.0", "assistant_thread": {
        "user_id": alice.slack_user_id, "channel_id": "D0ALICE", "thread_ts": "1700007300.0",
        "context": {"channel_id": "C0RANDOM", "team_id": "T0TEAM", "enterprise_id": None}}})
    [prompts] = slack.emulator.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts["thread_ts"] == "1700007300.0" and [p["message"] for p in prompts["prompts"]] == ALICE_PROMPTS
    slack.sender.event({"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": alice.slack_user_id,
                        "thread_ts": "1700007300.0", "text": "what should I do next on Globex?", "ts": "1700007301.0"})
    answer = next(p for p in slack.emulator.wait_for("chat.postMessage", 2) if p.get("thread_ts") == "1700007300.0"
                  and "Globex platform rollout" in p["text"])
    assert "feedback_buttons" in json.dumps(answer["blocks"])
    assert slack.emulator.rejected() == []
