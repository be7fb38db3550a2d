"""Coach me: the deal-plan answer for a deal picked by id — no words read back, no model."""

from __future__ import annotations

import pytest

from bot.coach.engine import Coach
from bot.core.errors import NotFound
from bot.service.coaching import deal_plan_answer
from storage import conversations
from tests.utils import factories as f


def test_a_deal_picked_by_id_gets_its_plan_even_where_its_name_is_ambiguous(runtime, floor):
    with runtime.session() as s:
        twin = f.deal(s, floor.alice, "Globex platform rollout", account="Globex Corporation", stage="discover",
                      external_id="D-GLOBEX-2")
    coach = Coach(runtime)  # no retriever, no chat model: nothing off this machine is needed
    words = coach.ask(floor.viewer(floor.alice), "What should I do next on Globex platform rollout?")
    assert words.intent == "deal_choice"  # the name alone is two deals
    for deal_id, stage in ((floor.globex.id, "validate"), (twin.id, "discover")):
        planned = deal_plan_answer(coach, floor.viewer(floor.alice), deal_id=deal_id)
        assert planned.answer.intent == "deal_plan"
        assert planned.answer.plan.deal.id == deal_id and planned.answer.plan.stage_key == stage
    by_crm_id = deal_plan_answer(coach, floor.viewer(floor.alice), external_id="D-GLOBEX-2")
    assert by_crm_id.answer.plan.deal.id == twin.id and by_crm_id.question == "What should I do next on D-GLOBEX-2?"


def test_the_deal_becomes_the_conversations_focus(runtime, floor):
    coach = Coach(runtime)
    alice = floor.viewer(floor.alice)
    deal_plan_answer(coach, alice, deal_id=floor.hooli.id, conversation_key="D1:1.0")
    with runtime.session() as s:
        convo = conversations.load_conversation(session=s, key="D1:1.0", rep_id=alice.rep_id)
        assert convo.deal_id == floor.hooli.id
    follow_up = coach.ask(alice, "what's blocking it?", conversation_key="D1:1.0")
    assert follow_up.deal.id == floor.hooli.id


def test_a_deal_the_viewer_may_not_see_is_not_found(runtime, floor):
    coach = Coach(runtime)
    for picked in ({"deal_id": floor.umbrella.id}, {"external_id": "D-UMBRELLA"}, {}):
        with pytest.raises(NotFound):
            deal_plan_answer(coach, floor.viewer(floor.alice), **picked)


def test_a_closed_deal_gets_how_it_ended(runtime, floor):
    with runtime.session() as s:
        lost = f.deal(s, floor.alice, "Wayne lost deal", status="lost", external_id="D-WAYNE")
    planned = deal_plan_answer(Coach(runtime), floor.viewer(floor.alice), deal_id=lost.id)
    assert planned.answer.intent != "deal_plan" and "lost" in planned.answer.text.lower()
