"""Deal changes check access and write history with who and when."""

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core import deal_actions
from bot.core.deal_actions import NeedsOverride
from bot.core.errors import InvalidInput, NotFound
from storage.models import CriterionCheck, Deal, FollowUp, StageChange
from tests.utils.factories import NOW


def test_mark_criterion_writes_a_check_with_evidence_and_author(runtime, floor):
    with runtime.session() as s:
        deal_actions.mark_criterion(session=s, viewer=floor.viewer(floor.alice), process=runtime.process,
                                    deal_id=floor.globex.id, criterion_key="success_criteria_agreed",
                                    evidence="Signed success plan", now=NOW)
    with runtime.session() as s:
        check = s.exec(select(CriterionCheck).order_by(CriterionCheck.id.desc())).first()
    assert (check.criterion_key, check.evidence, check.checked_by_id) == ("success_criteria_agreed", "Signed success plan", floor.alice.id)


def test_criterion_of_another_stage_is_refused(runtime, floor):
    with pytest.raises(InvalidInput), runtime.session() as s:
        deal_actions.mark_criterion(session=s, viewer=floor.viewer(floor.alice), process=runtime.process,
                                    deal_id=floor.globex.id, criterion_key="terms_agreed", now=NOW)


@pytest.mark.parametrize("action", ["mark", "activity", "followup", "advance", "close"])
def test_another_reps_deal_reads_as_missing_for_every_action(runtime, floor, action):
    viewer = floor.viewer(floor.alice)
    calls = {
        "mark": lambda s: deal_actions.mark_criterion(session=s, viewer=viewer, process=runtime.process,
                                                      deal_id=floor.initech.id, criterion_key="pain_confirmed", now=NOW),
        "activity": lambda s: deal_actions.log_activity(session=s, viewer=viewer, deal_id=floor.initech.id, now=NOW, note="x"),
        "followup": lambda s: deal_actions.set_followup(session=s, viewer=viewer, deal_id=floor.initech.id, now=NOW,
                                                        due_at=NOW, note="x"),
        "advance": lambda s: deal_actions.advance_stage(session=s, viewer=viewer, process=runtime.process,
                                                        deal_id=floor.initech.id, now=NOW, override_reason="x"),
        "close": lambda s: deal_actions.close_deal(session=s, viewer=viewer, deal_id=floor.initech.id, now=NOW, won=True),
    }
    with pytest.raises(NotFound) as caught, runtime.session() as s:
        calls[action](s)
    assert "Initech" not in str(caught.value)
    with pytest.raises(NotFound) as missing, runtime.session() as s:
        deal_actions.log_activity(session=s, viewer=viewer, deal_id=999_999, now=NOW, note="x")
    assert str(missing.value) == str(caught.value)


def test_advance_needs_a_reason_while_criteria_are_unmet_and_records_it(runtime, floor):
    viewer = floor.viewer(floor.alice)
    with pytest.raises(NeedsOverride) as caught, runtime.session() as s:
        deal_actions.advance_stage(session=s, viewer=viewer, process=runtime.process, deal_id=floor.globex.id, now=NOW)
    assert caught.value.unmet == ["Buyer agreed on written success criteria"]
    with runtime.session() as s:
        deal_actions.advance_stage(session=s, viewer=viewer, process=runtime.process, deal_id=floor.globex.id,
                                   now=NOW, override_reason="Buyer confirmed verbally; paper follows")
    with runtime.session() as s:
        deal = s.get(Deal, floor.globex.id)
        change = s.exec(select(StageChange)).one()
    assert deal.stage_key == "close" and deal.stage_entered_at == NOW
    assert (change.from_stage, change.to_stage, change.changed_by_id) == ("validate", "close", floor.alice.id)
    assert change.override_reason == "Buyer confirmed verbally; paper follows"


def test_advance_without_reason_once_every_criterion_is_met(runtime, floor):
    viewer = floor.viewer(floor.alice)
    with runtime.session() as s:
        deal_actions.mark_criterion(session=s, viewer=viewer, process=runtime.process, deal_id=floor.globex.id,
                                    criterion_key="success_criteria_agreed", now=NOW)
        change = deal_actions.advance_stage(session=s, viewer=viewer, process=runtime.process, deal_id=floor.globex.id, now=NOW)
    assert change.override_reason is None
    with runtime.session() as s:
        deal = s.get(Deal, floor.globex.id)
        stored = s.exec(select(StageChange)).one()
    assert (deal.stage_key, deal.stage_entered_at) == ("close", NOW)
    assert (stored.from_stage, stored.to_stage, stored.changed_by_id, stored.override_reason) == \
        ("validate", "close", floor.alice.id, None)


def test_snooze_and_complete_followups(runtime, floor):
    viewer = floor.viewer(floor.alice)
    with runtime.session() as s:
        overdue = s.exec(select(FollowUp).where(FollowUp.deal_id == floor.globex.id).order_by(FollowUp.due_at)).first()
        snoozed = deal_actions.snooze_followup(session=s, viewer=viewer, followup_id=overdue.id, now=NOW, days=1)
        assert snoozed.due_at == NOW + timedelta(days=1)  # snoozed from now, since it was already overdue
        done = deal_actions.complete_followup(session=s, viewer=viewer, followup_id=overdue.id, now=NOW)
        assert done.done_at == NOW
    with pytest.raises(NotFound), runtime.session() as s:
        deal_actions.complete_followup(session=s, viewer=floor.viewer(floor.carol), followup_id=overdue.id, now=NOW)


@pytest.mark.parametrize(("won", "status", "reason"), [(True, "won", None), (False, "lost", "No budget this year")])
def test_close_deal_records_won_or_lost(runtime, floor, won, status, reason):
    with runtime.session() as s:
        deal_actions.close_deal(session=s, viewer=floor.viewer(floor.alice), deal_id=floor.hooli.id, now=NOW, won=won,
                                reason=reason)
    with runtime.session() as s:
        deal = s.get(Deal, floor.hooli.id)
        change = s.exec(select(StageChange)).one()
    assert deal.status == status and deal.closed_at == NOW and deal.stage_key == "discover"
    assert (change.from_stage, change.to_stage, change.override_reason) == ("discover", status, reason)
