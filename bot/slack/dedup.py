"""One answer per Slack event, however often Slack delivers it and however many workers run.

Slack re-sends an event it thinks was missed (same ``event_id``, with an
``X-Slack-Retry-Num`` header). The first delivery claims the id in the database
(insert-or-ignore, so concurrent workers agree); every later one is acknowledged
and dropped before any listener runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.runtime import Runtime
from storage import events
from storage.timeutil import utcnow

logger = logging.getLogger(__name__)

KEEP_CLAIMS = timedelta(days=1)  # Slack's last retry comes within the hour; a day is generous
PRUNE_EVERY_SECONDS = 3600


class EventDeduplication(Middleware):
    """Bolt global middleware: drop events whose ``event_id`` was already claimed."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._next_prune = 0.0
        self._prune_lock = threading.Lock()

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002 (Bolt's name)
        event_id = req.body.get("event_id") if req.body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        with self.runtime.engine.begin() as connection:  # one short transaction, committed before any listener runs
            first = events.claim_event(session=connection, event_id=event_id, now=utcnow())
        self._maybe_prune()
        if not first:
            retry = req.headers.get("x-slack-retry-num", ["0"])[0]
            logger.info("event %s already handled (retry %s); acknowledging without answering", event_id, retry)
            return BoltResponse(status=200, body="")
        return next()

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._next_prune = now + PRUNE_EVERY_SECONDS
            with self.runtime.session() as session:
                events.forget_events_before(session=session, before=utcnow() - KEEP_CLAIMS)
        except Exception:  # pruning is housekeeping; a failure must not cost an answer
            logger.exception("could not prune processed events")
        finally:
            self._prune_lock.release()
