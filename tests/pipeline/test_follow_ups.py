"""Follow-ups to a pipeline answer in the same conversation ("and September?") keep the report asked for."""

from __future__ import annotations

import pytest

from bot.coach.engine import Coach
from bot.pipeline.parser import carry_over, parse_request
from bot.pipeline.periods import find_period
from storage.access import Viewer
from tests.pipeline.history import NOW


def test_a_period_follow_up_answers_the_same_report_for_the_new_period(runtime, history):
    coach, manager = Coach(runtime), Viewer.of(history.manager)
    first = coach.ask(manager, "stage flow in October", conversation_key="t1", now=NOW)
    follow = coach.ask(manager, "and September?", conversation_key="t1", now=NOW)
    direct = coach.ask(manager, "stage flow in September", now=NOW)
    assert first.intent == follow.intent == "pipeline"
    assert follow.data["reports"][0]["report"] == "flow"
    assert follow.data["reports"][0]["period"]["label"] == "September"
    assert follow.data["reports"] == direct.data["reports"]
    assert follow.data["reports"] != first.data["reports"]


def test_a_second_follow_up_still_keeps_the_report(runtime, history):
    coach, manager = Coach(runtime), Viewer.of(history.manager)
    coach.ask(manager, "time in stage in October", conversation_key="t2", now=NOW)
    coach.ask(manager, "and September?", conversation_key="t2", now=NOW)
    second = coach.ask(manager, "what about last quarter?", conversation_key="t2", now=NOW)
    assert second.data["reports"][0]["report"] == "time"
    assert second.data["reports"] == coach.ask(manager, "time in stage last quarter", now=NOW).data["reports"]


def test_a_follow_up_naming_a_rep_narrows_the_scope_and_access_still_holds(runtime, history):
    coach = Coach(runtime)
    manager, rep = Viewer.of(history.manager), Viewer.of(history.alice)
    coach.ask(manager, "stage flow in October", conversation_key="t3", now=NOW)
    narrowed = coach.ask(manager, "and for Bob?", conversation_key="t3", now=NOW)
    assert narrowed.data["reports"] == coach.ask(manager, "stage flow in October for Bob", now=NOW).data["reports"]
    coach.ask(rep, "stage flow in October", conversation_key="t4", now=NOW)
    refused = coach.ask(rep, "and for Bob?", conversation_key="t4", now=NOW)
    assert refused.intent == "pipeline_denied"


def test_without_a_pipeline_turn_before_it_a_short_question_is_not_a_report(runtime, history):
    answer = Coach(runtime).ask(Viewer.of(history.manager), "and September?", conversation_key="t5", now=NOW)
    assert not answer.intent.startswith("pipeline")


@pytest.mark.parametrize(("previous", "question", "kinds", "changed"), [
    ("stage flow in October", "and September?", ("flow",), {"period": find_period("September")}),
    ("Pipeline: stuck", "what about Team West?", ("stuck",), {"team": "West"}),
    ("conversion last quarter for Bob", "and for Alice", ("conversion",), {"rep": "Alice"}),
    ("conversion last quarter for Bob", "and my team?", ("conversion",), {"rep": None, "whole_team": True}),
])
def test_carry_over_keeps_the_reports_and_changes_what_the_follow_up_says(previous, question, kinds, changed):
    before = parse_request(previous).request
    after = carry_over(previous, question)
    assert after.kinds == before.kinds == kinds
    assert {key: getattr(after, key) for key in changed} == changed
    unchanged = {"period", "rep", "team"} - set(changed) - ({"rep"} if "team" in changed else set())
    assert {key: getattr(after, key) for key in unchanged} == {key: getattr(before, key) for key in unchanged}


@pytest.mark.parametrize(("previous", "question"), [
    ("stage flow in October", "and what's stuck?"),    # names its own report: asked as it is
    ("what next on Globex?", "and September?"),        # the previous question asked for no report
    ("stage flow in October", "and after that?"),      # changes neither the period nor whose deals
])
def test_carry_over_declines_what_is_no_follow_up(previous, question):
    assert carry_over(previous, question) is None
