"""Who may see deals in a channel, thread ownership, feedback and the questions behind buttons."""

from __future__ import annotations

import json

from bot.coach.engine import Coach
from bot.service.asked import recall, remember
from bot.service.channels import is_team_channel_of
from bot.service.feedback import give_feedback
from bot.service.threads import has_conversation
from storage.feedback import feedback_for
from storage.models import Team


def test_only_a_team_channel_whose_readers_may_see_every_deal_is_open_to_deals(runtime, floor):
    with runtime.session() as s:
        east = s.get(Team, floor.alice.team_id)
        east.slack_channel_id = "CEAST"
        s.add(east)
    assert is_team_channel_of(runtime, floor.viewer(floor.alice), "CEAST")
    assert not is_team_channel_of(runtime, floor.viewer(floor.alice), "COTHER")
    assert not is_team_channel_of(runtime, floor.viewer(floor.carol), "CEAST")  # West's rep in East's channel
    assert not is_team_channel_of(runtime, floor.viewer(floor.admin), "CEAST")  # an admin sees every team


def test_a_thread_belongs_to_whoever_asked_in_it(runtime, floor):
    Coach(runtime).ask(floor.viewer(floor.alice), "what should I do next on Globex?", conversation_key="C1:2.0")
    assert has_conversation(runtime, floor.viewer(floor.alice), "C1:2.0")
    assert not has_conversation(runtime, floor.viewer(floor.bob), "C1:2.0")
    assert not has_conversation(runtime, floor.viewer(floor.alice), "C1:3.0")


def test_a_question_is_kept_under_a_token_and_old_json_buttons_still_work(runtime):
    token = remember(runtime, "how is my pipeline?", "9.0")
    assert recall(runtime, token) == ("how is my pipeline?", "9.0")
    assert recall(runtime, json.dumps({"q": "old button", "t": None})) == ("old button", None)
    assert recall(runtime, "never-issued") is None and recall(runtime, "{broken") is None


def test_feedback_keeps_the_question_and_a_second_click_changes_the_verdict(runtime, floor):
    token = remember(runtime, "where should I start today?")
    give_feedback(runtime, floor.viewer(floor.alice), asked=token, channel="D1", message_ts="5.0", helpful=True)
    give_feedback(runtime, floor.viewer(floor.alice), asked=token, channel="D1", message_ts="5.0", helpful=False)
    give_feedback(runtime, None, asked="stale", channel="D1", message_ts="5.0", helpful=True)
    with runtime.session() as s:
        rows = [(r.rep_id, r.helpful, r.question) for r in feedback_for(session=s, channel="D1", message_ts="5.0")]
    assert rows == [(floor.alice.id, False, "where should I start today?"), (None, True, None)]
