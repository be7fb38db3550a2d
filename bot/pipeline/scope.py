"""Whose deals a report covers, and in which timezone — decided here, with the access rules.

A rep asking gets their own deals; a manager gets their team by default; an admin gets
everything. "For Alice" is allowed only when the viewer may see Alice; "the team" only
for managers of that team and admins. Anything else is ``AccessDenied`` — said plainly,
since pipeline figures are not deal details. Storage filters by the viewer as well, so a
mistake here could narrow a report but never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.core.errors import AccessDenied, ConfigError, InvalidInput, NotFound
from storage.access import Viewer
from storage.models import Rep, Role, Team
from storage.reports import ReportScope, reps_named, team_named
from storage.timeutil import zone


@dataclass(frozen=True)
class Scope:
    """A resolved scope: what to filter by, how to name it, and the timezone its periods use."""

    kind: str  # "all", "team", "rep"
    label: str  # "everyone", "Team West", "Alice Smith", "your deals"
    timezone: str
    filter: ReportScope

    def to_json(self) -> dict:
        return {"kind": self.kind, "label": self.label, "timezone": self.timezone,
                "team_id": self.filter.team_id, "rep_id": self.filter.rep_id}


def resolve_scope(*, session: Session, viewer: Viewer, company_timezone: str, rep: str | None = None,
                  team: str | None = None, whole_team: bool = False) -> Scope:
    """The scope for ``viewer`` asking about ``rep`` (name, email or Slack id), ``team`` (name or id),
    their team (``whole_team``), or — with none of those — their default scope.

    Raises:
        NotFound: no rep or team goes by that name.
        AccessDenied: the viewer may not see that rep's or team's figures.
        InvalidInput: both a rep and a team were given, or a name matches several reps.
        ConfigError: a configured timezone is unknown.
    """
    if rep and team:
        raise InvalidInput("ask for one rep or one team, not both")
    if rep:
        return _rep_scope(session, viewer, rep, company_timezone)
    if team:
        found = team_named(session=session, text=team)
        if found is None:
            raise NotFound(f"there is no team called {team!r}")
        return _team_scope(viewer, found, company_timezone)
    if viewer.role == Role.rep:
        if whole_team:
            raise AccessDenied("team figures are for managers; ask about your own deals instead")
        return Scope("rep", "your deals", _timezone_of(session, viewer.team_id, company_timezone),
                     ReportScope(rep_id=viewer.rep_id))
    if viewer.role == Role.manager or (whole_team and viewer.team_id is not None):
        own_team = session.get(Team, viewer.team_id) if viewer.team_id is not None else None
        if own_team is not None:
            # No team filter for a manager: their access already covers the team plus direct reports.
            filter_ = ReportScope() if viewer.role == Role.manager else ReportScope(team_id=own_team.id)
            return Scope("team", own_team.name, _checked(own_team.timezone or company_timezone), filter_)
        return Scope("team", "your reports", _checked(company_timezone), ReportScope())
    return Scope("all", "everyone", _checked(company_timezone), ReportScope())


def _rep_scope(session: Session, viewer: Viewer, text: str, company_timezone: str) -> Scope:
    matches = reps_named(session=session, text=text)
    if not matches:
        raise NotFound(f"I don't know a rep called {text!r}")
    visible = [r for r in matches if viewer.can_see_rep(r)]
    if not visible:
        raise AccessDenied(f"you can't see {matches[0].name}'s pipeline")
    if len(visible) > 1:
        raise InvalidInput(f"{text!r} matches several people: " + ", ".join(r.name for r in visible))
    person: Rep = visible[0]
    label = "your deals" if person.id == viewer.rep_id else person.name
    return Scope("rep", label, _timezone_of(session, person.team_id, company_timezone), ReportScope(rep_id=person.id))


def _team_scope(viewer: Viewer, team: Team, company_timezone: str) -> Scope:
    allowed = viewer.role == Role.admin or (viewer.role == Role.manager and viewer.team_id == team.id)
    if not allowed:
        raise AccessDenied(f"you can't see {team.name}'s pipeline")
    return Scope("team", team.name, _checked(team.timezone or company_timezone), ReportScope(team_id=team.id))


def _timezone_of(session: Session, team_id: int | None, company_timezone: str) -> str:
    team = session.get(Team, team_id) if team_id is not None else None
    return _checked((team.timezone if team else None) or company_timezone)


def _checked(name: str) -> str:
    try:
        zone(name)
    except ValueError as exc:
        raise ConfigError(f"{exc} (set a valid IANA name, e.g. Europe/Berlin)") from None
    return name
