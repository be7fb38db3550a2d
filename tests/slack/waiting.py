"""Waiting on the Slack emulator for what did happen, and proving silence with a later positive control.

"Nothing happened" is never shown by sleeping and looking. The test sends, in the same channel, a
message that *is* answered (the control) and waits for that answer: the app is up and speaks there.
Then it waits until the app's listener pool has finished all the work it was given, which includes
every request acknowledged before the control (Bolt submits a listener before it sends the 200). Only
then does it assert the earlier message left no trace. Nothing here assumes the 32 listener threads
handle requests in the order they arrived.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from tests.utils.slack_emulator import SlackEmulator

CONTROL_QUESTION = "what are the exit criteria of close?"  # a process question: answered anywhere, to anyone
PROCESS_ANSWER = "commercial terms"  # in its answer ("Buyer agreed to commercial terms"), in no deal's plan

_ts = itertools.count(1)


def wait_until(emulator: SlackEmulator, seen: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Block until ``seen()`` is true, re-checked on every call the emulator records (fails on timeout)."""
    deadline = time.monotonic() + timeout
    with emulator._lock:
        while not seen():
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {what or seen}: {emulator.methods()}"
            emulator._lock.wait(remaining)


def is_control_answer(body: dict) -> bool:
    return PROCESS_ANSWER in (body.get("text") or "") and "Globex" not in (body.get("text") or "")


def control(slack, channel: str, *, rep=None, method: str = "chat.postMessage", thread_ts: str | None = None,
            timeout: float = 30.0) -> dict:
    """Ask the control question as ``rep`` (Alice) in ``channel`` (a DM, or a mention in a channel when the
    id starts with C) and return its answer once it arrived through ``method`` and every request sent
    before it has been handled."""
    rep = rep or slack.floor.alice
    ts = f"1700099{next(_ts):03d}.000001"
    if channel.startswith("C"):
        slack.mention(rep, CONTROL_QUESTION, channel=channel, ts=ts, thread_ts=thread_ts)
    else:
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        slack.dm(rep, CONTROL_QUESTION, ts=ts, channel=channel, **extra)

    def answered() -> list[dict]:
        return [c.body for c in slack.emulator.calls
                if c.method == method and c.status == 200 and not getattr(c, "problems", ())
                and c.body.get("channel") == channel and is_control_answer(c.body)]

    wait_until(slack.emulator, lambda: bool(answered()), timeout, f"the control answer in {channel}")
    assert slack.listeners.wait_until_idle(timeout), "the app was still handling earlier requests"
    return answered()[0]
