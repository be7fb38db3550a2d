"""The question behind an answer's Share and 👍/👎 buttons, kept server-side under a short token."""

from __future__ import annotations

import json

from bot.core.runtime import Runtime
from storage.asked import recall_question, remember_question


def remember(runtime: Runtime, question: str, thread_ts: str | None = None) -> str:
    """Store ``question`` (and the thread a shared copy goes to); the token is what the buttons carry."""
    with runtime.session() as session:
        return remember_question(session=session, question=question, thread_ts=thread_ts, now=runtime.now())


def recall(runtime: Runtime, value: str) -> tuple[str, str | None] | None:
    """``(question, thread_ts)`` for a button's value, or None when it names nothing we keep.

    Buttons sent before tokens carried ``{"q": question, "t": thread_ts}``; they still work.
    """
    if value.startswith("{"):
        try:
            shared = json.loads(value)
            return str(shared["q"]), shared.get("t")
        except (ValueError, KeyError, TypeError):
            return None
    with runtime.session() as session:
        row = recall_question(session=session, token=value)
        return (row.question, row.thread_ts) if row else None
