"""Call prep through ``Coach.ask``: the buyer's state, what they confirmed, questions from unmet criteria
with the activity that moves each, follow-ups owed, a methodology tip, and refusals that leak nothing."""

from __future__ import annotations

import json

import pytest

from bot.coach.engine import Coach
from bot.coach.wording import buyer_question
from knowledge.process_map import load_process_map
from tests.bot.test_coach_retrieval import knowledge, retriever  # noqa: F401  (fixtures, used by name)
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model



def test_globex_prep_asks_the_unmet_criterion_then_the_skipped_discover_one(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "prep me for my call with Globex", now=NOW)

    assert answer.intent == "call_prep" and answer.deal.external_id == "D-GLOBEX"
    assert answer.data["confirmed"] == ["technical_fit_confirmed"]
    assert answer.data["questions"] == [
        {"stage_key": "validate", "criterion_key": "success_criteria_agreed",
         "question": "Could you agree on written success criteria?", "activity_key": "success_plan"},
        {"stage_key": "discover", "criterion_key": "budget_confirmed",  # Globex never had it confirmed
         "question": "Could you confirm a budget range?", "activity_key": "budget_question"},
    ]
    assert answer.data["open_followups"] == [
        {"note": "Send the pricing recap", "due_at": "2026-11-17T15:00:00+00:00", "days_overdue": 3},
        {"note": "Confirm workshop attendees", "due_at": "2026-11-20T18:00:00+00:00", "days_overdue": 0},
    ]
    text = answer.text
    assert "• Buyer's technical team confirmed fit (“CTO said yes on the call”)" in text  # with its evidence
    assert "1. Could you agree on written success criteria?\n   ↳ Draft success criteria with the champion" in text
    assert "2. (Discover, never confirmed) Could you confirm a budget range?" in text
    assert "• “Send the pricing recap”, 3 days overdue\n• “Confirm workshop attendees”, due today" in text
    assert "Where the buyer is" not in text  # the small map gives Validate no buyer state
    assert [c.section for c in answer.citations] == ["Stage: Validate", "Stage: Discover"]
    assert json.loads(json.dumps(answer.to_json()))["data"] == answer.data  # what `ask --json` prints


def test_a_discover_deal_shows_the_buyer_state_and_a_question_per_criterion_in_map_order(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "i have a call with hooli in 10 minutes, prep me", now=NOW)

    assert answer.intent == "call_prep"
    assert "*Where the buyer is:* The buyer admits there is a problem worth a conversation." in slack(answer)
    assert "*Confirmed so far:* nothing yet in Discover." in slack(answer)
    assert [(q["criterion_key"], q["question"], q["activity_key"]) for q in answer.data["questions"]] == [
        ("pain_confirmed", "Could you describe the pain in your own words?", "discovery_call"),
        ("budget_confirmed", "Could you confirm a budget range?", "budget_question"),  # its first activity
        ("decision_maker_named", "Could you name who signs off?", "org_map"),
    ]
    assert answer.data["confirmed"] == [] and answer.data["open_followups"] == []


def test_a_rep_asking_to_prep_for_another_reps_deal_gets_not_found_and_nothing_of_it(floor, coach):
    alice = floor.viewer(floor.alice)
    hidden = coach.ask(alice, "prep me for my call with Umbrella", now=NOW)
    missing = coach.ask(alice, "prep me for my call with Ghostbusters", now=NOW)

    assert hidden.intent == missing.intent == "not_found"
    assert hidden.text.replace("Umbrella", "X") == missing.text.replace("Ghostbusters", "X")
    assert hidden.deal is None and not hidden.citations and hidden.data == {}
    for leak in ("Umbrella expansion", "Umbrella Corp", "commercial terms", "mutual close plan"):
        assert leak not in hidden.text


def test_with_the_knowledge_index_the_prep_ends_with_one_cited_methodology_tip(runtime, floor, retriever):  # noqa: F811
    answer = Coach(runtime, retriever=retriever).ask(floor.viewer(floor.alice), "prep me for my call with Globex",
                                                     now=NOW)

    assert slack(answer).count("💡") == 1
    assert [c.source for c in answer.citations][:2] == ["processes/process_small.yaml"] * 2
    tip = answer.citations[2]
    assert len(answer.citations) == 3 and tip.source.startswith("methodologies/")
    assert tip.section == "Stage: Validate"  # a tip for the deal's stage, not any passage


def test_every_criterion_of_the_shipped_map_becomes_a_question_to_the_buyer():
    process = load_process_map("knowledge/processes/b2b_default.yaml")
    questions = {c.key: buyer_question(c.text) for s in process.stages for c in s.exit_criteria}
    assert questions["role_confirmed"] == "Could you confirm you own or directly influence the problem area we address?"
    assert questions["topic_relevant"] == "Would you say the topic raised in outreach touches a current priority?"
    assert questions["decision_maker_identified"] == (
        "Could you name the economic decision maker and describe how a purchase like this gets approved?")
    assert questions["stakeholders_support"] == (
        "Have your technical and business evaluators said they support moving to commercial terms?")
    assert questions["economic_buyer_engaged"] == "Has your economic buyer met with us or endorsed the evaluation outcome?"
    assert questions["security_approved"] == "Has your security or IT team approved the vendor review?"
    assert questions["fit_confirmed"] == (
        "Could you confirm the solution handles your key use cases on your own scenario or data?")
    for question in questions.values():  # no criterion is left as a statement
        assert question.endswith("?") and question.split()[0] in ("Could", "Would", "Has", "Have")


def test_a_criterion_in_an_unknown_shape_is_asked_as_it_stands():
    assert buyer_question("Security pack reviewed by IT.") == "Can you confirm this: security pack reviewed by IT?"
