"""A deal's plan and the changes buttons and forms make: access, whole transactions, clear errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.core.deal_actions import DEAL_NOT_FOUND, NeedsOverride
from bot.core.errors import InvalidInput, NotFound
from bot.digest import actions as digest_actions
from bot.service import deals
from storage import deals as deal_store
from storage.models import FollowUp, StageChange
from storage.timeutil import zone
from tests.utils.factories import NOW


def test_the_plan_of_a_deal_the_viewer_may_not_see_reads_as_not_found(runtime, floor):
    alice = floor.viewer(floor.alice)
    assert deals.deal_plan(runtime, alice, floor.globex.id).deal.name == "Globex platform rollout"
    for deal_id in (floor.umbrella.id, 999_999, None):
        with pytest.raises(NotFound) as refused:
            deals.deal_plan(runtime, alice, deal_id)
        assert str(refused.value) == DEAL_NOT_FOUND


def test_advancing_with_unmet_criteria_needs_a_reason_and_writes_nothing_without_one(runtime, floor):
    alice = floor.viewer(floor.alice)
    with pytest.raises(NeedsOverride) as needs:
        deals.advance_stage(runtime, alice, floor.hooli.id)
    assert needs.value.unmet
    with runtime.session() as s:
        assert s.exec(select(StageChange)).all() == []
    moved = deals.advance_stage(runtime, alice, floor.hooli.id, override_reason="  buyer asked to skip ahead ")
    assert (moved.deal_name, moved.stage_name) == ("Hooli analytics", "Validate")
    with runtime.session() as s:
        [change] = s.exec(select(StageChange)).all()
        assert change.override_reason == "buyer asked to skip ahead" and change.changed_by_id == floor.alice.id


def test_another_reps_deal_cannot_be_changed_and_stays_as_it_was(runtime, floor):
    alice = floor.viewer(floor.alice)
    with pytest.raises(NotFound):
        deals.advance_stage(runtime, alice, floor.initech.id, override_reason="mine now")
    with pytest.raises(NotFound):
        deals.log_activity(runtime, alice, floor.initech.id, note="called")
    with runtime.session() as s:
        assert deal_store.visible_deal(session=s, viewer=floor.viewer(floor.bob), deal_id=floor.initech.id).stage_key == "discover"
        assert s.exec(select(StageChange)).all() == []


def test_a_followup_is_due_at_nine_on_the_viewers_day_and_never_in_the_past(runtime, floor):
    alice = floor.viewer(floor.alice)
    today = NOW.astimezone(zone(alice.timezone)).date()
    with pytest.raises(InvalidInput, match="today or a later day"):
        deals.set_followup_on(runtime, alice, floor.hooli.id, day=today - timedelta(days=1), note="too late")
    followup = deals.set_followup_on(runtime, alice, floor.hooli.id, day=date(2026, 11, 24), note=" Call the CFO ")
    local = followup.due_at.astimezone(zone(alice.timezone))
    assert (local.date(), local.hour, followup.note) == (date(2026, 11, 24), 9, "Call the CFO")
    with runtime.session() as s:
        notes = [f.note for f in s.exec(select(FollowUp).where(FollowUp.deal_id == floor.hooli.id))]
    assert notes == ["Call the CFO"]


def test_an_empty_activity_is_refused(runtime, floor):
    with pytest.raises(InvalidInput, match="Say what happened"):
        deals.log_activity(runtime, floor.viewer(floor.alice), floor.hooli.id, note="  ")


def test_done_on_a_followup_and_a_digest_snooze_write_through_the_viewers_access(runtime, floor):
    alice, bob = floor.viewer(floor.alice), floor.viewer(floor.bob)
    with runtime.session() as s:
        overdue = deal_store.deal_state(session=s, deal=floor.globex).open_followups[0]
    with pytest.raises(NotFound):
        deals.complete_followup(runtime, bob, overdue.id)
    with pytest.raises(NotFound):
        deals.complete_followup(runtime, alice, None)
    snooze_a_day = next(action_id for action_id, days in digest_actions.SNOOZE_DAYS.items() if days == 1)
    note = deals.digest_action(runtime, alice, digest_actions.DigestAction(snooze_a_day, floor.globex.id, overdue.id))
    assert note.startswith("💤 Snoozed to ")
    assert deals.complete_followup(runtime, alice, overdue.id).done_at == NOW
