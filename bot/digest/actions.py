"""The digest's buttons: their ids and values, and what Done and Snooze do (through ``bot.core.deal_actions``).

The engine owns its buttons: ``item_actions`` says which each item offers and what
each carries, a surface draws them (``bot.slack.digest``), and the surface's listener
hands a click back to ``parse`` and runs ``apply`` in one session, showing the note it
returns in place of the item's buttons. Coach me is answered by the coach itself;
``parse`` gives the listener the deal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core import deal_actions
from bot.core.errors import InvalidInput, NotFound
from bot.digest.types import DigestItem
from knowledge.process_map import ProcessMap
from storage.access import Viewer
from storage.models import Deal
from storage.timeutil import zone

# Action ids of the digest's buttons, in the order each item shows them.
DONE = "digest_done"
SNOOZE_DAY = "digest_snooze_1d"
SNOOZE_WEEK = "digest_snooze_1w"
COACH_ME = "digest_coach"
ACTION_IDS = (DONE, SNOOZE_DAY, SNOOZE_WEEK, COACH_ME)
SNOOZE_DAYS = {SNOOZE_DAY: 1, SNOOZE_WEEK: 7}

SNOOZED_DEAL_NOTE = "Check in on this deal (snoozed from your digest)"
DONE_FROM_DIGEST_NOTE = "Done from the daily digest"
STALE = "That digest button is out of date — ask me “what needs my attention?” for a fresh list."


@dataclass(frozen=True)
class DigestAction:
    """A clicked digest button: what to do to which deal or follow-up."""

    action_id: str
    deal_id: int
    followup_id: int | None = None
    activity_key: str | None = None  # Done on a deal item logs this activity
    external_id: str | None = None  # Coach me: the deal's external id, which the coach resolves exactly

    @property
    def snooze_days(self) -> int | None:
        return SNOOZE_DAYS.get(self.action_id)


def item_actions(item: DigestItem) -> dict[str, str]:
    """Each button of ``item``: action id to value, in ``ACTION_IDS`` order.

    Values carry ids only; ``apply`` checks access again on the click. A follow-up is completed or snoozed. A deal item (stuck, past close) is "done" by
    logging the suggested activity, and snoozed by scheduling a follow-up, which keeps
    it out of the digest until then. ``parse`` reads the values back.
    """
    deal_id = item.deal.id
    if item.followup is not None:
        done = snooze = json.dumps({"f": item.followup.id, "d": deal_id})
    else:
        done = json.dumps({"d": deal_id, "a": item.next_activity.key if item.next_activity else None})
        snooze = json.dumps({"d": deal_id})
    return {DONE: done, SNOOZE_DAY: snooze, SNOOZE_WEEK: snooze,
            COACH_ME: json.dumps({"d": deal_id, "x": item.deal.external_id})}


def parse(action_id: str, value: str) -> DigestAction:
    """The button behind ``action_id`` and ``value`` (as ``item_actions`` wrote it).

    Raises:
        InvalidInput: not a digest button, or a value no digest wrote.
    """
    if action_id not in ACTION_IDS:
        raise InvalidInput(f"Not a digest button: {action_id!r}.")
    try:
        data = json.loads(value)
        deal_id = int(data["d"])
        followup_id = int(data["f"]) if data.get("f") is not None else None
    except (ValueError, TypeError, KeyError):
        raise InvalidInput(STALE) from None
    activity = data.get("a")
    external = data.get("x")
    return DigestAction(action_id, deal_id, followup_id, activity if isinstance(activity, str) else None,
                        external if isinstance(external, str) else None)


def apply(action: DigestAction, *, session: Session, viewer: Viewer, process: ProcessMap, now: datetime) -> str:
    """Do what a Done or Snooze button says, as ``viewer``; returns a short note for the message.

    Raises:
        NotFound: the deal or follow-up is gone or not the viewer's to see.
        InvalidInput: Coach me (answered by the coach, not here) or a closed deal.
    """
    if action.action_id == COACH_ME:
        raise InvalidInput("Coach me is answered by the coach: ask it about the deal.")
    days = action.snooze_days
    if action.followup_id is not None:
        if days:
            followup = deal_actions.snooze_followup(session=session, viewer=viewer, followup_id=action.followup_id,
                                                    now=now, days=days)
            return f"💤 Snoozed to {_local_day(followup.due_at, viewer)}"
        deal_actions.complete_followup(session=session, viewer=viewer, followup_id=action.followup_id, now=now)
        return "✅ Done"
    if days:
        # A deal item leaves the digest while a follow-up is scheduled ahead, so snoozing schedules one.
        followup = deal_actions.set_followup(session=session, viewer=viewer, deal_id=action.deal_id, now=now,
                                             due_at=now + timedelta(days=days), note=SNOOZED_DEAL_NOTE)
        return f"💤 Snoozed to {_local_day(followup.due_at, viewer)}"
    note = _activity_text(session, process, action) or DONE_FROM_DIGEST_NOTE
    deal_actions.log_activity(session=session, viewer=viewer, deal_id=action.deal_id, now=now, note=note,
                              activity_key=action.activity_key if note != DONE_FROM_DIGEST_NOTE else None)
    return f"✅ Logged: {note}"


def _activity_text(session: Session, process: ProcessMap, action: DigestAction) -> str | None:
    """The suggested activity's text, if the deal's stage still has that activity (the map may have changed)."""
    if not action.activity_key:
        return None
    deal = session.get(Deal, action.deal_id)
    if deal is None:
        raise NotFound("I can't find that deal among the deals you can see.")
    stage = process.stage(deal.stage_key)
    activity = next((a for a in stage.activities if a.key == action.activity_key), None) if stage else None
    return activity.text if activity else None


def _local_day(when: datetime, viewer: Viewer) -> str:
    return f"{when.astimezone(zone(viewer.timezone)):%a %b %d}"
