"""Slash commands, App Home and the assistant thread."""

import json
from datetime import timedelta

from bot.slack import ids
from bot.slack.identity import SETUP_HELP
from bot.slack.listeners.commands.coach import USAGE
from tests.slack.waiting import control


def test_coach_command_answers_the_asker_alone(slack):
    reply = slack.sender.command("/coach", "what should I do next on Globex?", user_id=slack.floor.alice.slack_user_id)
    assert reply.status == 200 and reply.body == ""
    [answer] = slack.emulator.wait_for("response_url")
    assert answer["response_type"] == "ephemeral" and "Globex platform rollout" in answer["text"]
    assert ids.SHARE_ANSWER in json.dumps(answer["blocks"])  # asked in a channel: sharing is offered
    assert answer["unfurl_links"] is False


def test_coach_command_without_a_question_explains_itself_and_strangers_get_setup_help(slack):
    slack.sender.command("/coach", "  ", user_id=slack.floor.alice.slack_user_id)
    assert slack.emulator.wait_for("response_url")[0]["text"] == USAGE
    slack.sender.command("/coach", "what next on Globex?", user_id="U0STRANGER")
    assert slack.emulator.wait_for("response_url", 2)[1]["text"] == SETUP_HELP


def test_pipeline_command_gives_a_manager_the_teams_table(slack):
    slack.sender.command("/pipeline", "status", user_id=slack.floor.manager.slack_user_id)
    [answer] = slack.emulator.wait_for("response_url")
    assert answer["response_type"] == "ephemeral"
    tables = [[[cell["text"] for cell in row] for row in b["rows"]] for b in answer["blocks"] if b["type"] == "table"]
    assert tables, answer  # Slack's table block: the report fits its 100 rows and 20 columns
    cells = [cell for row in tables[0] for cell in row]
    assert "Validate" in cells and "Discover" in cells
    assert "90,000" in cells and "125,000" in cells  # East: Globex, Initech, Hooli
    assert "50,000" not in json.dumps(answer)  # Carol's Umbrella is another team's
    [done] = slack.emulator.wait_for("files.completeUploadExternal")  # the chart, in the manager's DM
    [opened] = slack.emulator.calls_to("conversations.open")
    assert opened["users"] == slack.floor.manager.slack_user_id and done["channel_id"].startswith("D")
    [upload] = slack.emulator.calls_to("file.upload")
    assert upload["bytes"] > 1000


def test_a_pipeline_question_in_a_dm_gets_the_table_and_the_chart_there(slack):
    manager = slack.floor.manager
    slack.sender.event({"type": "message", "channel_type": "im", "channel": "D0MARIA", "user": manager.slack_user_id,
                        "text": "stage flow this month", "ts": "1700001500.0"})
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == "D0MARIA" and [b for b in post["blocks"] if b["type"] == "table"]
    [done] = slack.emulator.wait_for("files.completeUploadExternal")
    assert done["channel_id"] == "D0MARIA"
    assert "conversations.open" not in slack.emulator.methods()


def test_pipeline_command_refuses_a_rep_the_teams_figures(slack):
    slack.sender.command("/pipeline", "how is my team's pipeline this month?", user_id=slack.floor.bob.slack_user_id)
    [answer] = slack.emulator.wait_for("response_url")
    assert "```" not in json.dumps(answer) and '"table"' not in json.dumps(answer) and "90,000" not in json.dumps(answer)
    assert "managers" in answer["text"]


def test_app_home_lists_a_reps_deals_and_a_managers_team(slack, clock):
    alice, manager = slack.floor.alice, slack.floor.manager
    slack.sender.event({"type": "app_home_opened", "user": alice.slack_user_id, "channel": "D0HOME", "tab": "home"})
    [home] = slack.emulator.wait_for("views.publish")
    assert home["user_id"] == alice.slack_user_id
    shown = json.dumps(home["view"], ensure_ascii=False)
    assert "Globex platform rollout" in shown and "Hooli analytics" in shown
    assert "overdue" in shown and "day 25 of 20 ⚠️ 5 over" in shown
    assert "Initech" not in shown and "Team summary" not in shown
    slack.sender.event({"type": "app_home_opened", "user": manager.slack_user_id, "channel": "D0HOM2", "tab": "home"})
    team = json.dumps(slack.emulator.wait_for("views.publish", 2)[1]["view"])
    assert "Team summary" in team and "Bob Rep" in team and "Carol" not in team
    slack.sender.event({"type": "app_home_opened", "user": "U0STRANGER", "channel": "D0HOM3", "tab": "home"})
    assert SETUP_HELP in json.dumps(slack.emulator.wait_for("views.publish", 3)[2]["view"])
    clock.advance(timedelta(days=2))  # Home counts days on the program's clock
    slack.sender.event({"type": "app_home_opened", "user": alice.slack_user_id, "channel": "D0HOME", "tab": "home"})
    assert "day 27 of 20 ⚠️ 7 over" in json.dumps(slack.emulator.wait_for("views.publish", 4)[3]["view"], ensure_ascii=False)


def _thread_started(slack, rep, channel: str, thread_ts: str) -> dict:
    return {"type": "assistant_thread_started", "assistant_thread": {
        "user_id": rep.slack_user_id, "channel_id": channel, "thread_ts": thread_ts,
        "context": {"channel_id": "C0RANDOM", "team_id": "T0TEAM", "enterprise_id": None}}, "event_ts": thread_ts}


def test_an_assistant_thread_suggests_prompts_from_the_askers_deals_a_manager_gets_the_pipeline_one(slack):
    slack.sender.event(_thread_started(slack, slack.floor.alice, "D0ALICE", "1700002000.0"))
    [prompts] = slack.emulator.wait_for("assistant.threads.setSuggestedPrompts")
    # Globex tops Alice's focus ranking: an overdue follow-up and days over the stage's norm.
    assert [p["message"] for p in prompts["prompts"]] == [
        "Where should I start today?", "Prep me for my next call", "Draft a follow-up for Globex platform rollout",
        "Which follow-ups are overdue?"]
    slack.sender.event(_thread_started(slack, slack.floor.manager, "D0MARIA", "1700002001.0"))
    manager = slack.emulator.wait_for("assistant.threads.setSuggestedPrompts", 2)[1]
    assert [p["message"] for p in manager["prompts"]] == [  # Maria owns no deals herself
        "Where should I start today?", "Prep me for my next call", "How is my team's pipeline?"]
    assert len(slack.emulator.calls_to("chat.postMessage")) == 2  # the greetings


def test_an_assistant_thread_shows_thinking_answers_in_the_thread_and_keeps_context(slack):
    alice = slack.floor.alice
    message = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": alice.slack_user_id,
               "thread_ts": "1700003000.0"}
    slack.sender.event({**message, "text": "what should I do next on Globex?", "ts": "1700003001.0"})
    [status] = slack.emulator.wait_for("assistant.threads.setStatus")
    assert status["thread_ts"] == "1700003000.0" and "thinking" in status["status"]
    [answer] = slack.emulator.wait_for("chat.postMessage")
    assert answer["thread_ts"] == "1700003000.0" and "Globex platform rollout" in answer["text"]
    slack.sender.event({**message, "text": "and after that?", "ts": "1700003002.0"})
    follow_up = slack.emulator.wait_for("chat.postMessage", 2)[1]
    assert follow_up["thread_ts"] == "1700003000.0" and "Close" in follow_up["text"]
    methods = slack.emulator.methods()
    assert methods.index("assistant.threads.setStatus") < methods.index("chat.postMessage")


def test_an_unknown_person_in_an_assistant_thread_gets_setup_help_only(slack):
    slack.sender.event({"type": "message", "channel_type": "im", "channel": "D0X", "user": "U0STRANGER",
                        "thread_ts": "1700004000.0", "text": "what next on Globex?", "ts": "1700004001.0"})
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["text"] == SETUP_HELP
    control(slack, "D0X", thread_ts="1700004000.0")  # a rep's question in that thread is answered after it
    said = slack.emulator.calls_to("chat.postMessage")
    assert [p["text"] == SETUP_HELP for p in said] == [True, False] and "Globex" not in json.dumps(said)



def test_a_reply_in_a_plain_dm_thread_is_answered_even_where_no_assistant_status_can_be_set(slack):
    slack.emulator.script("assistant.threads.setStatus", {"ok": False, "error": "invalid_thread"})
    slack.sender.event({"type": "message", "channel_type": "im", "channel": "D0ALICE", "thread_ts": "1700006000.0",
                        "user": slack.floor.alice.slack_user_id, "text": "what next on Globex?", "ts": "1700006001.0"})
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["thread_ts"] == "1700006000.0" and "Globex platform rollout" in post["text"]


def _home_click(slack, rep, action: dict) -> None:
    """A button on App Home: Slack sends no response_url and no channel, only the view."""
    slack.sender.interactive({
        "type": "block_actions", "team": {"id": slack.sender.team_id}, "user": {"id": rep.slack_user_id},
        "api_app_id": "A0APP", "token": "legacy-unused", "trigger_id": "1337.42.home",
        "container": {"type": "view", "view_id": "V0HOME"}, "view": {"id": "V0HOME", "type": "home"},
        "actions": [{**action, "action_ts": "1700000300.0"}]})


def test_coach_me_on_app_home_answers_with_the_deals_plan_in_the_dm(slack):
    alice, bob = slack.floor.alice, slack.floor.bob
    slack.sender.event({"type": "app_home_opened", "user": alice.slack_user_id, "channel": "D0HOME", "tab": "home"})
    [home] = slack.emulator.wait_for("views.publish")
    buttons = {block["text"]["text"].split("*")[1]: block["accessory"]
               for block in home["view"]["blocks"] if block.get("accessory")}
    assert set(buttons) == {"Globex platform rollout", "Hooli analytics"}
    _home_click(slack, alice, buttons["Globex platform rollout"])
    answers = slack.emulator.wait_for("chat.postMessage")
    assert answers[0]["channel"] == alice.slack_user_id
    said = slack.texts("chat.postMessage")
    assert "Globex platform rollout" in said and "Hooli" not in said
    _home_click(slack, bob, buttons["Globex platform rollout"])  # Alice's deal, clicked by Bob (a forged view)
    refused = slack.emulator.wait_for("chat.postMessage", len(answers) + 1)[-1]
    assert refused["channel"] == bob.slack_user_id and "can't find" in refused["text"]
