"""Conversation memory: which deal a thread is about and its last few turns."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Conversation

MAX_TURNS = 8


def _row_key(key: str, rep_id: int) -> str:
    """A thread is per asker: a manager asking in a rep's thread has a conversation of their own."""
    return f"{key}#{rep_id}"


def load_conversation(*, session: Session, key: str, rep_id: int) -> Conversation | None:
    """This rep's conversation under ``key`` (a Slack thread, a DM, a terminal chat)."""
    return session.get(Conversation, _row_key(key, rep_id))


def turns(conversation: Conversation | None) -> list[dict]:
    return json.loads(conversation.history) if conversation else []


def last_state(history: list[dict]) -> dict:
    """What the newest answer left for the next message to refer to (empty when nothing)."""
    if not history or history[-1].get("role") != "assistant":
        return {}
    return {k: v for k, v in history[-1].items() if k not in ("role", "text")}


def save_turn(*, session: Session, key: str, rep_id: int, deal_id: int | None, intent: str,
              question: str, answer: str, now: datetime, state: dict | None = None) -> None:
    """Append a question and its answer, keeping the last few turns and the deal in focus.

    ``state`` rides on the answer's turn: what the next message may refer to (the deals of
    a choice list, a write waiting for "yes").
    """
    row_key = _row_key(key, rep_id)
    # Several first messages at once in one place (a DM taking three events) must not each insert the row:
    # it is created if absent, then read locked (PostgreSQL; SQLite writers are serialised anyway), so turns
    # saved at the same moment are appended one after the other, none lost.
    insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(Conversation)
    session.execute(insert.values(key=row_key, rep_id=rep_id, history="[]", updated_at=now)
                    .on_conflict_do_nothing(index_elements=["key"]))
    row = session.exec(select(Conversation).where(Conversation.key == row_key).with_for_update()
                       .execution_options(populate_existing=True)).one()
    history = json.loads(row.history)
    history += [{"role": "user", "text": question}, {"role": "assistant", "text": answer, **(state or {})}]
    row.history = json.dumps(history[-MAX_TURNS:])
    if deal_id is not None:
        row.deal_id = deal_id
    row.last_intent = intent
    row.updated_at = now
    session.add(row)


def proposal_in_conversations(*, session: Session, rep_id: int, token: str) -> dict | None:
    """The write ``token`` names, as proposed in one of this rep's conversations (None when none holds it).

    Only the rep's own conversations are searched, so a button pressed by anyone else finds nothing,
    exactly like a proposal that never was. A proposal lives as long as its turn is kept.
    """
    rows = session.exec(select(Conversation).where(Conversation.rep_id == rep_id,
                                                   col(Conversation.history).contains(token))).all()
    for row in rows:
        for turn in json.loads(row.history):
            proposal = turn.get("proposal")
            if isinstance(proposal, dict) and proposal.get("token") == token:
                return proposal
    return None
