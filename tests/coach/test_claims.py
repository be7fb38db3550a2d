"""The claim checker alone: what an LLM's text may say, given what this turn's tools returned."""

from __future__ import annotations

import pytest

from bot.coach.claims import CRITERION_MATCH, Facts, problems
from bot.core.config import DEFAULT_PROCESS_FILE
from knowledge.process_map import load_process_map

DEFAULT_MAP = load_process_map(DEFAULT_PROCESS_FILE)
ALL_CRITERIA = {c.text for s in DEFAULT_MAP.stages for c in s.exit_criteria}

# The phrasings behind CRITERION_MATCH: reworded criteria must pass, invented ones must not.
REWORDED = ["the buyer still needs to agree on written success criteria",
            "they haven't confirmed a budget range or funding source yet",
            "buyer has to name the economic decision maker", "confirm that the topic touches a current priority",
            "put a number on the cost of the problem", "agree to a deeper discovery conversation",
            "describe the pain in their own words", "confirm they own the problem area"]
INVENTED = ["the security questionnaire is signed", "legal approved the master services agreement",
            "procurement has onboarded us as a vendor", "the CFO signed the purchase order",
            "they switched off the competitor", "the pilot ran for thirty days", "the champion got promoted",
            "the board approved the budget for next year"]


def facts(*values, criteria=ALL_CRITERIA, passages=0) -> Facts:
    result = Facts(criteria=set(criteria), passages=passages)
    for value in values:
        result.add(value)
    return result


@pytest.mark.parametrize("claim", REWORDED)
def test_a_criterion_in_other_words_passes(claim):
    assert problems(f"The buyer still has to confirm {claim}.", facts(), company_names=[]) == []


@pytest.mark.parametrize("claim", INVENTED)
def test_an_invented_criterion_is_caught(claim):
    found = problems(f"The buyer still has to confirm {claim}.", facts(), company_names=[])
    assert len(found) == 1 and "not an exit criterion" in found[0]


def test_the_threshold_sits_between_the_measured_scores():
    assert 66 < CRITERION_MATCH <= 78


def test_a_criterion_of_another_stage_is_not_this_deals():
    validate_only = {"Buyer agreed in writing to the success criteria for the evaluation"}
    text = "Before anything else the buyer still has to confirm a budget range or funding source."
    assert problems(text, facts(criteria=validate_only), company_names=[])


def test_bullets_under_a_confirm_line_are_claims_too():
    text = "What the buyer must still confirm:\n• describe the pain in their own words\n• send us a signed NDA"
    found = problems(text, facts(), company_names=[])
    assert len(found) == 1 and "send us a signed NDA" in found[0]


def test_numbers_must_be_facts_or_their_roundings():
    known = facts({"amount": "90000.00", "win_rate": 0.8333, "days_in_stage": 25, "close_date": "2026-12-07"})
    ok = "It is worth 90,000 (about 90k), day 25, a win rate of 83%, closing Dec 7."
    assert problems(ok, known, company_names=[]) == []
    assert problems("Offer a 15% discount.", known, company_names=[]) == ["states 15%, which is in none of the facts"]
    assert problems("Aim to close by Dec 19.", known, company_names=[])
    assert problems("Next steps:\n1. Call them\n2. Send the recap", known, company_names=[]) == []  # list markers


def test_names_must_be_ones_the_tools_returned_and_tags_ones_they_gave():
    known = facts({"text": "Globex platform rollout · Validate"}, passages=2)
    assert problems("Globex platform rollout needs a call [S2].", known, company_names=["globex platform rollout"]) == []
    found = problems("Also push Umbrella expansion [S3].", known, company_names=["umbrella expansion"])
    assert found == ["cites [S3], which it was not given",
                     "names “umbrella expansion”, a deal or account no tool returned"]
