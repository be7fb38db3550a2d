"""Team settings the Slack app reads."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from storage.access import Viewer
from storage.models import Rep, Role, Team


def team_channel(*, session: Session, team_id: int | None) -> str | None:
    """The Slack channel where the team's deal details may be shown to everyone, if configured."""
    if team_id is None:
        return None
    team = session.get(Team, team_id)
    return team.slack_channel_id if team else None


def sees_only_own_team(*, session: Session, viewer: Viewer) -> bool:
    """Whether every deal ``viewer`` may see belongs to a rep of their own team.

    Only then may their answers go to the team's channel for all to read: an admin sees every team, and a
    manager may have a report on another team.
    """
    if viewer.team_id is None or viewer.role == Role.admin:
        return False
    outside = select(func.count()).select_from(Rep).where(viewer.owner_filter(),
                                                          Rep.team_id.is_distinct_from(viewer.team_id))  # type: ignore[union-attr]
    return session.exec(outside).one() == 0
