"""Pipeline questions through the coach: routing, access, clarifying questions, and the LLM's tool calls."""

from __future__ import annotations

import pytest

from bot.coach.engine import Coach
from bot.core.config import Settings
from bot.core.llm import make_chat_model
from storage.models import Role
from tests.pipeline.history import NOW
from tests.utils import factories as f
from tests.utils.openai_server import FakeOpenAI
from tests.utils.rendered import slack


def ask(runtime, rep, question, chat_model=None):
    return Coach(runtime, chat_model=chat_model).ask(Viewer_of(rep), question, now=NOW)


def Viewer_of(rep):  # noqa: N802 (reads like the constructor it wraps)
    from storage.access import Viewer

    return Viewer.of(rep)


def rows(answer, index=0):
    report = answer.data["reports"][index]
    keys = [k for k in report["columns"] if k != "stage_name"]
    return {r["stage"]: tuple(r[k] for k in keys) for r in report["rows"]}


def test_a_manager_asks_how_the_team_is_doing(runtime, history):
    answer = ask(runtime, history.manager, "How is my team's pipeline?")
    assert answer.intent == "pipeline"
    assert answer.data["reports"][0]["report"] == "status"
    assert rows(answer)["total"] == (4, 65_000, 32_500)
    table = answer.data["tables"][0]
    assert table["columns"] == ["Stage", "Deals", "Amount", "Weighted"]
    assert table["rows"][-1] == ["Total", 4, 65_000, 32_500]
    assert "*Pipeline by stage — East, now*" in slack(answer)


def test_flow_in_october_is_worded_as_a_manager_says_it(runtime, history):
    answer = ask(runtime, history.manager, "stage flow in October")
    assert "• Validate: began October with 1, 3 entered, 2 left, ended with 2" in answer.text
    assert rows(answer)["close"] == (1, 2, 1, 2)


def test_a_rep_gets_their_own_figures_and_never_the_teams(runtime, history):
    own = ask(runtime, history.alice, "stage flow in October")
    assert own.data["reports"][0]["scope"]["kind"] == "rep"
    assert rows(own)["discover"] == (1, 2, 3, 0)
    for question in ["How is my team's pipeline?", "stuck deals for Bob", "conversion for Team East in October",
                     "flow for Team West last month"]:
        answer = ask(runtime, history.alice, question)
        assert answer.intent == "pipeline_denied", question
        assert set(answer.data) == {"refused", "offer"}  # the refusal's kind and offer: no figure


def test_a_manager_sees_only_their_own_team(runtime, history):
    for question in ["flow for Team West in October", "stuck deals for Carol"]:
        assert ask(runtime, history.manager, question).intent == "pipeline_denied"
    west = ask(runtime, history.west_manager, "stage flow in October")
    assert rows(west)["discover"] == (0, 1, 1, 0) and rows(west)["validate"] == (0, 1, 0, 1)  # J only


def test_an_admin_may_ask_for_any_team_or_rep(runtime, history):
    west = ask(runtime, history.admin, "what's stuck in Team West?")
    assert [r["external_id"] for r in west.data["reports"][0]["rows"]] == ["D-J"]
    bob = ask(runtime, history.admin, "stuck deals for Bob")
    assert [r["external_id"] for r in bob.data["reports"][0]["rows"]] == ["D-F"]


def test_unclear_requests_get_a_short_question_back(runtime, history):
    answer = ask(runtime, history.manager, "Pipeline: October")
    assert answer.intent == "pipeline_clarify" and answer.text.endswith("?") and not answer.data
    unknown = ask(runtime, history.manager, "stuck deals for Zed")
    assert unknown.intent == "pipeline_clarify" and "Zed" in unknown.text


def test_a_name_shared_by_two_reps_is_asked_about(runtime, history):
    with runtime.session() as s:
        f.rep(s, "Alice Other", team=history.east)
    answer = ask(runtime, history.manager, "stuck deals for Alice")
    assert answer.intent == "pipeline_clarify"
    assert "Alice Rep" in answer.text and "Alice Other" in answer.text


def test_a_plain_word_after_for_is_not_taken_for_a_missing_person(runtime, history):
    answer = ask(runtime, history.manager, "stuck deals for review")
    assert answer.intent == "pipeline"
    assert len(answer.data["reports"][0]["rows"]) == 3


# -- with an LLM: the model picks the report and its arguments; the figures are ours ---------------


@pytest.fixture
def llm():
    with FakeOpenAI(default_reply="OK") as server:
        yield server


def model(server, timeout=5.0):
    return make_chat_model(Settings(openai_api_key="sk-test", openai_base_url=server.base_url, llm_timeout=timeout))


def test_the_model_calls_a_report_tool_with_typed_arguments(runtime, history, llm):
    llm.enqueue({"tool_calls": [{"name": "pipeline_report",
                                 "arguments": {"report": "flow", "period": "October", "my_team": True}}]},
                "Discover emptied out in October: 5 left and 3 entered.")
    answer = ask(runtime, history.manager, "how did deals move through the stages in october?", model(llm))
    assert answer.intent == "pipeline" and answer.worded_by_llm
    assert rows(answer)["discover"] == (2, 3, 5, 0)
    assert slack(answer).startswith("Discover emptied out in October: 5 left and 3 entered.\n\n*Stage flow — East, October*")
    first = llm.chat_requests()[0]
    tools = {t["function"]["name"]: t["function"]["parameters"]["properties"] for t in first["tools"]}
    # One report tool beside the coach's own (deal plan, focus, scorecard...): fewer tokens for every question.
    assert {"pipeline_report", "ask_clarifying_question", "deal_plan", "scorecard"} <= set(tools)
    assert tools["pipeline_report"]["report"]["enum"] == ["status", "flow", "time", "stuck", "conversion", "bottlenecks",
                                                      "velocity", "observed", "warnings", "slippage", "changes",
                                                      "forecast"]
    summary_prompt = "\n".join(m["content"] or "" for m in llm.chat_requests()[1]["messages"])
    assert "began October with 2, 3 entered, 5 left" in summary_prompt


def test_a_summary_with_a_number_the_report_lacks_is_dropped(runtime, history, llm):
    llm.enqueue({"tool_calls": [{"name": "pipeline_report", "arguments": {"report": "status"}}]}, "You have 17 open deals.",
                "You have 17 open deals.")
    answer = ask(runtime, history.manager, "how's the pipeline looking", model(llm))
    assert not answer.worded_by_llm
    assert slack(answer).startswith("*Pipeline by stage — East, now*")
    assert rows(answer)["total"] == (4, 65_000, 32_500)


def test_access_holds_whatever_the_model_asks_for(runtime, history, llm):
    llm.enqueue({"tool_calls": [{"name": "pipeline_report", "arguments": {"report": "stuck", "team": "West"}}]})
    answer = ask(runtime, history.alice, "what's stuck?", model(llm))
    assert answer.intent == "pipeline_denied" and set(answer.data) == {"refused", "offer"}


def test_the_model_may_ask_back(runtime, history, llm):
    llm.enqueue({"tool_calls": [{"name": "ask_clarifying_question", "arguments": {"question": "Which team?"}}]})
    answer = ask(runtime, history.admin, "pipeline numbers please", model(llm))
    assert (answer.intent, answer.text) == ("pipeline_clarify", "Which team?")


@pytest.mark.parametrize("replies", [
    [{"status": 500}, {"status": 500}],                                  # the model is down
    ["Here are your numbers!", "Still no tool."],                        # it answers without a tool
    [{"tool_calls": [{"name": "forecast", "arguments": {}}]}] * 2,       # it calls a tool we do not have
    [{"tool_calls": [{"name": "pipeline_report", "arguments": {"report": "flow", "period": "someday"}}]}] * 2,  # an argument we cannot read
])
def test_when_the_model_fails_the_parser_answers(runtime, history, llm, replies, caplog):
    llm.enqueue(*replies)
    answer = ask(runtime, history.manager, "stage flow in October", model(llm))
    assert answer.intent == "pipeline"
    assert rows(answer)["discover"] == (2, 3, 5, 0)


def test_a_slow_model_falls_back_in_bounded_time(runtime, history, llm):
    llm.enqueue({"delay": 2, "content": "late"}, {"delay": 2, "content": "late"})
    answer = ask(runtime, history.manager, "Pipeline: what's stuck?", model(llm, timeout=0.5))
    assert answer.intent == "pipeline" and [r["external_id"] for r in answer.data["reports"][0]["rows"]] == [
        "D-A", "D-B", "D-F"]


def test_a_rep_role_reaches_the_tool_prompt_but_no_deal_data(runtime, history, llm):
    llm.enqueue({"tool_calls": [{"name": "pipeline_report", "arguments": {"report": "status"}}]}, "OK")
    ask(runtime, history.alice, "how's my pipeline?", model(llm))
    routing = "\n".join(m["content"] for m in llm.chat_requests()[0]["messages"])
    assert f"role is {Role.rep.value}" in routing
    assert "Deal A" not in routing and "10,000" not in routing


@pytest.mark.parametrize(("question", "report"), [
    ("how long does it take us to close?", "velocity"),
    ("what's our win rate from Validate?", "velocity"),
    ("sales velocity", "velocity"),
    ("how do deals really move through our process?", "observed"),
])
def test_managers_questions_on_velocity_and_the_real_process_reach_their_reports(runtime, closed_history, question,
                                                                                  report):
    answer = ask(runtime, closed_history.manager, question)
    assert answer.intent == "pipeline", answer.text
    assert [r["report"] for r in answer.data["reports"]] == [report]


def test_win_rate_in_chat_says_the_sample_and_holds_back_below_it(runtime, closed_history):
    answer = ask(runtime, closed_history.admin, "win rate by stage in October")
    assert "• Win rate: 71% (5 won of 7 closed deals)" in answer.text
    assert "• From Validate: too few deals: n=4" in answer.text


@pytest.mark.parametrize("question", ["deal warnings for my team", "show me the warnings on our deals"])
def test_deal_warnings_in_chat(runtime, closed_history, question):
    answer = ask(runtime, closed_history.manager, question)
    assert answer.intent == "pipeline", answer.text
    assert [r["report"] for r in answer.data["reports"]] == ["warnings"]
    assert "*Deal warnings — East, now*" in slack(answer)
