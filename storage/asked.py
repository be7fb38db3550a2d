"""Questions that answer buttons refer to by a short token (Share in channel, 👍/👎)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session

from storage.models import AskedQuestion


def remember_question(*, session: Session, question: str, thread_ts: str | None, now: datetime) -> str:
    """Keep ``question`` (and the thread a shared copy goes to); returns the token its buttons carry."""
    token = secrets.token_urlsafe(9)  # 12 characters, 72 random bits: not guessable, so not forgeable
    session.add(AskedQuestion(token=token, question=question, thread_ts=thread_ts, asked_at=now))
    session.flush()
    return token


def recall_question(*, session: Session, token: str) -> AskedQuestion | None:
    """The question behind ``token``, or None for a token that was never issued."""
    if not token or len(token) > 16:
        return None
    return session.get(AskedQuestion, token)


def forget_questions_before(*, session: Session, before: datetime) -> int:
    """Delete questions asked before ``before``: their buttons then answer that they are out of date."""
    result = session.execute(delete(AskedQuestion).where(AskedQuestion.asked_at < before))
    return result.rowcount or 0
