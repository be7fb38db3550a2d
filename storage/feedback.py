"""👍/👎 on answers: one opinion per person and message, the latest click wins."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.models import AnswerFeedback


def record_feedback(*, session: Session, rep_id: int | None, channel: str, message_ts: str, helpful: bool,
                    question: str | None, now: datetime, intent: str | None = None) -> AnswerFeedback:
    """Store (or change) ``rep_id``'s verdict on the answer at ``channel``/``message_ts``."""
    row = session.exec(
        select(AnswerFeedback).where(AnswerFeedback.channel == channel, AnswerFeedback.message_ts == message_ts,
                                     AnswerFeedback.rep_id == rep_id)
    ).first()
    if row is None:
        row = AnswerFeedback(rep_id=rep_id, channel=channel, message_ts=message_ts, helpful=helpful,
                             question=question, intent=intent, created_at=now)
    else:
        row.helpful, row.created_at = helpful, now
        row.question = row.question or question
        row.intent = row.intent or intent
    session.add(row)
    session.flush()
    return row


def feedback_for(*, session: Session, channel: str, message_ts: str) -> list[AnswerFeedback]:
    """Every verdict on one answer, oldest first."""
    return list(session.exec(
        select(AnswerFeedback).where(AnswerFeedback.channel == channel, AnswerFeedback.message_ts == message_ts)
        .order_by(AnswerFeedback.id)
    ).all())


def unhelpful_since(*, session: Session, since: datetime, limit: int) -> list[AnswerFeedback]:
    """Answers marked not helpful at or after ``since``, newest first, at most ``limit``."""
    return list(session.exec(
        select(AnswerFeedback).where(AnswerFeedback.helpful == False, AnswerFeedback.created_at >= since)  # noqa: E712
        .order_by(AnswerFeedback.created_at.desc(), AnswerFeedback.id.desc()).limit(limit)
    ).all())
