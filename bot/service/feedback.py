"""👍 / 👎 on an answer, stored per person and message; the admin's weekly list of answers marked unhelpful."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.service.asked import recall
from storage.access import Viewer
from storage.feedback import record_feedback, unhelpful_since
from storage.models import Role

WEEK = timedelta(days=7)
MAX_UNHELPFUL = 20  # an App Home holds 100 blocks; the newest twenty say enough


@dataclass(frozen=True)
class UnhelpfulAnswer:
    """An answer someone marked not helpful: what was asked, which intent answered, and when."""

    question: str | None  # None when the question is no longer kept (older than the question store's age)
    intent: str | None  # None for a click on a button sent before feedback buttons carried it
    marked_at: datetime


def give_feedback(runtime: Runtime, viewer: Viewer | None, *, asked: str, channel: str, message_ts: str,
                  helpful: bool, intent: str | None = None) -> None:
    """Record a verdict on the answer at ``channel``/``message_ts`` (a second click changes it).

    Args:
        viewer: the person, or None for someone Stagecoach does not know (their verdict counts too).
        asked: the button's value, naming the question the answer was for (kept with the verdict when known).
        intent: the intent that answered, when the button carries it.
    """
    shared = recall(runtime, asked)
    with runtime.session() as session:
        record_feedback(session=session, rep_id=viewer.rep_id if viewer else None, channel=channel,
                        message_ts=message_ts, helpful=helpful, question=shared[0] if shared else None,
                        intent=intent, now=runtime.now())


def unhelpful_this_week(runtime: Runtime, viewer: Viewer, now: datetime | None = None) -> list[UnhelpfulAnswer] | None:
    """The answers marked not helpful in the seven days before ``now``, newest first — for the process owner.

    Returns:
        None unless ``viewer`` is an admin (who owns the sales process map and the coach's answers).
    """
    if viewer.role != Role.admin:
        return None
    now = now or runtime.now()
    with runtime.session() as session:
        rows = unhelpful_since(session=session, since=now - WEEK, limit=MAX_UNHELPFUL)
        return [UnhelpfulAnswer(row.question, row.intent, row.created_at) for row in rows]
