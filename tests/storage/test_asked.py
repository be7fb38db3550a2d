"""Questions kept for answer buttons are forgotten by age, so the table does not grow forever."""

from __future__ import annotations

from datetime import timedelta

from storage import asked
from tests.utils.factories import NOW


def test_old_questions_are_forgotten_and_recent_ones_kept(runtime):
    with runtime.session() as s:
        old = asked.remember_question(session=s, question="что дальше по Globex?", thread_ts=None,
                                      now=NOW - timedelta(days=91))
        recent = asked.remember_question(session=s, question="whats next on hooli", thread_ts="1.2", now=NOW)
    with runtime.session() as s:
        assert asked.forget_questions_before(session=s, before=NOW - timedelta(days=90)) == 1
    with runtime.session() as s:
        assert asked.recall_question(session=s, token=old) is None
        kept = asked.recall_question(session=s, token=recent)
        assert kept.question == "whats next on hooli" and kept.thread_ts == "1.2"
