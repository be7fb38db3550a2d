"""Acknowledgements before answers: answer work waits while Slack's requests are being acknowledged.

Python threads have no priorities, and on a busy process CPU-heavy answers (retrieval,
composing) would share the cores with the request threads that owe Slack its 3-second
acknowledgement. The HTTP server reports each request; answer work starts once none is
in flight and none arrived for ``QUIET_SECONDS`` (a burst is acknowledged first), or
after ``MAX_WAIT_SECONDS``, so a steady stream of requests never starves the answers.
Socket Mode has no HTTP layer, so nothing ever waits there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

QUIET_SECONDS = 0.05
MAX_WAIT_SECONDS = 1.0


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
