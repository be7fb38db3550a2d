"""Every change to a deal goes through here, whatever the surface (Slack button, modal, CLI, digest).

Each action checks access first: a deal the viewer may not see raises ``NotFound``
with the same words as a deal that does not exist. Each writes a history row with
who and when; nothing is overwritten. A deal synced from a CRM with write-back on also
gets the change queued for the CRM in the same transaction (``storage.sync.enqueue``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.errors import InvalidInput, NotFound
from bot.core.plan import unmet_criteria
from knowledge.process_map import ProcessMap
from storage import deals as deal_store
from storage import sync as crm_outbox
from storage.access import Viewer
from storage.models import Activity, CriterionCheck, Deal, DealStatus, FollowUp, StageChange

DEAL_NOT_FOUND = "I can't find that deal among the deals you can see."


class NeedsOverride(InvalidInput):
    """Advancing with unmet exit criteria needs a reason; ``unmet`` lists the criterion texts."""

    def __init__(self, unmet: list[str]):
        self.unmet = unmet
        super().__init__("This deal still has unmet exit criteria; give a reason to advance anyway.", unmet)


def _open_deal(session: Session, viewer: Viewer, deal_id: int) -> Deal:
    deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id)
    if deal is None:
        raise NotFound(DEAL_NOT_FOUND)
    return deal


def mark_criterion(*, session: Session, viewer: Viewer, process: ProcessMap, deal_id: int, criterion_key: str,
                   now: datetime, met: bool = True, evidence: str | None = None,
                   stage_key: str | None = None) -> CriterionCheck:
    """Record that the buyer confirmed (or withdrew) an exit criterion of the deal's current stage, or of
    ``stage_key``, an earlier stage (a criterion the deal moved on without, confirmed since)."""
    deal = _open_deal(session, viewer, deal_id)
    stage_key = stage_key or deal.stage_key
    stage = process.stage(stage_key)
    if stage is None or stage.criterion(criterion_key) is None:
        raise InvalidInput(f"{criterion_key!r} is not an exit criterion of the stage {stage_key!r}.")
    if process.stage(deal.stage_key) is None or process.index_of(stage_key) > process.index_of(deal.stage_key):
        raise InvalidInput(f"{stage.name} comes after the deal's stage {deal.stage_key!r}: its criteria are not due yet.")
    check = CriterionCheck(deal_id=deal.id, stage_key=stage_key, criterion_key=criterion_key, met=met,
                           evidence=(evidence or "").strip() or None, checked_at=now, checked_by_id=viewer.rep_id)
    session.add(check)
    session.flush()
    if met:
        criterion = stage.criterion(criterion_key)
        crm_outbox.enqueue(session=session, deal_id=deal.id, kind="note", now=now, payload={
            "stage": stage.name, "criterion": criterion.text, "evidence": check.evidence})
        if criterion.crm_properties:  # the map names a deal property for it: set it too, where the deal's CRM has one
            crm_outbox.enqueue(session=session, deal_id=deal.id, kind="property", now=now,
                               crms=[crm for crm, _ in criterion.crm_properties],
                               payload={"criterion": criterion.text, "properties": dict(criterion.crm_properties),
                                        "value": "true"})
    return check


def log_activity(*, session: Session, viewer: Viewer, deal_id: int, now: datetime, note: str,
                 activity_key: str | None = None) -> Activity:
    deal = _open_deal(session, viewer, deal_id)
    activity = Activity(deal_id=deal.id, activity_key=activity_key, note=note.strip() or None,
                        occurred_at=now, rep_id=viewer.rep_id)
    session.add(activity)
    session.flush()
    return activity


def set_followup(*, session: Session, viewer: Viewer, deal_id: int, now: datetime, due_at: datetime,
                 note: str) -> FollowUp:
    deal = _open_deal(session, viewer, deal_id)
    followup = FollowUp(deal_id=deal.id, due_at=due_at, note=note.strip() or None, created_at=now,
                        created_by_id=viewer.rep_id)
    session.add(followup)
    session.flush()
    crm_outbox.enqueue(session=session, deal_id=deal.id, kind="task", now=now, payload={
        "followup_id": followup.id, "subject": followup.note or "Follow up", "due_at": due_at.isoformat()})
    return followup


def _open_followup(session: Session, viewer: Viewer, followup_id: int) -> FollowUp:
    followup = session.get(FollowUp, followup_id)
    if followup is None or deal_store.visible_deal(session=session, viewer=viewer, deal_id=followup.deal_id) is None:
        raise NotFound("I can't find that follow-up among the deals you can see.")
    return followup


def complete_followup(*, session: Session, viewer: Viewer, followup_id: int, now: datetime) -> FollowUp:
    """Mark a follow-up done; completing one that is already done changes nothing."""
    followup = _open_followup(session, viewer, followup_id)
    if followup.done_at is None:
        followup.done_at = now
        session.add(followup)
        crm_outbox.enqueue(session=session, deal_id=followup.deal_id, kind="task_done", now=now,
                           payload={"followup_id": followup.id})
    return followup


def snooze_followup(*, session: Session, viewer: Viewer, followup_id: int, now: datetime, days: int) -> FollowUp:
    """Move a follow-up ``days`` past the later of now and its due time, keeping its time of day."""
    if days < 1:
        raise InvalidInput("Snooze by at least one day.")
    followup = _open_followup(session, viewer, followup_id)
    base = max(followup.due_at, now)
    followup.due_at = base + timedelta(days=days)
    session.add(followup)
    crm_outbox.enqueue(session=session, deal_id=followup.deal_id, kind="task_due", now=now,
                       payload={"followup_id": followup.id, "due_at": followup.due_at.isoformat()})
    return followup


def advance_stage(*, session: Session, viewer: Viewer, process: ProcessMap, deal_id: int, now: datetime,
                  override_reason: str | None = None) -> StageChange:
    """Move an open deal to the next stage of the map.

    Unmet exit criteria are computed here from the deal's own checks (never
    taken from the caller, so a forged button cannot skip them); with any
    unmet, a non-empty ``override_reason`` is required and is recorded.

    Raises:
        NeedsOverride: criteria are unmet and no reason was given.
        InvalidInput: the deal is closed or already in the last stage.
    """
    deal = _open_deal(session, viewer, deal_id)
    if deal.status != DealStatus.open:
        raise InvalidInput("This deal is closed; reopen it in your CRM first.")
    following = process.next_stage(deal.stage_key)
    if following is None:
        raise InvalidInput("This deal is in the last stage; close it as won or lost instead.")
    reason = (override_reason or "").strip() or None
    checks = deal_store.deal_state(session=session, deal=deal).latest_checks
    unmet = [c.text for c in unmet_criteria(process, deal.stage_key, checks)]
    if unmet and reason is None:
        raise NeedsOverride(unmet)
    return _move(session, deal, following.key, now, viewer, reason)


def close_deal(*, session: Session, viewer: Viewer, deal_id: int, now: datetime, won: bool,
               reason: str | None = None) -> StageChange:
    deal = _open_deal(session, viewer, deal_id)
    if deal.status != DealStatus.open:
        raise InvalidInput("This deal is already closed.")
    change = _move(session, deal, "won" if won else "lost", now, viewer, (reason or "").strip() or None)
    deal.status = DealStatus.won if won else DealStatus.lost
    deal.closed_at = now
    return change


def _move(session: Session, deal: Deal, to_stage: str, now: datetime, viewer: Viewer, reason: str | None) -> StageChange:
    change = StageChange(deal_id=deal.id, from_stage=deal.stage_key, to_stage=to_stage, changed_at=now,
                         changed_by_id=viewer.rep_id, override_reason=reason, source="app")
    if to_stage not in ("won", "lost"):
        deal.stage_key = to_stage
        deal.stage_entered_at = now
    session.add(change)
    session.add(deal)
    session.flush()
    crm_outbox.enqueue(session=session, deal_id=deal.id, kind="stage", now=now, payload={"stage": to_stage})
    return change
