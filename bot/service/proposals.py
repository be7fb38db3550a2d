"""Writes proposed in words ("Globex confirmed budget"), decided by a button or by ``ask --yes``."""

from __future__ import annotations

from datetime import datetime

from bot.coach import proposals
from bot.coach.types import Proposal
from bot.core.runtime import Runtime
from storage.access import Viewer


def decide(runtime: Runtime, viewer: Viewer, *, token: str, confirmed: bool) -> str:
    """Confirm or cancel the proposal ``token`` from one of the viewer's conversations; returns the outcome to show.

    Raises:
        NotFound: no proposal by that token in the viewer's conversations, or its deal is not theirs to see.
        InvalidInput: the proposal no longer fits the deal.
    """
    with runtime.session() as session:
        return proposals.decide_token(session=session, process=runtime.process, viewer=viewer, token=token,
                                      confirmed=confirmed, now=runtime.now())


def apply(runtime: Runtime, viewer: Viewer, proposal: Proposal, *, now: datetime | None = None) -> str:
    """Write ``proposal`` as ``viewer`` at once (the caller has the person's confirmation); returns the outcome.

    Raises:
        NotFound: the deal is not one the viewer may see (nothing is written).
        InvalidInput: it no longer fits the deal.
    """
    with runtime.session() as session:
        return proposals.apply(session=session, process=runtime.process, viewer=viewer, proposal=proposal,
                               now=now or runtime.now())
