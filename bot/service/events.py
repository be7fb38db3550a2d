"""Slack event claims: each delivered event is handled once, however often Slack sends it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.core.runtime import Runtime
from storage import asked, events


def claim_events(runtime: Runtime, event_ids: Sequence[str]) -> list[bool]:
    """Claim each of ``event_ids`` in one transaction: True for an id claimed here first, False for a repeat.

    One by one inside the transaction, so a retry in the same burst as its original loses.
    """
    with runtime.session() as session:
        now = runtime.now()
        return [events.claim_event(session=session, event_id=event_id, now=now) for event_id in event_ids]


def forget_old(runtime: Runtime, *, claims_older_than: timedelta, questions_older_than: timedelta) -> None:
    """Delete event claims and remembered questions (Share, 👍/👎) past their keeping time."""
    with runtime.session() as session:
        now = runtime.now()
        events.forget_events_before(session=session, before=now - claims_older_than)
        asked.forget_questions_before(session=session, before=now - questions_older_than)
