"""Conversation memory: which deal a thread is about and its last few turns."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session

from storage.models import Conversation

MAX_TURNS = 8


def load_conversation(*, session: Session, key: str, rep_id: int) -> Conversation | None:
    """The conversation under ``key`` if it belongs to this rep (a thread is per asker)."""
    row = session.get(Conversation, key)
    return row if row is not None and row.rep_id == rep_id else None


def turns(conversation: Conversation | None) -> list[dict]:
    return json.loads(conversation.history) if conversation else []


def save_turn(*, session: Session, key: str, rep_id: int, deal_id: int | None, intent: str,
              question: str, answer: str, now: datetime) -> None:
    """Append a question and its answer, keeping the last few turns and the deal in focus."""
    row = session.get(Conversation, key)
    if row is None or row.rep_id != rep_id:
        row = Conversation(key=key, rep_id=rep_id, history="[]", updated_at=now)
    history = json.loads(row.history)
    history += [{"role": "user", "text": question}, {"role": "assistant", "text": answer}]
    row.history = json.dumps(history[-MAX_TURNS:])
    if deal_id is not None:
        row.deal_id = deal_id
    row.last_intent = intent
    row.updated_at = now
    session.add(row)
