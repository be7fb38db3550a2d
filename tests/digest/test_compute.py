"""What a rep's digest lists: overdue and due-today follow-ups, stuck deals, passed close dates, each with a next step."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core import deal_actions
from bot.core.errors import NotFound
from bot.digest import actions
from bot.digest.actions import DONE, SNOOZE_DAY, SNOOZE_WEEK
from storage.models import Activity, DealStatus
from tests.digest.fixtures import MONDAY_AFTERNOON_UTC, SUNDAY_NIGHT_UTC, digest_for, digests_at, sections, viewer
from tests.utils import factories as f

AT = MONDAY_AFTERNOON_UTC  # Monday 08:30 in Los Angeles


def _utc(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def test_a_reps_digest_lists_each_kind_of_item_with_days_and_the_maps_next_activity(runtime, floor):
    with runtime.session() as s:
        acme = f.deal(s, floor.lucy, "Acme", days_in_stage=3, now=AT)
        f.followup(s, acme, _utc(20, 18), "Send the ROI sheet")  # Fri 10:00 LA: 3 days overdue
        f.followup(s, acme, _utc(18, 17), "Call the CFO")  # Wed 09:00 LA: 5 days overdue
        f.followup(s, acme, _utc(23, 20), "Demo prep")  # Mon 12:00 LA: due today
        f.followup(s, acme, _utc(25, 20), "Later")  # not yet
        f.followup(s, acme, _utc(19, 17), "Done already", done=_utc(19, 18))
        bright = f.deal(s, floor.lucy, "Brightline", days_in_stage=14, now=AT)  # discover expects 10
        f.check(s, bright, "pain_confirmed")  # so the map's next move is about budget, not pain
        f.deal(s, floor.lucy, "Fresh", days_in_stage=10, now=AT)  # exactly at its expected time: not over
        f.deal(s, floor.lucy, "Cobalt", stage="validate", days_in_stage=5, now=AT, close_date=date(2026, 11, 20))
        f.deal(s, floor.lucy, "Closing today", stage="validate", days_in_stage=5, now=AT, close_date=date(2026, 11, 23))
        f.deal(s, floor.kenji, "Not Lucy's", days_in_stage=40, now=AT, close_date=date(2026, 11, 1))

    assert sections(digest_for(runtime, floor.lucy, AT)) == {
        "overdue": [("Acme", 5, "discovery_call"), ("Acme", 3, "discovery_call")],
        "due_today": [("Acme", 0, "discovery_call")],
        "stuck": [("Brightline", 4, "budget_question")],
        "past_close": [("Cobalt", 3, "success_plan")],
    }


def test_the_next_activity_reads_the_newest_check_of_each_criterion_of_the_deals_current_stage(runtime, floor):
    with runtime.session() as s:
        withdrawn = f.deal(s, floor.lucy, "Withdrawn", days_in_stage=14, now=AT)
        f.check(s, withdrawn, "pain_confirmed")
        f.check(s, withdrawn, "pain_confirmed", met=False)  # the buyer took it back: unmet again
        renewed = f.deal(s, floor.lucy, "Renewed", days_in_stage=14, now=AT)
        f.check(s, renewed, "pain_confirmed", met=False)
        f.check(s, renewed, "pain_confirmed")
        f.check(s, renewed, "budget_confirmed")
        f.followup(s, renewed, _utc(20, 18))  # 3 days overdue
        lapsed = f.deal(s, floor.lucy, "Lapsed", stage="validate", days_in_stage=5, now=AT, close_date=date(2026, 11, 20))
        f.check(s, lapsed, "success_criteria_agreed", stage="discover")  # recorded against another stage: not counted

    assert sections(digest_for(runtime, floor.lucy, AT)) == {
        "overdue": [("Renewed", 3, "org_map")],
        "due_today": [],
        "stuck": [("Renewed", 4, "org_map"), ("Withdrawn", 4, "discovery_call")],
        "past_close": [("Lapsed", 3, "success_plan")],
    }


def test_the_same_follow_up_is_overdue_in_tokyo_and_due_today_in_los_angeles_at_one_instant(runtime, floor):
    due = _utc(22, 14)  # Sunday 23:00 in Tokyo, Sunday 06:00 in Los Angeles
    with runtime.session() as s:
        f.followup(s, f.deal(s, floor.kenji, "Tokyo deal"), due)
        f.followup(s, f.deal(s, floor.lucy, "LA deal"), due)
    at = SUNDAY_NIGHT_UTC  # Monday 08:30 in Tokyo, Sunday 15:30 in Los Angeles
    assert sections(digest_for(runtime, floor.kenji, at))["overdue"] == [("Tokyo deal", 1, "discovery_call")]
    lucy = sections(digest_for(runtime, floor.lucy, at))
    assert (lucy["overdue"], lucy["due_today"]) == ([], [("LA deal", 0, "discovery_call")])
    # ...and only Tokyo is due a digest then: it is Sunday in Los Angeles.
    assert set(digests_at(runtime, at)) == {("Kenji Sato", "rep")}


def test_a_follow_up_due_on_saturday_is_two_days_overdue_on_monday(runtime, floor):
    with runtime.session() as s:
        f.followup(s, f.deal(s, floor.lucy, "Weekend"), _utc(21, 19))  # Saturday 11:00 in Los Angeles
    assert sections(digest_for(runtime, floor.lucy, AT))["overdue"] == [("Weekend", 2, "discovery_call")]


def test_a_snoozed_follow_up_leaves_todays_digest_and_is_due_on_the_day_it_was_snoozed_to(runtime, floor):
    with runtime.session() as s:
        deal = f.deal(s, floor.lucy, "Snoozy", now=AT)
        followup = f.followup(s, deal, _utc(20, 18), "Nudge legal")
    value = item_value(runtime, floor.lucy, SNOOZE_DAY)
    with runtime.session() as s:
        note = actions.apply(actions.parse(SNOOZE_DAY, value), session=s, viewer=viewer(floor.lucy),
                             process=runtime.process, now=AT)
    assert note == "💤 Snoozed to Tue Nov 24"
    assert digest_for(runtime, floor.lucy, AT).is_empty
    tuesday = sections(digest_for(runtime, floor.lucy, AT + timedelta(days=1)))
    assert tuesday["due_today"] == [("Snoozy", 0, "discovery_call")] and tuesday["overdue"] == []
    with runtime.session() as s:
        deal_actions.snooze_followup(session=s, viewer=viewer(floor.lucy), followup_id=followup.id, now=AT, days=7)
    assert digest_for(runtime, floor.lucy, AT + timedelta(days=1)).is_empty


def test_snoozing_a_stuck_deal_schedules_a_follow_up_that_brings_it_back_once(runtime, floor):
    with runtime.session() as s:
        f.deal(s, floor.lucy, "Stalled", days_in_stage=30, now=AT, close_date=date(2026, 11, 1))
    before = sections(digest_for(runtime, floor.lucy, AT))
    assert [name for name, *_ in before["stuck"] + before["past_close"]] == ["Stalled", "Stalled"]
    value = item_value(runtime, floor.lucy, SNOOZE_WEEK)
    with runtime.session() as s:
        actions.apply(actions.parse(SNOOZE_WEEK, value), session=s, viewer=viewer(floor.lucy),
                      process=runtime.process, now=AT)
    for days in (0, 1, 4):
        assert digest_for(runtime, floor.lucy, AT + timedelta(days=days)).is_empty, days
    next_monday = sections(digest_for(runtime, floor.lucy, AT + timedelta(days=7)))
    # Listed once, through the follow-up it was snoozed to, not again as stuck and past its close date.
    assert next_monday == {"overdue": [], "due_today": [("Stalled", 0, "discovery_call")], "stuck": [], "past_close": []}


def test_completed_follow_ups_disappear(runtime, floor):
    with runtime.session() as s:
        deal = f.deal(s, floor.lucy, "Acme")
        f.followup(s, deal, _utc(20, 18), "First")
        f.followup(s, deal, _utc(21, 18), "Second")
    first_value = item_value(runtime, floor.lucy, DONE)
    with runtime.session() as s:
        note = actions.apply(actions.parse(DONE, first_value), session=s, viewer=viewer(floor.lucy),
                             process=runtime.process, now=AT)
    assert note == "✅ Done"
    remaining = digest_for(runtime, floor.lucy, AT).overdue
    assert [i.followup.note for i in remaining] == ["Second"]
    with runtime.session() as s:
        deal_actions.complete_followup(session=s, viewer=viewer(floor.lucy), followup_id=remaining[0].followup.id, now=AT)
    assert digest_for(runtime, floor.lucy, AT).is_empty


def test_done_on_a_stuck_deal_logs_the_suggested_activity(runtime, floor):
    with runtime.session() as s:
        deal = f.deal(s, floor.lucy, "Stalled", days_in_stage=30, now=AT)
    value = item_value(runtime, floor.lucy, DONE)
    with runtime.session() as s:
        note = actions.apply(actions.parse(DONE, value), session=s, viewer=viewer(floor.lucy),
                             process=runtime.process, now=AT)
        logged = s.exec(select(Activity).where(Activity.deal_id == deal.id)).all()
    assert note == "✅ Logged: Run a discovery call on pain and impact"
    assert [(a.activity_key, a.rep_id) for a in logged] == [("discovery_call", floor.lucy.id)]


def test_closed_deals_are_never_listed(runtime, floor):
    with runtime.session() as s:
        won = f.deal(s, floor.lucy, "Won it", days_in_stage=40, now=AT, close_date=date(2026, 11, 1))
        f.followup(s, won, _utc(20, 18))
        lost = f.deal(s, floor.lucy, "Lost it", days_in_stage=40, now=AT, status=DealStatus.lost)
        f.followup(s, lost, _utc(20, 18))
    assert not digest_for(runtime, floor.lucy, AT).is_empty  # "Won it" is still open
    with runtime.session() as s:
        deal_actions.close_deal(session=s, viewer=viewer(floor.lucy), deal_id=won.id, now=AT, won=True)
    assert digest_for(runtime, floor.lucy, AT).is_empty


def test_someone_elses_button_changes_nothing(runtime, floor):
    with runtime.session() as s:
        deal = f.deal(s, floor.lucy, "Acme")
        f.followup(s, deal, _utc(20, 18))
    value = item_value(runtime, floor.lucy, DONE)
    with pytest.raises(NotFound), runtime.session() as s:
        actions.apply(actions.parse(DONE, value), session=s, viewer=viewer(floor.otto), process=runtime.process, now=AT)
    assert len(digest_for(runtime, floor.lucy, AT).overdue) == 1


def test_a_digest_of_a_rep_with_nothing_due_is_empty(runtime, floor):
    with runtime.session() as s:
        f.deal(s, floor.lucy, "Healthy", days_in_stage=2, now=AT, close_date=date(2026, 12, 20))
    assert digest_for(runtime, floor.lucy, AT).is_empty


def item_value(runtime, rep, action_id: str, index: int = 0) -> str:
    """The value of a button of the ``index``-th item of the rep's digest, as Slack would send it back."""
    items = digest_for(runtime, rep, AT).items
    return actions.item_actions(items[index])[action_id]
