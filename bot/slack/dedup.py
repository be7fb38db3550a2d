"""One answer per Slack event, however often Slack delivers it and however many workers run.

Slack re-sends an event it thinks was missed (same ``event_id``, with an
``X-Slack-Retry-Num`` header). The first delivery claims the id in the database
(insert-or-ignore, so concurrent workers agree); every later one is acknowledged
and never reaches a listener.

The claim is kept off the acknowledgement path: the middleware only queues the
``event_id``, Bolt acknowledges at once, and the listener's work, running in the
listener pool, first waits for the claim. A single claimer thread writes the queued
claims in one transaction per burst, so 200 events arriving together cost a few
commits instead of 200 contended ones inside Slack's 3 seconds.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.core.runtime import Runtime
from bot.service.events import claim_events, forget_old

logger = logging.getLogger(__name__)

KEEP_CLAIMS = timedelta(days=1)  # Slack's last retry comes within the hour; a day is generous
PRUNE_EVERY_SECONDS = 3600
# Share and 👍/👎 on an answer older than this say the button is out of date; the question is not kept forever.
KEEP_QUESTIONS = timedelta(days=90)
MAX_CLAIMS_PER_COMMIT = 500

# The claim of the event the current request thread is dispatching (None for other requests).
_dispatching = threading.local()


class EventClaims:
    """Claims ``event_id``s in the database from one background thread, a burst per transaction."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._queue: queue.SimpleQueue[tuple[str, Future]] = queue.SimpleQueue()
        self._next_prune = 0.0
        threading.Thread(target=self._run, name="slack-event-claims", daemon=True).start()

    def claim(self, event_id: str) -> Future:
        """A future that resolves to True for the first delivery of ``event_id`` anywhere, False for a repeat."""
        future: Future = Future()
        self._queue.put((event_id, future))
        return future

    def _run(self) -> None:
        while True:
            burst = [self._queue.get()]
            while len(burst) < MAX_CLAIMS_PER_COMMIT:
                try:
                    burst.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(burst)
            self._maybe_prune()

    def _write(self, burst: list[tuple[str, Future]]) -> None:
        try:
            results = claim_events(self.runtime, [event_id for event_id, _ in burst])
        except Exception as exc:  # the database is unreachable: no answer rather than a duplicate
            logger.exception("could not record %d Slack event(s); they will not be answered", len(burst))
            for _, future in burst:
                future.set_exception(exc)
            return
        for (_, future), first in zip(burst, results, strict=True):
            future.set_result(first)

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_SECONDS
        try:
            forget_old(self.runtime, claims_older_than=KEEP_CLAIMS, questions_older_than=KEEP_QUESTIONS)
        except Exception:  # pruning is housekeeping; a failure must not cost an answer
            logger.exception("could not prune processed events and old questions")


class EventDeduplication(Middleware):
    """Bolt global middleware: queue the claim of each event; its listeners run only if it is the first."""

    def __init__(self, claims: EventClaims):
        self.claims = claims

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002 (Bolt's name)
        event_id = req.body.get("event_id") if req.body.get("type") == "event_callback" else None
        # Bolt's ``next()`` only lets the dispatch go on: the listeners are submitted after every middleware has
        # returned, from this thread. So the claim is set (or cleared) for each request as it starts.
        retry = req.headers.get("x-slack-retry-num", ["0"])[0]
        _dispatching.claim = (event_id, retry, self.claims.claim(event_id)) if event_id else None
        return next()


class ClaimGatedExecutor(ThreadPoolExecutor):
    """The listener pool: work submitted while an event is dispatched runs only if that event was claimed first."""

    def submit(self, fn, /, *args, **kwargs):
        claim = getattr(_dispatching, "claim", None)
        if claim is None:
            return super().submit(fn, *args, **kwargs)
        return super().submit(_when_first, claim, fn, *args, **kwargs)


def _when_first(claim: tuple[str, str, Future], fn, *args, **kwargs):
    event_id, retry, first = claim
    try:
        if not first.result():
            logger.info("event %s already handled (retry %s); acknowledged without answering", event_id, retry)
            return None
    except Exception:
        return None  # logged by the claimer
    return fn(*args, **kwargs)
