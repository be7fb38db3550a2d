"""Acknowledge commands and buttons in the request thread, before the listener is even scheduled.

With ``process_before_response=False`` Bolt runs a listener in its thread pool
and waits for its ``ack()``; when the pool is busy with slow answers that ack
would queue behind them. Acknowledging here answers Slack at once; the listener
then does the work and replies through ``respond`` or the Web API.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack


def acknowledge_at_once(ack: Ack, next: Callable[[], None]) -> None:  # noqa: A002 (Bolt's argument name)
    ack()
    next()


AT_ONCE = [acknowledge_at_once]
