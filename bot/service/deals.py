"""One deal: its plan, and every change a button or a form makes to it (through ``bot.core.deal_actions``).

``deal_actions`` checks access and the rules of the process map; each function here adds the
transaction, so a change is written whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core import deal_actions
from bot.core.errors import InvalidInput, NotFound
from bot.core.plan import DealPlan, build_plan
from bot.core.runtime import Runtime
from bot.digest import actions as digest_actions
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import FollowUp
from storage.timeutil import local_midnight_utc, zone

FOLLOWUP_HOUR = 9  # a follow-up set for a day is due at 9:00 in the rep's timezone


@dataclass(frozen=True)
class Moved:
    """A deal moved to its next stage."""

    deal_name: str
    stage_name: str


def deal_plan(runtime: Runtime, viewer: Viewer, deal_id: int | None) -> DealPlan:
    """The plan of a deal the viewer may see, as of now: what the coach, buttons and modals show of it.

    Raises:
        NotFound: no such deal, or not one of theirs — worded the same either way.
    """
    if deal_id is not None:
        with runtime.session() as session:
            deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id)
            if deal is not None:
                return build_plan(deal_store.deal_state(session=session, deal=deal), runtime.process, runtime.now())
    raise NotFound(deal_actions.DEAL_NOT_FOUND)


def advance_stage(runtime: Runtime, viewer: Viewer, deal_id: int | None, *, override_reason: str | None = None) -> Moved:
    """Move the deal to the next stage of the map; with unmet exit criteria only with a reason, which is recorded.

    Raises:
        NeedsOverride: exit criteria are unmet and no reason was given.
        NotFound: not a deal the viewer may see.
        InvalidInput: the deal is closed or in the last stage.
    """
    if deal_id is None:
        raise NotFound(deal_actions.DEAL_NOT_FOUND)
    process = runtime.process
    with runtime.session() as session:
        change = deal_actions.advance_stage(session=session, viewer=viewer, process=process, deal_id=deal_id,
                                            now=runtime.now(), override_reason=override_reason)
        deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id)
    stage = process.stage(change.to_stage)
    return Moved(deal.name if deal else "", stage.name if stage else change.to_stage)


def mark_criterion(runtime: Runtime, viewer: Viewer, deal_id: int, *, criterion_key: str,
                   evidence: str | None = None) -> str:
    """Record that the buyer confirmed an exit criterion of the deal's stage; returns the criterion's text.

    Raises:
        NotFound: not an open deal the viewer may see.
        InvalidInput: not a criterion of the deal's stage.
    """
    process = runtime.process
    with runtime.session() as session:
        check = deal_actions.mark_criterion(session=session, viewer=viewer, process=process, deal_id=deal_id,
                                            criterion_key=criterion_key, now=runtime.now(), evidence=evidence)
    stage = process.stage(check.stage_key)
    found = stage.criterion(check.criterion_key) if stage else None
    return found.text if found else check.criterion_key


def log_activity(runtime: Runtime, viewer: Viewer, deal_id: int, *, note: str, activity_key: str | None = None) -> None:
    """Log what happened on the deal (an activity of the map, a note, or both).

    Raises:
        NotFound: not an open deal the viewer may see.
        InvalidInput: neither a note nor an activity.
    """
    if not note.strip() and not activity_key:
        raise InvalidInput("Say what happened.")
    with runtime.session() as session:
        deal_actions.log_activity(session=session, viewer=viewer, deal_id=deal_id, now=runtime.now(), note=note,
                                  activity_key=activity_key)


def set_followup_on(runtime: Runtime, viewer: Viewer, deal_id: int, *, day: date, note: str) -> FollowUp:
    """A follow-up due at ``FOLLOWUP_HOUR`` on ``day`` in the viewer's timezone.

    Raises:
        InvalidInput: ``day`` is before the viewer's today.
        NotFound: not an open deal the viewer may see.
    """
    now, tz = runtime.now(), zone(viewer.timezone)
    if day < now.astimezone(tz).date():
        raise InvalidInput("Pick today or a later day.")
    due_at = local_midnight_utc(day, tz) + timedelta(hours=FOLLOWUP_HOUR)
    with runtime.session() as session:
        return deal_actions.set_followup(session=session, viewer=viewer, deal_id=deal_id, now=now, due_at=due_at,
                                         note=note)


def complete_followup(runtime: Runtime, viewer: Viewer, followup_id: int | None) -> FollowUp:
    """Mark a follow-up on a deal the viewer may see done (again is harmless).

    Raises:
        NotFound: no such follow-up among the deals the viewer may see.
    """
    if followup_id is None:
        raise NotFound("I can't find that follow-up among the deals you can see.")
    with runtime.session() as session:
        return deal_actions.complete_followup(session=session, viewer=viewer, followup_id=followup_id,
                                              now=runtime.now())


def digest_action(runtime: Runtime, viewer: Viewer, action: digest_actions.DigestAction) -> str:
    """Do what a digest's Done or Snooze button says; returns the short note that replaces the buttons.

    Raises:
        NotFound: the deal or follow-up is gone or not the viewer's to see.
        InvalidInput: a closed deal, or Coach me (which is the deal's plan, not a change).
    """
    with runtime.session() as session:
        return digest_actions.apply(action, session=session, viewer=viewer, process=runtime.process, now=runtime.now())
