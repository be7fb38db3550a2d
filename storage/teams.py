"""Team settings the Slack app reads."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import Team


def team_channel(*, session: Session, team_id: int | None) -> str | None:
    """The Slack channel where the team's deal details may be shown to everyone, if configured."""
    if team_id is None:
        return None
    team = session.get(Team, team_id)
    return team.slack_channel_id if team else None
