"""Acknowledgements before answers: Slack's 3 seconds never wait on answer work.

Three rules, each from a failure measured by ``bench/slack_bench.py``:

- A request whose acknowledgement *is* the answer (a modal submission's ``response_action``,
  an options request) runs its listener in the request thread (``ListenerPool``). In the pool it
  would queue behind slow answers, and Bolt answers 404 when no ``ack()`` came within 3 seconds.
- The listener pool is never larger than the database pool can serve (``listener_pool_size``).
- Python threads have no priorities, and on a busy process CPU-heavy answers (retrieval,
  composing) would share the cores with the request threads that owe Slack its acknowledgement.
  The HTTP server reports each request; answer work starts once none is in flight and none
  arrived for ``QUIET_SECONDS`` (a burst is acknowledged first), or after ``MAX_WAIT_SECONDS``,
  so a steady stream of requests never starves the answers. Socket Mode has no HTTP layer, so
  nothing ever waits there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

QUIET_SECONDS = 0.05
MAX_WAIT_SECONDS = 1.0
# Slack waits for these requests' HTTP response to show the result (a modal's errors or next view, options).
ANSWERED_IN_ACK = frozenset({"view_submission", "block_suggestion"})

_request = threading.local()  # whether the request this thread is dispatching is answered in its ack


class AckGate:
    def __init__(self) -> None:
        self._in_flight = 0
        self._last_arrival = float("-inf")
        self._changed = threading.Condition()

    @contextmanager
    def acknowledging(self) -> Iterator[None]:
        """Around one HTTP request from Slack."""
        with self._changed:
            self._in_flight += 1
            self._last_arrival = time.monotonic()
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def wait_for_acks(self, timeout: float = MAX_WAIT_SECONDS) -> None:
        """Block while requests are being acknowledged (or just arrived), at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = time.monotonic()
                quiet_in = self._last_arrival + QUIET_SECONDS - now
                if (not self._in_flight and quiet_in <= 0) or now >= deadline:
                    return
                self._changed.wait(min(deadline - now, max(quiet_in, 0.01)))


ACKS = AckGate()  # one HTTP server per process, so one gate per process


def answer_in_ack(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002 (Bolt's name)
    """Bolt global middleware: mark, for every request, whether its listener must run in this thread."""
    _request.answer_in_ack = req.body.get("type") in ANSWERED_IN_ACK
    return next()


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener executor: a pool, except for requests answered in their ack, run where they arrive.

    It counts the work not yet finished, so whoever must know that every request acknowledged so far
    has been handled (a test proving that nothing was said, a clean shutdown) can wait for it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._unfinished = 0
        self._changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if not getattr(_request, "answer_in_ack", False):
            with self._changed:
                self._unfinished += 1
            try:
                return super().submit(self._counted, fn, *args, **kwargs)
            except BaseException:  # shut down: the work will never run, so it is not waited for
                self._finished()
                raise
        done: Future = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as error:  # Bolt's runner handles a listener's errors itself; this is its own
            done.set_exception(error)
        return done

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until all work submitted so far has finished (True), or ``timeout`` seconds passed (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._unfinished == 0, timeout)

    def _counted(self, fn, /, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._changed:
            self._unfinished -= 1
            self._changed.notify_all()


def listener_pool_size(engine: Engine, wanted: int) -> int:
    """At most ``wanted`` listener threads, and few enough that they can never hold every database connection.

    An answer holds its session's connection while it reads the active process map through a
    second one. With more listeners than connections, each could hold one while waiting for
    another: all of them wait out the pool's timeout (30 s) and fail, and the events they had
    acknowledged are never answered. The listeners get half the pool, less one for the event
    claims; request threads (modal submissions) and the digest share the rest.
    """
    pool = engine.pool
    overflow = getattr(pool, "_max_overflow", -1)  # SQLAlchemy has no public reader; -1 is "no limit"
    if not isinstance(pool, QueuePool) or overflow < 0:
        return wanted  # a pool without a shared limit (NullPool, StaticPool, ...) cannot run dry
    return max(1, min(wanted, (pool.size() + overflow - 1) // 2))
