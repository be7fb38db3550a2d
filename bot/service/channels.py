"""Who may see what in a channel: deal details go to everyone only where everyone may see them."""

from __future__ import annotations

from bot.core.runtime import Runtime
from storage.access import Viewer
from storage.teams import sees_only_own_team, team_channel


def is_team_channel_of(runtime: Runtime, viewer: Viewer, channel: str) -> bool:
    """True when ``channel`` is the viewer's team channel and everything they may see is their own team's.

    Everyone in a team channel reads an answer posted there, so only then may it show the viewer's deals.
    """
    with runtime.session() as session:
        return (team_channel(session=session, team_id=viewer.team_id) == channel
                and sees_only_own_team(session=session, viewer=viewer))
