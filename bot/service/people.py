"""Who is asking: a person named by a Slack user id or an email, as the engine's ``Viewer``."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.runtime import Runtime
from storage import deals as deal_store
from storage.access import Viewer


def identify(runtime: Runtime, user: str | None, *, email_of: Callable[[], str | None] | None = None) -> Viewer | None:
    """The rep behind ``user`` (a Slack user id or an email, case-insensitive), or None for someone unknown.

    Args:
        user: what the surface knows the person by.
        email_of: a surface's own lookup of the person's email (Slack's ``users.info``), called only when
            ``user`` names no rep. A rep found by that email is linked to ``user`` (their Slack id), so the
            next lookup is direct and needs no call.
    """
    if not user:
        return None
    with runtime.session() as session:
        rep = deal_store.rep_by_identity(session=session, user=user)
        if rep is not None:
            return Viewer.of(rep)
    email = email_of() if email_of is not None else None
    if not email:
        return None
    with runtime.session() as session:
        rep = deal_store.rep_by_identity(session=session, user=email)
        if rep is None:
            return None
        deal_store.remember_slack_id(session=session, rep=rep, slack_user_id=user)
        session.flush()
        return Viewer.of(rep)
