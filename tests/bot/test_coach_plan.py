"""The plan is exact: unmet criteria in map order, the activities that move them, overdue first."""

from datetime import timedelta

from bot.coach.composer import compose_deal_plan
from bot.core.plan import build_plan, next_activities
from storage import deals as deal_store
from tests.utils import factories as f
from tests.utils.factories import NOW
from tests.utils.rendered import slack


def plan_of(runtime, deal, now=NOW):
    with runtime.session() as s:
        return build_plan(deal_store.deal_state(session=s, deal=s.get(type(deal), deal.id)), runtime.process, now)


def test_unmet_criteria_and_activities_are_exactly_right(runtime, floor):
    plan = plan_of(runtime, floor.globex)
    assert plan.stage_key == "validate" and plan.stage_name == "Validate"
    assert [c.key for c in plan.met] == ["technical_fit_confirmed"]
    assert plan.met[0].evidence == "CTO said yes on the call"
    assert [c.key for c in plan.unmet] == ["success_criteria_agreed"]
    assert [a.key for a in plan.next_activities] == ["success_plan"]
    assert (plan.days_in_stage, plan.expected_days, plan.days_over) == (25, 20, 5)
    assert plan.next_stage_name == "Close"
    assert plan.last_activity_note == "Ran tech review"


def test_followups_split_into_overdue_and_due_today(runtime, floor):
    plan = plan_of(runtime, floor.globex)
    assert [(x.note, x.days_overdue) for x in plan.overdue_followups] == [("Send the pricing recap", 3)]
    assert [x.note for x in plan.due_today_followups] == ["Confirm workshop attendees"]


def test_done_followups_disappear(runtime, floor):
    with runtime.session() as s:
        f.followup(s, s.get(type(floor.hooli), floor.hooli.id), NOW - timedelta(days=9), note="old", done=NOW)
    assert plan_of(runtime, floor.hooli).overdue_followups == []


def test_stage_ahead_of_buyer_lists_unconfirmed_earlier_criteria(runtime, floor):
    plan = plan_of(runtime, floor.globex)
    assert [c.key for c in plan.unconfirmed_earlier] == ["budget_confirmed"]
    assert plan.stage_ahead_of_buyer
    assert ("🧭 Heads-up: 1 exit criterion of an earlier stage (discover) was never confirmed — the deal may be "
            "ahead of the buyer. Start with: Buyer confirmed a budget range.") in slack(compose_deal_plan(plan, [], NOW))


def test_latest_check_wins_and_a_withdrawn_criterion_is_unmet_again(runtime, floor):
    with runtime.session() as s:
        deal = s.get(type(floor.globex), floor.globex.id)
        f.check(s, deal, "technical_fit_confirmed", met=False, at=NOW + timedelta(hours=1))
    plan = plan_of(runtime, floor.globex)
    assert [c.key for c in plan.unmet] == ["success_criteria_agreed", "technical_fit_confirmed"]
    assert [a.key for a in plan.next_activities] == ["success_plan", "tech_review"]


def test_an_activity_serving_two_criteria_is_suggested_once(runtime):
    stage = runtime.process.stage("discover")
    from bot.core.plan import criteria_states

    unmet = criteria_states(stage, {})
    keys = [a.key for a in next_activities(stage, unmet, limit=10)]
    assert keys == ["discovery_call", "budget_question", "org_map"]
    assert len(keys) == len(set(keys))


def test_all_criteria_met_means_ready_to_advance(runtime, floor):
    with runtime.session() as s:
        deal = s.get(type(floor.globex), floor.globex.id)
        f.check(s, deal, "success_criteria_agreed")
    plan = plan_of(runtime, floor.globex)
    assert plan.unmet == [] and plan.ready_to_advance and plan.next_activities == []
