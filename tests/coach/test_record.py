"""Recording in words: one proposal per message, nothing written before a yes, written once after it."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from bot.cli import main
from bot.coach import proposals
from bot.coach.intents.base import DEAL_PLACEHOLDER, EXAMPLES_DEAL
from bot.coach.intents.record import (
    ACTIVITY_MATCH,
    CRITERION_MATCH,
    best_matches,
    content_words,
    match_score,
    read_day,
)
from bot.coach.types import Proposal
from bot.core.deal_actions import DEAL_NOT_FOUND
from bot.core.errors import InvalidInput, NotFound
from bot.service.deals import deal_plan
from knowledge.process_map import load_process_map
from storage.access import Viewer
from storage.models import Activity, CriterionCheck, Deal, FollowUp, ProposalDecision, Rep, StageChange
from tests.conftest import SMALL_PROCESS
from tests.utils.factories import NOW
from tests.utils.rendered import slack

DEFAULT_PROCESS = SMALL_PROCESS.parents[2] / "knowledge" / "processes" / "b2b_default.yaml"
model = pytest.mark.model  # Coach.ask routes with the local embedding model



def _rows(runtime, deal_id: int) -> dict[str, int]:
    """How many criterion checks, follow-ups and activities the deal has: what a write would change."""
    with runtime.session() as s:
        return {table.__name__: s.exec(select(func.count()).select_from(table).where(table.deal_id == deal_id)).one()
                for table in (CriterionCheck, FollowUp, Activity)}


def _proposal(deal: Deal, **fields) -> Proposal:
    base = {"kind": "criterion", "deal_id": deal.id, "deal_name": deal.name, "summary": f"{deal.name}: budget",
            "token": uuid.uuid4().hex, "stage_key": "discover", "criterion_key": "budget_confirmed",
            "evidence": "Hooli confirmed budget"}
    return Proposal(**{**base, **fields})


def _apply(runtime, viewer: Viewer, proposal: Proposal) -> str:
    with runtime.session() as s:
        return proposals.apply(session=s, process=runtime.process, viewer=viewer, proposal=proposal, now=NOW)


# -- each kind, parsed into one proposal -------------------------------------------------------------


@model
def test_a_criterion_the_buyer_confirmed_is_proposed_with_the_reps_words_and_nothing_is_written(runtime, floor, coach):
    before = _rows(runtime, floor.hooli.id)
    answer = coach.ask(floor.viewer(floor.alice), "Hooli confirmed budget", now=NOW)
    proposal = answer.proposal
    assert answer.intent == "record" and answer.deal.id == floor.hooli.id
    assert (proposal.kind, proposal.deal_id, proposal.stage_key, proposal.criterion_key, proposal.evidence) == (
        "criterion", floor.hooli.id, "discover", "budget_confirmed", "Hooli confirmed budget")
    assert "Buyer confirmed a budget range" in answer.text and slack(answer).endswith("Reply *yes* to record it, or *no* to drop it.")
    assert answer.to_json()["proposal"]["token"] == proposal.token and len(proposal.token) == 32
    assert _rows(runtime, floor.hooli.id) == before


@model
def test_a_follow_up_is_due_the_coming_friday_at_nine_in_the_askers_timezone(runtime, floor, coach):
    with runtime.session() as s:
        rep = s.get(Rep, floor.alice.id)
        rep.timezone = "America/New_York"  # NOW is Friday 10:00 there
        s.add(rep)
        alice = Viewer.of(rep)
    friday = coach.ask(alice, "add a follow-up on Globex for Friday: send the ROI case", now=NOW).proposal
    assert (friday.kind, friday.deal_id, friday.note) == ("followup", floor.globex.id, "Send the ROI case")
    assert friday.due_at == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # a week on, 09:00 EST
    tuesday = coach.ask(alice, "remind me to call Hooli next tuesday", now=NOW).proposal
    assert (tuesday.due_at, tuesday.note) == (datetime(2026, 11, 24, 14, 0, tzinfo=UTC), "Call Hooli")
    assert "Tuesday, Nov 24" in tuesday.summary


@model
def test_a_follow_up_without_a_date_or_with_a_past_one_asks_for_the_date(floor, coach):
    alice = floor.viewer(floor.alice)
    undated = coach.ask(alice, "remind me to call Hooli", now=NOW)
    past = coach.ask(alice, "remind me to call Hooli on 2026-11-02", now=NOW)
    assert undated.proposal is None and past.proposal is None
    assert "For when should I set the follow-up on Hooli analytics?" in undated.text
    assert "has passed" in past.text


@model
def test_an_activity_is_matched_to_the_stage_map_or_kept_in_the_reps_words(floor, coach):
    alice = floor.viewer(floor.alice)
    mapped = coach.ask(alice, "had the discovery call with Hooli", now=NOW).proposal
    assert (mapped.kind, mapped.activity_key, mapped.note) == (
        "activity", "discovery_call", "Had the discovery call with Hooli")
    free = coach.ask(alice, "sent Globex the pricing recap", now=NOW).proposal
    assert (free.kind, free.activity_key, free.note) == ("activity", None, "Sent Globex the pricing recap")


@model
def test_an_ambiguous_criterion_lists_the_candidates_and_proposes_nothing(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "Hooli confirmed budget and the decision maker", now=NOW)
    assert answer.proposal is None and answer.text.startswith("Which did the buyer confirm?")
    assert "• Buyer confirmed a budget range\n• Buyer named who signs off" in answer.text
    assert answer.data["candidates"] == ["budget_confirmed", "decision_maker_named"]


@model
def test_a_criterion_already_met_is_said_and_not_proposed_in_this_stage_or_an_earlier_one(floor, coach):
    alice = floor.viewer(floor.alice)
    met = coach.ask(alice, "log that Globex's CTO signed off on tech fit", now=NOW)
    assert met.proposal is None and met.text.startswith("Already recorded on Globex platform rollout")
    assert "CTO said yes on the call" in met.text
    # Globex is in Validate; its Discover pain criterion was confirmed there.
    earlier = coach.ask(alice, "globex confirmed the pain", now=NOW)
    assert earlier.proposal is None and earlier.data == {"criterion": "pain_confirmed", "criterion_stage": "discover",
                                                         "already_met": True}
    assert earlier.text == ("Already recorded on Globex platform rollout: Buyer described the pain in their own words "
                            "(Discover). Nothing to add.")


@model
def test_an_earlier_stage_criterion_the_deal_moved_on_without_is_proposed_and_recorded_there(runtime, floor, coach):
    alice = floor.viewer(floor.alice)
    # Globex is in Validate, and Discover's budget was never confirmed: call prep asks for it, so it can be logged.
    assert _never_confirmed(runtime, alice, floor.globex.id) == ["discover.budget_confirmed"]
    before = _rows(runtime, floor.globex.id)
    answer = coach.ask(alice, "Globex confirmed budget", now=NOW)
    proposal = answer.proposal
    assert (proposal.kind, proposal.stage_key, proposal.criterion_stage, proposal.criterion_key) == (
        "criterion", "validate", "discover", "budget_confirmed")
    assert "Buyer confirmed a budget range (Discover, never confirmed before the deal moved on)" in answer.text
    assert _rows(runtime, floor.globex.id) == before  # nothing written yet

    assert _apply(runtime, alice, proposal).startswith("✅ Recorded")
    with runtime.session() as s:
        checks = s.exec(select(CriterionCheck).where(CriterionCheck.deal_id == floor.globex.id,
                                                     CriterionCheck.criterion_key == "budget_confirmed")).all()
    assert [(c.stage_key, c.met, c.evidence) for c in checks] == [("discover", True, "Globex confirmed budget")]
    assert _never_confirmed(runtime, alice, floor.globex.id) == []


def _never_confirmed(runtime, viewer: Viewer, deal_id: int) -> list[str]:
    return [f"{c.stage_key}.{c.key}" for c in deal_plan(runtime, viewer, deal_id).unconfirmed_earlier]


def test_a_criterion_of_a_stage_the_deal_has_not_reached_is_refused(runtime, floor):
    proposal = _proposal(floor.hooli, stage_key="discover", criterion_stage="validate",
                         criterion_key="success_criteria_agreed")
    with pytest.raises(InvalidInput, match="comes after the deal's stage"):
        _apply(runtime, floor.viewer(floor.alice), proposal)
    assert _rows(runtime, floor.hooli.id)["CriterionCheck"] == 0


# -- confirming, once ----------------------------------------------------------------------------------


@model
def test_yes_writes_once_and_confirming_again_writes_nothing(runtime, floor, coach):
    alice = floor.viewer(floor.alice)
    proposed = coach.ask(alice, "Hooli confirmed budget", conversation_key="t-yes", now=NOW)
    before = _rows(runtime, floor.hooli.id)
    done = coach.ask(alice, "yep", conversation_key="t-yes", now=NOW)
    assert done.intent == "record" and done.text.startswith("✅ Recorded — Exit criterion met on Hooli analytics")
    assert _rows(runtime, floor.hooli.id) == {**before, "CriterionCheck": before["CriterionCheck"] + 1}
    with runtime.session() as s:
        check = s.exec(select(CriterionCheck).where(CriterionCheck.deal_id == floor.hooli.id)).one()
    assert (check.criterion_key, check.evidence, check.checked_by_id, check.checked_at) == (
        "budget_confirmed", "Hooli confirmed budget", floor.alice.id, NOW)
    coach.ask(alice, "yes", conversation_key="t-yes", now=NOW)
    assert _apply(runtime, alice, proposed.proposal) == "Already recorded."
    assert _rows(runtime, floor.hooli.id)["CriterionCheck"] == before["CriterionCheck"] + 1


@model
def test_a_deal_said_to_be_lost_is_proposed_closed_and_closes_once_on_yes(runtime, floor, coach):
    alice = floor.viewer(floor.alice)
    proposed = coach.ask(alice, "we lost hooli to a competitor, mark it lost", conversation_key="t-lost", now=NOW)
    proposal = proposed.proposal
    assert (proposal.kind, proposal.won, proposal.deal_id) == ("close", False, floor.hooli.id)
    assert "Deal closed lost: Hooli analytics" in proposed.text
    with runtime.session() as s:
        assert s.get(Deal, floor.hooli.id).status == "open"  # nothing written before the yes

    done = coach.ask(alice, "yes", conversation_key="t-lost", now=NOW)
    assert done.text.startswith("✅ Recorded — Deal closed lost: Hooli analytics")
    with runtime.session() as s:
        deal = s.get(Deal, floor.hooli.id)
        moves = s.exec(select(StageChange).where(StageChange.deal_id == deal.id, StageChange.to_stage == "lost")).all()
        assert (deal.status, deal.closed_at) == ("lost", NOW)
        assert [(m.from_stage, m.override_reason, m.changed_by_id) for m in moves] == [
            ("discover", "we lost hooli to a competitor, mark it lost", floor.alice.id)]
    assert _apply(runtime, alice, proposal) == "Already recorded."


@model
@pytest.mark.parametrize(("said", "won"), [("we won globex!", True), ("mark globex closed-won", True),
                                            ("globex closed lost", False), ("globex dropped out, mark as lost", False)])
def test_a_deals_outcome_in_words_is_a_close_proposal(floor, coach, said, won):
    proposal = coach.ask(floor.viewer(floor.alice), said, now=NOW).proposal
    assert (proposal.kind, proposal.won) == ("close", won)


@model
def test_losing_someone_at_a_deal_is_news_not_the_deals_end(floor, coach):
    proposal = coach.ask(floor.viewer(floor.alice), "we lost our champion at globex, she left the company",
                         now=NOW).proposal
    assert proposal.kind == "activity"


def test_two_confirmations_at_once_record_once(runtime, floor):
    alice, proposal = floor.viewer(floor.alice), _proposal(floor.hooli)
    start, said = threading.Barrier(2), []

    def confirm() -> None:
        start.wait()
        said.append(_apply(runtime, alice, proposal))

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(said) == ["Already recorded.", f"✅ Recorded — {proposal.summary}."]
    assert _rows(runtime, floor.hooli.id)["CriterionCheck"] == 1


@model
def test_no_drops_the_proposal_writes_nothing_and_it_cannot_be_confirmed_later(runtime, floor, coach):
    alice = floor.viewer(floor.alice)
    proposed = coach.ask(alice, "add a follow-up on Hooli for Friday: send the ROI case", conversation_key="t-no", now=NOW)
    before = _rows(runtime, floor.hooli.id)
    assert coach.ask(alice, "no, don't", conversation_key="t-no", now=NOW).text == proposals.DROPPED
    assert _apply(runtime, alice, proposed.proposal) == proposals.ALREADY["cancelled"]
    assert _rows(runtime, floor.hooli.id) == before


@model
def test_ask_shows_the_proposal_and_ask_yes_records_it(db_url, runtime, floor):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}

    def ask(*args: str):
        return CliRunner().invoke(main, ["ask", "--as", floor.alice.email, "--now", "2026-11-20T15:00:00Z", *args],
                                  env=env)

    shown = ask("Hooli confirmed budget")
    assert shown.exit_code == 0, shown.output
    assert "Run again with --yes to record it." in shown.output and "Reply" not in shown.output
    assert _rows(runtime, floor.hooli.id)["CriterionCheck"] == 0
    done = ask("--yes", "--json", "Hooli confirmed budget")
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert answer["intent"] == "record" and answer["proposal"]["criterion_key"] == "budget_confirmed"
    assert answer["recorded"].startswith("✅ Recorded — Exit criterion met on Hooli analytics")
    assert _rows(runtime, floor.hooli.id)["CriterionCheck"] == 1


# -- access and a deal that changed ---------------------------------------------------------------------


@model
def test_another_reps_deal_reads_as_not_found_and_a_replayed_proposal_is_refused(runtime, floor, coach):
    bob, alice = floor.viewer(floor.bob), floor.viewer(floor.alice)
    asked = coach.ask(bob, "Globex confirmed budget", now=NOW)
    assert asked.intent == "not_found" and asked.proposal is None and "Validate" not in asked.text
    proposal = _proposal(floor.hooli)
    with pytest.raises(NotFound, match=DEAL_NOT_FOUND):
        _apply(runtime, bob, proposal)
    assert _rows(runtime, floor.hooli.id)["CriterionCheck"] == 0
    with runtime.session() as s:
        assert s.get(ProposalDecision, proposal.token) is None  # the refused claim rolled back with the write
    assert _apply(runtime, alice, proposal).startswith("✅ Recorded")


def test_a_criterion_proposed_before_the_deal_moved_on_is_refused(runtime, floor):
    proposal = _proposal(floor.hooli)
    with runtime.session() as s:
        deal = s.get(Deal, floor.hooli.id)
        deal.stage_key = "validate"
        s.add(deal)
    with pytest.raises(InvalidInput, match="has moved to Validate"):
        _apply(runtime, floor.viewer(floor.alice), proposal)
    assert _rows(runtime, floor.hooli.id)["CriterionCheck"] == 0


# -- reading the words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("reply", "expected"), [
    ("yes", True), ("y", True), ("Yep!", True), ("confirm", True), ("do it", True), ("ok log it", True),
    ("yes please", True), ("👍", True), ("no", False), ("cancel", False), ("nope", False), ("don't", False),
    ("no, don't log it", False), ("never mind", False), ("yes and what's next on Initech?", None),
    ("what should I do next", None), ("", None),
])
def test_a_reply_to_a_proposal_reads_as_yes_no_or_neither(reply, expected):
    assert proposals.is_yes(reply) is expected


@pytest.mark.parametrize(("phrase", "day"), [
    ("friday", date(2026, 11, 27)), ("this friday", date(2026, 11, 20)), ("tomorrow", date(2026, 11, 21)),
    ("next tuesday", date(2026, 11, 24)), ("thurs", date(2026, 11, 26)), ("coming monday", date(2026, 11, 23)),
    ("in two weeks", date(2026, 12, 4)), ("end of week", date(2026, 11, 20)), ("end of month", date(2026, 11, 30)),
    ("the 5th", date(2026, 12, 5)), ("dec 3", date(2026, 12, 3)), ("2026-12-03", date(2026, 12, 3)),
    ("today", date(2026, 11, 20)),
])
def test_due_days_are_read_from_the_askers_wall_clock_preferring_the_future(phrase, day):
    assert read_day(phrase, datetime(2026, 11, 20, 10, 0)) == day  # a Friday morning


# Phrasings from the measurement behind the thresholds (see bot/coach/intents/record.py): each names one
# criterion or activity of its stage; the unrelated ones name none.
CRITERIA = [
    (SMALL_PROCESS, "discover", "acme admitted the reporting pain is real", "pain_confirmed"),
    (SMALL_PROCESS, "discover", "acme confirmd budgit", "budget_confirmed"),
    (SMALL_PROCESS, "discover", "acme told us who signs off", "decision_maker_named"),
    (SMALL_PROCESS, "validate", "acme's cto signed off on tech fit", "technical_fit_confirmed"),
    (SMALL_PROCESS, "validate", "acme agreed the success plan", "success_criteria_agreed"),
    (DEFAULT_PROCESS, "discover", "acme said the problem costs them 200k a year", "impact_quantified"),
    (DEFAULT_PROCESS, "validate", "acme's economic buyer endorsed the evaluation", "economic_buyer_engaged"),
    (DEFAULT_PROCESS, "commit", "acme confirmed the signing date", "signatory_confirmed"),
    (DEFAULT_PROCESS, "propose", "acme accepted the price", "price_accepted_in_principle"),
]
UNRELATED = ["acme said yes", "acme confirmed the call", "acme said the weather is nice", "acme confirmed attendance"]
ACTIVITIES = [
    (SMALL_PROCESS, "discover", "did the disco call with acme", "discovery_call"),
    (SMALL_PROCESS, "validate", "did the tech review with acme", "tech_review"),
    (DEFAULT_PROCESS, "validate", "briefed acme's economic buyer", "executive_briefing"),
    (DEFAULT_PROCESS, "commit", "had the redline call with acme legal", "redline_call"),
]


def _named(words: str, items, threshold: float) -> list[str]:
    words = words.replace(EXAMPLES_DEAL, DEAL_PLACEHOLDER)  # as the examples files, "acme" is the deal's name
    scored = sorted(((match_score(content_words(words), i.text, i.key), i.key) for i in items), reverse=True)
    return best_matches(scored, threshold)


@pytest.mark.parametrize(("path", "stage", "words", "key"), CRITERIA)
def test_the_criterion_threshold_finds_the_one_meant(path, stage, words, key):
    assert _named(words, load_process_map(path).stage(stage).exit_criteria, CRITERION_MATCH) == [key]


@pytest.mark.parametrize("path", [SMALL_PROCESS, DEFAULT_PROCESS])
def test_unrelated_statements_name_no_criterion_of_any_stage(path):
    for stage in load_process_map(path).stages:
        assert all(_named(words, stage.exit_criteria, CRITERION_MATCH) == [] for words in UNRELATED), stage.key


@pytest.mark.parametrize(("path", "stage", "words", "key"), ACTIVITIES)
def test_the_activity_threshold_finds_the_one_meant(path, stage, words, key):
    assert _named(words, load_process_map(path).stage(stage).activities, ACTIVITY_MATCH) == [key]


@model
@pytest.mark.parametrize("question", ["Globex: how do I handle their pricing pushback?",
                                      "what did globex confirm so far", "why hasnt globex signed yet",
                                      "did globex ever tell us their budget?", "globex signed yet?",
                                      "is hooli still interested in the pilot"])
def test_a_question_naming_a_deal_is_never_taken_as_news_to_record(runtime, floor, coach, question):
    answer = coach.ask(floor.viewer(floor.alice), question, now=NOW)

    assert answer.intent != "record" and answer.proposal is None
    if answer.intent == "clarify":  # asking which was meant is fine, as long as recording is not one of the two
        assert "record" not in answer.data["candidates"]
