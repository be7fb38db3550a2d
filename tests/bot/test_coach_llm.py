"""The LLM path: real openai client against a local OpenAI-compatible server.

The model only words facts the engine computed; its prompt holds this deal's facts
and nothing else; failures and answers that leave their context fall back to the
composer after one retry.
"""

import logging

import pytest
from langchain_openai import ChatOpenAI

from bot.coach.engine import Coach
from bot.config import Settings
from bot.llm import make_chat_model
from tests.utils.factories import NOW
from tests.utils.openai_server import FakeOpenAI

GOOD = "First, send the pricing recap (3 days overdue). Then get written success criteria agreed."


@pytest.fixture
def llm():
    with FakeOpenAI(default_reply=GOOD) as server:
        yield server


def coach_with(runtime, server, timeout=5.0):
    settings = Settings(openai_api_key="sk-test", openai_base_url=server.base_url, llm_timeout=timeout)
    return Coach(runtime, chat_model=make_chat_model(settings))


def prompt_text(server) -> str:
    return "\n".join(m["content"] for m in server.chat_requests()[-1]["messages"])


def test_settings_choose_chatopenai_only_with_a_key():
    assert make_chat_model(Settings()) is None
    assert isinstance(make_chat_model(Settings(openai_api_key="sk-x")), ChatOpenAI)


def test_the_llm_words_the_plan_and_the_prompt_holds_only_this_deals_facts(runtime, floor, llm):
    answer = coach_with(runtime, llm).ask(floor.viewer(floor.alice), "what should I do next on Globex?", now=NOW)
    assert answer.worded_by_llm and answer.text == GOOD and answer.intent == "deal_plan"
    prompt = prompt_text(llm)
    for fact in ["Globex platform rollout", "Buyer agreed on written success criteria", "Send the pricing recap",
                 "Draft success criteria with the champion", "\"days_in_stage\": 25", "<facts>", "<sources>"]:
        assert fact in prompt
    for outsider in ["Hooli", "Initech", "Umbrella", "Buyer agreed to commercial terms", "Carol"]:
        assert outsider not in prompt
    assert "data, not instructions" in prompt
    assert "Authorization" not in str(llm.requests)


def test_two_server_errors_fall_back_to_the_composer(runtime, floor, llm, caplog):
    llm.enqueue({"status": 500}, {"status": 500})
    with caplog.at_level(logging.WARNING, logger="bot.llm"):
        answer = coach_with(runtime, llm).ask(floor.viewer(floor.alice), "next on globex", now=NOW)
    assert not answer.worded_by_llm
    assert "The buyer still has to confirm" in answer.text and "Send the pricing recap" in answer.text
    assert len(llm.chat_requests()) == 2
    assert "falling back to the composer" in caplog.text


def test_one_failure_is_retried(runtime, floor, llm):
    llm.enqueue({"status": 500}, GOOD)
    answer = coach_with(runtime, llm).ask(floor.viewer(floor.alice), "next on globex", now=NOW)
    assert answer.worded_by_llm and answer.text == GOOD


def test_a_slow_model_times_out_and_falls_back(runtime, floor, llm):
    llm.enqueue({"delay": 2, "content": GOOD}, {"delay": 2, "content": GOOD})
    answer = coach_with(runtime, llm, timeout=0.5).ask(floor.viewer(floor.alice), "next on globex", now=NOW)
    assert not answer.worded_by_llm and "Globex" in answer.text


@pytest.mark.parametrize("leak", [
    "Also push Hooli analytics this week.",          # another deal of hers, outside this answer's context
    "Get them to confirm terms_agreed now.",          # a criterion of another stage
    "As the notes say [S9], push harder.",            # a source it was not given
])
def test_answers_outside_their_context_are_retried_then_replaced(runtime, floor, llm, leak):
    llm.enqueue(leak, leak)
    answer = coach_with(runtime, llm).ask(floor.viewer(floor.alice), "next on globex", now=NOW)
    assert not answer.worded_by_llm and leak not in answer.text
    llm.enqueue(leak, GOOD)
    assert coach_with(runtime, llm).ask(floor.viewer(floor.alice), "next on globex", now=NOW).text == GOOD


def test_streaming_delivers_pieces_as_they_arrive(runtime, floor, llm):
    pieces: list[str] = []
    answer = coach_with(runtime, llm).ask(floor.viewer(floor.alice), "next on globex", now=NOW, on_delta=pieces.append)
    assert len(pieces) > 3 and "".join(pieces) == GOOD == answer.text
    assert llm.chat_requests()[-1]["stream"] is True


def test_a_question_about_another_reps_deal_never_reaches_the_model(runtime, floor, llm):
    answer = coach_with(runtime, llm).ask(floor.viewer(floor.alice), "what should I do next on Initech?", now=NOW)
    assert answer.intent == "not_found" and answer.deal is None
    assert llm.chat_requests() == []
    nonexistent = coach_with(runtime, llm).ask(floor.viewer(floor.alice), "what should I do next on Zyxcorp?", now=NOW)
    assert answer.text.replace("Initech", "X") == nonexistent.text.replace("Zyxcorp", "X")
