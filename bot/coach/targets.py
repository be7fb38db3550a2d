"""A manager sets a target in words ("set Alice's Q1 target to 300k"): shown as a proposal, written once
confirmed (``bot.coach.proposals``, kind ``target``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from bot.coach.proposals import REPLY_HINT
from bot.coach.results import Clarification, Proposed, Refusal
from bot.coach.rich import bullet, doc, line
from bot.coach.types import CoachAnswer, Proposal
from bot.core.errors import AccessDenied, InvalidInput, NotFound
from bot.core.text import money
from bot.pipeline.targets import plan_target, read_target
from storage.access import Viewer


def sets_a_target(question: str) -> bool:
    """Whether the question sets a target ("set Alice's Q1 target to 300k")."""
    return read_target(question) is not None


def propose_target(*, session: Session, viewer: Viewer, question: str, now: datetime,
                   company_timezone: str) -> CoachAnswer | None:
    """The proposal to set the target ``question`` names; None when it names none."""
    asked = read_target(question)
    if asked is None:
        return None
    try:
        plan = plan_target(session=session, viewer=viewer, asked=asked, now=now, company_timezone=company_timezone)
    except AccessDenied as exc:
        return CoachAnswer(Refusal(doc(line(f"Sorry, {exc}."))), "pipeline_denied")
    except (NotFound, InvalidInput) as exc:
        return CoachAnswer(Clarification(doc(line(f"{exc}. Whose target, for which period?"))), "pipeline_clarify")
    period = f"{plan.label} ({plan.first_day:%b} {plan.first_day.day} – {plan.last_day:%b} {plan.last_day.day}, " \
             f"{plan.last_day.year})"
    summary = f"{plan.holder_name}'s target for {period}: {money(plan.amount)}"
    proposal = Proposal(kind="target", deal_id=None, deal_name=plan.holder_name, summary=summary,
                        token=uuid.uuid4().hex, target=plan.to_json())
    body = doc(line("I'll set this target — nothing is written until you confirm:"), bullet(summary))
    return CoachAnswer(Proposed(body, proposal, REPLY_HINT), "pipeline", proposal=proposal)
