"""Slack's feedback buttons on every answer: a click is stored with the question and the intent, and the
answers marked not helpful reach the process owner (the admin's App Home). The emulator refuses feedback
buttons and context actions blocks as Slack's reference does."""

import json
from datetime import timedelta

from sqlmodel import select

from bot.slack import ids
from storage.models import AnswerFeedback
from tests.slack.harness import dm_channel
from tests.utils.block_kit import message_problems
from tests.utils.slack_emulator import feedback_click, prompt_problems

LIST_TITLE = "Answers marked not helpful this week"


def _home(slack, rep, n: int) -> str:
    slack.sender.event({"type": "app_home_opened", "user": rep.slack_user_id, "channel": f"D0H{n}", "tab": "home"})
    return json.dumps(slack.emulator.wait_for("views.publish", n)[n - 1]["view"], ensure_ascii=False)


def test_a_thumbs_down_is_stored_with_question_and_intent_and_listed_on_the_admins_home_for_a_week(slack, clock):
    alice, bob, admin = slack.floor.alice, slack.floor.bob, slack.floor.admin
    question = "what should I do next on Globex?"
    slack.dm(alice, question)
    [answer] = slack.emulator.wait_for("chat.postMessage")
    down = feedback_click(answer["blocks"], helpful=False)
    assert down["action_id"] == ids.FEEDBACK
    slack.click(alice, ids.FEEDBACK, down["value"], channel_id=dm_channel(alice), message_ts="1700008000.000001",
                action=down)
    [told] = slack.emulator.wait_for("response_url")
    assert told["response_type"] == "ephemeral" and "pass it on" in told["text"]
    up = feedback_click(answer["blocks"], helpful=True)  # someone else found the same answer helpful
    slack.click(bob, ids.FEEDBACK, up["value"], channel_id=dm_channel(alice), message_ts="1700008000.000001", action=up)
    slack.emulator.wait_for("response_url", 2)
    with slack.runtime.session() as s:
        rows = {r.rep_id: r for r in s.exec(select(AnswerFeedback)).all()}
    assert (rows[alice.id].helpful, rows[alice.id].question, rows[alice.id].intent) == (False, question, "deal_plan")
    assert rows[bob.id].helpful is True

    shown = _home(slack, admin, 1)
    assert f"{LIST_TITLE}* (1)" in shown and question in shown and "deal_plan" in shown
    assert LIST_TITLE not in _home(slack, alice, 2)  # only the process owner sees the list
    clock.advance(timedelta(days=8))
    later = _home(slack, admin, 3)
    assert f"{LIST_TITLE}* (0)" in later and question not in later
    assert slack.emulator.rejected() == []


def test_a_second_click_changes_the_verdict_and_a_thumbs_up_is_not_listed(slack):
    alice, admin = slack.floor.alice, slack.floor.admin
    slack.dm(alice, "which follow-ups are overdue?")
    [answer] = slack.emulator.wait_for("chat.postMessage")
    for n, helpful in enumerate((False, True), 1):
        action = feedback_click(answer["blocks"], helpful=helpful)
        slack.click(alice, ids.FEEDBACK, action["value"], message_ts="1700008100.000001", action=action)
        slack.emulator.wait_for("response_url", n)
    with slack.runtime.session() as s:
        [row] = s.exec(select(AnswerFeedback)).all()
    assert row.helpful is True
    assert f"{LIST_TITLE}* (0)" in _home(slack, admin, 1)


def test_a_feedback_value_that_is_not_ours_is_refused_kindly_and_stores_nothing(slack):
    forged = ["negative_feedback", "down " + "x" * 40 + " token", "sideways deal_plan token"]
    for n, value in enumerate(forged, 1):
        action = {"type": "feedback_buttons", "action_id": ids.FEEDBACK, "block_id": "answer_rating",
                  "text": {"type": "plain_text", "text": "👎"}, "value": value, "action_ts": "1.0"}
        slack.click(slack.floor.alice, ids.FEEDBACK, value, action=action)
        assert "out of date" in slack.emulator.wait_for("response_url", n)[n - 1]["text"], value
    with slack.runtime.session() as s:
        assert s.exec(select(AnswerFeedback)).all() == []


def _rating(**changes) -> dict:
    element = {"type": "feedback_buttons", "action_id": "rate",
               "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "up"},
               "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": "down"}}
    return {"type": "context_actions", "elements": [{**element, **changes}]}


def test_the_emulator_accepts_feedback_buttons_as_slack_documents_them():
    assert message_problems([_rating()]) == []
    assert message_problems([{"type": "context_actions", "elements": [
        {"type": "icon_button", "icon": "trash", "text": {"type": "plain_text", "text": "Delete"},
         "action_id": "delete", "value": "x"}]}]) == []


def test_the_emulator_refuses_what_slack_refuses_in_feedback_buttons_and_context_actions():
    long_value = {"text": {"type": "plain_text", "text": "👍"}, "value": "v" * 2001}
    cases = {
        "no negative button": _rating(negative_button=None),
        "a value over 2,000 characters": _rating(positive_button=long_value),
        "mrkdwn text": _rating(positive_button={"text": {"type": "mrkdwn", "text": "*yes*"}, "value": "up"}),
        "text over 75 characters": _rating(positive_button={"text": {"type": "plain_text", "text": "y" * 76},
                                                            "value": "up"}),
        "no value": _rating(negative_button={"text": {"type": "plain_text", "text": "👎"}}),
        "a long accessibility label": _rating(positive_button={"text": {"type": "plain_text", "text": "👍"},
                                                               "value": "up", "accessibility_label": "a" * 76}),
        "six elements": {"type": "context_actions", "elements": [_rating()["elements"][0]] * 6},
        "no elements": {"type": "context_actions", "elements": []},
        "a plain button": {"type": "context_actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go", "value": "1"}]},
        "an action_id over 255": _rating(action_id="a" * 256),
    }
    for why, block in cases.items():
        assert message_problems([block]), why
    two = {"type": "context_actions", "elements": [_rating()["elements"][0]] * 2}  # one action_id twice
    assert any("used 2 times" in p for p in message_problems([two]))


def test_the_emulator_refuses_suggested_prompts_slack_refuses():
    prompt = {"title": "Where should I start?", "message": "Where should I start today?"}
    assert prompt_problems({"channel_id": "D0A", "prompts": [prompt] * 4}) == []
    assert prompt_problems({"channel_id": "D0A", "prompts": [prompt] * 5})
    assert prompt_problems({"channel_id": "D0A", "prompts": []})
    assert prompt_problems({"channel_id": "D0A", "prompts": [{"title": "no message"}]})
    assert prompt_problems({"prompts": [prompt]})
