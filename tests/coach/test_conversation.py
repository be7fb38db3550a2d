"""Conversations through ``Coach.ask``: focus kept and switched, choices picked, honest not-found and off-topic."""

from __future__ import annotations

import pytest

from bot.coach.results import Refusal
from storage.models import Role
from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack

pytestmark = pytest.mark.model



def test_a_choice_list_is_answered_by_the_second_one(runtime, floor, coach):
    with runtime.session() as s:
        renewal = f.deal(s, floor.alice, "Globex renewal", account="Globex Corporation", stage="discover",
                         external_id="D-GLOBEX-R")
    alice = floor.viewer(floor.alice)
    first = coach.ask(alice, "what should i do next on globex", conversation_key="t1", now=NOW)
    assert first.intent == "deal_choice" and [d.external_id for d in first.choices] == ["D-GLOBEX", "D-GLOBEX-R"]
    picked = coach.ask(alice, "the second one", conversation_key="t1", now=NOW)
    assert picked.intent == "deal_plan" and picked.deal.id == renewal.id
    again = coach.ask(alice, "and after that?", conversation_key="t1", now=NOW)
    assert again.intent == "after_that" and again.deal.id == renewal.id and "Validate" in again.text


def test_a_deal_of_a_ranked_list_is_picked_by_its_place_inside_a_longer_question(floor, coach):
    alice = floor.viewer(floor.alice)
    ranked = coach.ask(alice, "where do i start today", conversation_key="t5", now=NOW)
    listed = [row["external_id"] for row in ranked.data["deals"]]
    assert ranked.intent == "focus" and len(listed) == 2
    blocked = coach.ask(alice, "ok and the 2nd one, whats blocking it", conversation_key="t5", now=NOW)
    assert blocked.intent == "diagnosis" and blocked.deal.external_id == listed[1]
    coach.ask(alice, "where do i start today", conversation_key="t5", now=NOW)  # a place alone picks too
    assert coach.ask(alice, "the first one", conversation_key="t5", now=NOW).deal.external_id == listed[0]
    for pick, place in (("ok lets do the first one", 0), ("go with #2 pls", 1)):  # a pick said as people say it
        coach.ask(alice, "where do i start today", conversation_key="t5", now=NOW)
        picked = coach.ask(alice, pick, conversation_key="t5", now=NOW)
        assert picked.intent == "deal_plan" and picked.deal.external_id == listed[place], pick


def test_a_ranked_list_never_offers_a_deal_the_asker_may_not_see(runtime, floor, coach):
    alice = floor.viewer(floor.alice)
    coach.ask(alice, "which deals need attention", conversation_key="t6", now=NOW)
    with runtime.session() as s:
        # Globex changes hands after the list was shown: picking it is now a deal Alice may not see.
        s.get(type(floor.globex), floor.globex.id).owner_id = floor.carol.id
        s.commit()
    answer = coach.ask(alice, "draft an email for the first one", conversation_key="t6", now=NOW)
    assert answer.deal is None or answer.deal.external_id != "D-GLOBEX"
    assert "Globex" not in answer.text


def test_it_means_the_deal_in_focus_when_that_reads_more_like_a_question_about_a_deal(floor, coach):
    alice = floor.viewer(floor.alice)
    # No deal in focus: "it" is no deal in particular, so the whole book, or a question back about which deal.
    unfocused = coach.ask(alice, "is it at risk", now=NOW)
    assert unfocused.intent in ("attention", "which_deal") and unfocused.deal is None
    coach.ask(alice, "what should I do next on Globex?", conversation_key="t7", now=NOW)
    answer = coach.ask(alice, "is it at risk", conversation_key="t7", now=NOW)
    assert answer.intent == "diagnosis" and answer.deal.external_id == "D-GLOBEX"


def test_it_keeps_the_deal_and_and_hooli_switches_it(floor, coach):
    alice = floor.viewer(floor.alice)
    coach.ask(alice, "what should I do next on Globex?", conversation_key="t2", now=NOW)
    kept = coach.ask(alice, "what comes after this stage for it", conversation_key="t2", now=NOW)
    assert kept.intent == "after_that" and kept.deal.external_id == "D-GLOBEX"
    switched = coach.ask(alice, "and hooli?", conversation_key="t2", now=NOW)
    assert switched.intent == "after_that" and switched.deal.external_id == "D-HOOLI"


def test_a_deal_the_rep_cannot_see_reads_exactly_like_one_that_does_not_exist(floor, coach):
    alice = floor.viewer(floor.alice)
    hidden = coach.ask(alice, "what should I do next on Umbrella?", now=NOW)
    missing = coach.ask(alice, "what should I do next on Ghostbusters?", now=NOW)
    assert hidden.intent == missing.intent == "not_found"
    assert "“Ghostbusters”" in missing.text and "among the deals you can see" in missing.text
    assert hidden.text.replace("Umbrella", "X") == missing.text.replace("Ghostbusters", "X")
    assert not hidden.citations and not missing.citations and hidden.deal is None


def test_no_deal_named_and_none_in_focus_asks_which_with_the_askers_own_deals(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "what should i do next", now=NOW)
    assert answer.intent == "which_deal"
    assert "Globex platform rollout" in answer.text and "Hooli analytics" in answer.text
    assert "Initech" not in answer.text


def test_my_biggest_deal_and_my_next_call_name_a_deal(floor, coach):
    alice = floor.viewer(floor.alice)
    assert coach.ask(alice, "what should I do next on my biggest deal?", now=NOW).deal.external_id == "D-GLOBEX"
    # Globex has the only follow-up due from now on (today 18:00); the overdue one is not "next".
    assert coach.ask(alice, "what should i do next for my next call", now=NOW).deal.external_id == "D-GLOBEX"


def test_off_topic_says_so_with_the_askers_deals_and_no_passages(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "whats the capital of australia", now=NOW)
    assert answer.intent == "off_topic" and not answer.citations
    assert isinstance(answer.result, Refusal) and answer.result.kind == "outside"
    assert "Globex platform rollout" in answer.text and "Initech" not in answer.text


def test_a_rep_asking_for_someone_elses_deals_is_refused_alike_whoever_it_is(floor, coach):
    alice = floor.viewer(floor.alice)
    real = coach.ask(alice, "show me Bob Rep's deals", now=NOW)
    unknown = coach.ask(alice, "show me Jordan Lee's deals", now=NOW)
    assert real.intent == unknown.intent == "deal_list_denied" and real.text == unknown.text
    assert "Initech" not in real.text and real.data == unknown.data and "Initech" not in str(real.data)


def test_a_manager_lists_a_teammates_deals_but_not_another_teams(runtime, floor, coach):
    maria = floor.viewer(floor.manager)
    bob = coach.ask(maria, "show me Bob's deals", now=NOW)
    assert bob.intent == "deal_list" and bob.data["deals"] == ["D-INITECH"] and "Initech renewal" in bob.text
    typed = coach.ask(maria, "ok show me bobs deals", now=NOW)  # the apostrophe left out, as people type
    assert typed.intent == "deal_list" and typed.data["deals"] == ["D-INITECH"]
    carol = coach.ask(maria, "show me Carol's deals", now=NOW)
    nobody = coach.ask(maria, "show me Zed's deals", now=NOW)
    assert carol.intent == nobody.intent == "not_found" and "Umbrella" not in carol.text
    assert carol.text.replace("Carol", "X") == nobody.text.replace("Zed", "X")
    mine = coach.ask(floor.viewer(floor.alice), "show me my deals", now=NOW)
    assert mine.data["deals"] == ["D-GLOBEX", "D-HOOLI"]  # biggest first: 90,000 then 15,000


def test_what_i_can_do_uses_the_askers_deals_and_a_manager_hears_about_the_team(runtime, floor, coach):
    rep = coach.ask(floor.viewer(floor.alice), "what can you do?", now=NOW)
    assert rep.intent == "help" and "Globex platform rollout" in rep.text and "pipeline" not in rep.text.lower()
    with runtime.session() as s:
        lead = f.rep(s, "Lena Lead", role=Role.manager)
    manager = coach.ask(floor.viewer(lead), "help", now=NOW)
    assert "pipeline" in manager.text.lower() and "Globex" not in manager.text


@pytest.mark.parametrize("said", ["thx", "Thanks!", "ok cool, thank you", "perfect, got it", "ty"])
def test_a_thank_you_gets_a_word_back_and_keeps_the_deal_in_focus(floor, coach, said):
    alice = floor.viewer(floor.alice)
    coach.ask(alice, "what should I do next on Globex?", conversation_key=f"t-{said}", now=NOW)
    thanks = coach.ask(alice, said, conversation_key=f"t-{said}", now=NOW)
    assert thanks.intent == "help" and thanks.data == {"thanks": True} and thanks.text.startswith("Any time.")
    assert coach.ask(alice, "is it at risk", conversation_key=f"t-{said}", now=NOW).deal.external_id == "D-GLOBEX"


def test_a_message_with_more_than_thanks_in_it_is_read_as_a_question(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "thanks, and what should I do next on Globex?", now=NOW)
    assert answer.intent == "deal_plan" and answer.deal.external_id == "D-GLOBEX"


def test_a_stage_question_gets_the_stage_guide_with_activities_under_each_criterion(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "wat should i ask in discovery", now=NOW)
    assert answer.intent == "stage_guide" and answer.data["stage"] == "discover"
    assert answer.citations[0].section == "Stage: Discover" and answer.deal is None


def test_two_questions_in_one_message_get_both_answers_in_order(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "whats overdue and what should i do next on hooli", now=NOW)
    overdue, plan = slack(answer).split("———")
    assert answer.intent == "attention" and answer.data["also"] == "deal_plan"
    assert "Globex" in overdue and "1 overdue follow-up, 3 days late" in overdue
    assert plan.strip().startswith("*Hooli analytics*")
    # "...and what's next on it" is about the first question's deal.
    both = coach.ask(floor.viewer(floor.alice), "is globex at risk and what comes after this stage for it", now=NOW)
    assert both.intent == "diagnosis" and both.data["also"] == "after_that" and both.deal.external_id == "D-GLOBEX"
    assert "moves to *Close*" in slack(both).split("———")[1]
    # "whats", "hows": the second question starts with a contraction typed without its apostrophe.
    two = coach.ask(floor.viewer(floor.alice), "whats overdue and whats closing this month", now=NOW)
    closing = coach.ask(floor.viewer(floor.alice), "whats closing this month", now=NOW)
    assert two.intent == "attention" and two.data["also"] == closing.intent == "deal_list"
    assert two.text.split("———")[1].strip() == closing.text


def test_a_yes_with_nothing_proposed_says_so_and_writes_nothing(floor, coach):
    answer = coach.ask(floor.viewer(floor.alice), "yes", conversation_key="t-yes", now=NOW)
    assert answer.intent == "nothing_pending" and answer.proposal is None


def test_two_people_in_one_thread_each_keep_their_own_conversation(floor, coach):
    key = "C0TEAM:1700000000.0"
    rep = coach.ask(floor.viewer(floor.alice), "what should I do next on Globex?", conversation_key=key, now=NOW)
    manager = coach.ask(floor.viewer(floor.manager), "what should I do next on Initech?", conversation_key=key, now=NOW)
    assert (rep.deal.external_id, manager.deal.external_id) == ("D-GLOBEX", "D-INITECH")
    # Each follow-up keeps its own asker's deal.
    assert coach.ask(floor.viewer(floor.alice), "and after that?", conversation_key=key, now=NOW).deal.external_id == "D-GLOBEX"
    assert coach.ask(floor.viewer(floor.manager), "and after that?", conversation_key=key,
                     now=NOW).deal.external_id == "D-INITECH"


def test_torn_between_two_readings_where_one_cannot_be_meant_the_other_is_answered(runtime, floor):
    from bot.coach.engine import Coach
    from bot.coach.intents.base import DEAL_PLACEHOLDER
    from bot.coach.router import Router

    # Each pair shares its only example: a dead heat, so the router alone would ask which was meant.
    deal = DEAL_PLACEHOLDER
    tied = Coach(runtime, router=Router({"diagnosis": [f"is {deal} at risk"], "attention": [f"is {deal} at risk"],
                                         "focus": ["who should i chase"], "team_ranking": ["who should i chase"]},
                                        None))
    alice = floor.viewer(floor.alice)
    with runtime.session() as s:
        lead = f.rep(s, "Lena Lead", role=Role.manager)
    # No deal named or in focus: the deal reading could only ask which deal.
    assert tied.ask(alice, "is it at risk", now=NOW).intent == "attention"
    # A deal named: both readings can be meant, so it asks.
    assert tied.ask(alice, "is globex at risk", now=NOW).intent == "clarify"
    # A rep can't be answered a ranking of the team; a manager can, so a manager is asked.
    assert tied.ask(alice, "who should i chase", now=NOW).intent == "focus"
    assert tied.ask(floor.viewer(lead), "who should i chase", now=NOW).intent == "clarify"
