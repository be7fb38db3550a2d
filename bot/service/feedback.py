"""👍 / 👎 on an answer, stored per person and message."""

from __future__ import annotations

from bot.core.runtime import Runtime
from bot.service.asked import recall
from storage.access import Viewer
from storage.feedback import record_feedback


def give_feedback(runtime: Runtime, viewer: Viewer | None, *, asked: str, channel: str, message_ts: str,
                  helpful: bool) -> None:
    """Record a verdict on the answer at ``channel``/``message_ts`` (a second click changes it).

    Args:
        viewer: the person, or None for someone Stagecoach does not know (their verdict counts too).
        asked: the button's value, naming the question the answer was for (kept with the verdict when known).
    """
    shared = recall(runtime, asked)
    with runtime.session() as session:
        record_feedback(session=session, rep_id=viewer.rep_id if viewer else None, channel=channel,
                        message_ts=message_ts, helpful=helpful, question=shared[0] if shared else None,
                        now=runtime.now())
