"""The coach's deal plan for a deal picked by a button ("Coach me", a deal chosen from several).

The deal comes by id, so nothing is worded and read back, and no model is called: the answer is
the deal-plan intent's own, as a question about the deal would get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.coach.types import CoachAnswer
from bot.core.deal_actions import DEAL_NOT_FOUND
from bot.core.errors import NotFound
from storage import conversations
from storage import deals as deal_store
from storage.access import Viewer

if TYPE_CHECKING:
    from bot.coach.engine import Coach

# Share asks the answer again as whoever clicks it, so it can never show more than they may see; the
# deal's external id resolves exactly.
SHARED_AS = "What should I do next on {external_id}?"


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
    return DealPlanAnswer(answer, question)
