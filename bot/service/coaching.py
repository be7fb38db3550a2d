"""What surfaces call to be coached: a question answered, or the deal plan for a deal picked by a button
("Coach me", a deal chosen from several); answers about deal data say when it is stale.

A deal picked by id is not worded and read back, and no model is called: the answer is the deal-plan
intent's own, as a question about the deal would get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.coach.results import (
    AttentionList,
    CallPrep,
    Combined,
    DealList,
    DealPlanResult,
    Diagnosis,
    EmailDraft,
    FocusList,
    NextStage,
    Outcome,
    PipelineReports,
    Result,
    Scorecard,
    TeamRanking,
    Worded,
)
from bot.coach.types import CoachAnswer
from bot.core.deal_actions import DEAL_NOT_FOUND
from bot.core.errors import NotFound
from bot.core.runtime import Runtime
from bot.sync.freshness import freshness_notice
from storage import conversations
from storage import deals as deal_store
from storage.access import Viewer

if TYPE_CHECKING:
    from bot.coach.engine import Coach

# Share asks the answer again as whoever clicks it, so it can never show more than they may see; the
# deal's external id resolves exactly.
SHARED_AS = "What should I do next on {external_id}?"


# Answers whose facts are deals' (synced) data; help, methodology and notes are not.
DEAL_DATA_RESULTS = (DealPlanResult, NextStage, Diagnosis, CallPrep, EmailDraft, Outcome, FocusList, AttentionList,
                     DealList, Scorecard, TeamRanking, PipelineReports)


def ask(coach: Coach, viewer: Viewer, question: str, *, now: datetime | None = None, **options) -> CoachAnswer:
    """``Coach.ask`` (``now`` and ``options`` as it takes them), with the freshness line when the answer is
    about deal data that the CRM sync last refreshed too long ago."""
    return with_freshness(coach.runtime, coach.ask(viewer, question, now=now, **options), now=now)


def with_freshness(runtime: Runtime, answer: CoachAnswer, *, now: datetime | None = None) -> CoachAnswer:
    """``answer`` with ``freshness`` set when it is about deal data and that data is stale as of ``now`` (the
    coach itself knows nothing of CRMs)."""
    if about_deal_data(answer.result):
        answer.freshness = freshness_notice(runtime, now=now)
    return answer


def about_deal_data(result: Result) -> bool:
    """Whether an answer's facts come from deals' data (a worded or combined answer: from what it holds)."""
    if isinstance(result, Worded):
        return about_deal_data(result.base)
    if isinstance(result, Combined):
        return any(about_deal_data(part) for part in result.parts)
    return isinstance(result, DEAL_DATA_RESULTS)


@dataclass(frozen=True)
class DealPlanAnswer:
    answer: CoachAnswer
    question: str  # the question this answer stands for: what Share asks again


def deal_plan_answer(coach: Coach, viewer: Viewer, *, deal_id: int | None = None, external_id: str | None = None,
                     conversation_key: str | None = None) -> DealPlanAnswer:
    """The deal plan of the deal ``deal_id`` (or ``external_id``) for ``viewer``, as of now.

    With ``conversation_key`` the deal becomes the conversation's deal in focus, so a follow-up
    ("what's blocking it?") is about it.

    Raises:
        NotFound: no such deal, or not one the viewer may see — worded the same either way.
    """
    runtime = coach.runtime
    now = runtime.now()
    with runtime.session() as session:
        if deal_id is not None:
            deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id)
        elif external_id:
            deal = deal_store.visible_deal_by_external_id(session=session, viewer=viewer, external_id=external_id)
        else:
            deal = None
        if deal is None:
            raise NotFound(DEAL_NOT_FOUND)
        answer = coach.deal_plan_answer(session, viewer, deal, now)
        question = SHARED_AS.format(external_id=deal.external_id)
        if conversation_key:
            conversations.save_turn(session=session, key=conversation_key, rep_id=viewer.rep_id, deal_id=deal.id,
                                    intent=answer.intent, question=question, answer=answer.text, now=now)
    return DealPlanAnswer(with_freshness(runtime, answer), question)
