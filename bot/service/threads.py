"""Thread ownership: a conversation belongs to the person who started it."""

from __future__ import annotations

from bot.core.runtime import Runtime
from storage.access import Viewer
from storage.conversations import load_conversation


def has_conversation(runtime: Runtime, viewer: Viewer, key: str) -> bool:
    """Whether ``viewer`` has a conversation with the coach under ``key`` (e.g. they asked in that thread)."""
    with runtime.session() as session:
        return load_conversation(session=session, key=key, rep_id=viewer.rep_id) is not None
