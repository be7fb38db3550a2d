"""Who may see which deals, as SQL: a rep their own, a manager their team's, an admin all.

Every query that returns deals or deal figures filters through ``Viewer.deal_filter``,
so access is enforced where the data is read, whatever surface asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, true

from storage.models import Deal, Rep, Role

# Deals not deleted in the CRM: the only ones coaching and reports see (their history stays stored).
LIVE_DEAL: ColumnElement[bool] = Deal.archived_at.is_(None)  # type: ignore[union-attr]


@dataclass(frozen=True)
class Viewer:
    """The person asking, as the engine sees them."""

    rep_id: int
    name: str
    role: Role
    team_id: int | None
    timezone: str = "UTC"
    email: str = ""
    slack_user_id: str | None = None

    @classmethod
    def of(cls, rep: Rep) -> Viewer:
        return cls(rep_id=rep.id, name=rep.name, role=Role(rep.role), team_id=rep.team_id,  # type: ignore[arg-type]
                   timezone=rep.timezone or "UTC", email=rep.email, slack_user_id=rep.slack_user_id)

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.manager, Role.admin)

    def owner_filter(self) -> ColumnElement[bool]:
        """A clause on ``Rep`` rows: the reps whose deals this viewer may see."""
        if self.role == Role.admin:
            return true()
        if self.role == Role.manager:
            if self.team_id is None:
                return Rep.id == self.rep_id
            return (Rep.team_id == self.team_id) | (Rep.manager_id == self.rep_id) | (Rep.id == self.rep_id)
        return Rep.id == self.rep_id

    def deal_filter(self) -> ColumnElement[bool]:
        """A clause on ``Deal`` rows: the deals this viewer may see (never a deal deleted in the CRM)."""
        if self.role == Role.admin:
            return LIVE_DEAL
        if self.role == Role.rep:
            return (Deal.owner_id == self.rep_id) & LIVE_DEAL
        return Deal.owner_id.in_(select(Rep.id).where(self.owner_filter())) & LIVE_DEAL  # type: ignore[attr-defined]

    def can_see_rep(self, rep: Rep) -> bool:
        if self.role == Role.admin or rep.id == self.rep_id:
            return True
        return self.role == Role.manager and (
            (self.team_id is not None and rep.team_id == self.team_id) or rep.manager_id == self.rep_id
        )


