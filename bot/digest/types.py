"""What a digest holds: plain data that blocks, JSON and tests all read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.plan import DealRef, FollowUpItem, NextActivity
from storage.access import Viewer
from storage.models import Rep, Role

REP = "rep"
MANAGER = "manager"
WEEKLY = "weekly"  # a manager's weekly summary, on their team's chosen day

# Sections of a rep's digest, in the order they are shown.
OVERDUE, DUE_TODAY, STUCK, PAST_CLOSE = "overdue", "due_today", "stuck", "past_close"


@dataclass(frozen=True)
class Recipient:
    """A person a digest is for."""

    rep_id: int
    name: str
    email: str
    slack_user_id: str | None
    timezone: str
    role: Role
    team_id: int | None

    @classmethod
    def of(cls, rep: Rep) -> Recipient:
        """From a ``Rep``, or a row with its columns (``storage.digest.people``)."""
        return cls(rep.id, rep.name, rep.email, rep.slack_user_id, rep.timezone or "UTC",  # type: ignore[arg-type]
                   Role(rep.role), rep.team_id)

    def viewer(self) -> Viewer:
        return Viewer(rep_id=self.rep_id, name=self.name, role=self.role, team_id=self.team_id,
                      timezone=self.timezone, email=self.email, slack_user_id=self.slack_user_id)

    def to_json(self) -> dict:
        return {"rep_id": self.rep_id, "name": self.name, "email": self.email,
                "slack_user_id": self.slack_user_id, "timezone": self.timezone}


@dataclass(frozen=True)
class Due:
    """One digest to send: who, which kind, for which local day, computed as of ``at`` (UTC)."""

    person: Recipient
    kind: str
    local_date: date
    at: datetime


@dataclass(frozen=True)
class DigestItem:
    """One line of a rep's digest, about one deal (and one follow-up, for the follow-up sections)."""

    section: str
    deal: DealRef
    stage_name: str
    days: int  # days overdue (follow-ups; 0 when due today), days over the stage's expected time, days past close
    next_activity: NextActivity | None
    followup: FollowUpItem | None = None

    def to_json(self) -> dict:
        out = {"section": self.section, "deal": self.deal.external_id, "deal_name": self.deal.name,
               "stage": self.deal.stage_key, "days": self.days,
               "next_activity": self.next_activity.key if self.next_activity else None}
        if self.followup is not None:
            out.update(followup_id=self.followup.id, due_at=self.followup.due_at.isoformat(), note=self.followup.note)
        if self.section == PAST_CLOSE and self.deal.close_date:
            out["close_date"] = self.deal.close_date.isoformat()
        return out


@dataclass(frozen=True)
class WarnedDeal:
    """An open deal with deal warnings (``bot.pipeline.deal_warnings``), each reason in words."""

    deal: DealRef
    stage_name: str
    kinds: tuple[str, ...]
    reasons: tuple[str, ...]

    def to_json(self) -> dict:
        return {"section": "warning", "deal": self.deal.external_id, "deal_name": self.deal.name,
                "owner": self.deal.owner_name, "stage": self.deal.stage_key, "warnings": list(self.kinds),
                "reasons": list(self.reasons)}


@dataclass
class RepDigest:
    due: Due
    overdue: list[DigestItem] = field(default_factory=list)
    due_today: list[DigestItem] = field(default_factory=list)
    stuck: list[DigestItem] = field(default_factory=list)
    past_close: list[DigestItem] = field(default_factory=list)
    # Shown with a digest that has something due; on their own they wait for App Home and the attention list.
    warnings: list[WarnedDeal] = field(default_factory=list)
    freshness: str | None = None  # "deal data last synced 3 h ago" when the CRM sync is stale

    @property
    def items(self) -> list[DigestItem]:
        return self.overdue + self.due_today + self.stuck + self.past_close

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.due_today or self.stuck or self.past_close)

    def to_json(self) -> dict:
        return {"person": self.due.person.to_json(), "kind": REP, "local_date": self.due.local_date.isoformat(),
                "at": self.due.at.isoformat(), "items": [i.to_json() for i in self.items],
                "warnings": [w.to_json() for w in self.warnings], "freshness": self.freshness}


@dataclass(frozen=True)
class RepOverdue:
    rep_id: int
    name: str
    count: int
    oldest_days: int


@dataclass(frozen=True)
class StuckDeal:
    deal: DealRef  # owner_name is the rep who owns it
    stage_name: str
    days_in_stage: int
    expected_days: int

    @property
    def days_over(self) -> int:
        return self.days_in_stage - self.expected_days


@dataclass(frozen=True)
class StageMove:
    deal: DealRef
    from_stage: str
    to_stage: str  # a stage name, or "Won" / "Lost"
    changed_at: datetime
    closed: bool  # the move was a win or a loss


@dataclass
class ManagerDigest:
    """A manager's team roll-up."""

    due: Due
    since: datetime  # moves are those after this (the last sent roll-up), up to ``due.at``
    overdue_by_rep: list[RepOverdue] = field(default_factory=list)
    stuck: list[StuckDeal] = field(default_factory=list)
    moves: list[StageMove] = field(default_factory=list)
    freshness: str | None = None  # as a rep's digest's

    @property
    def is_empty(self) -> bool:
        return not (self.overdue_by_rep or self.stuck or self.moves)

    def to_json(self) -> dict:
        items: list[dict] = [
            {"section": "overdue_by_rep", "rep_id": r.rep_id, "rep": r.name, "count": r.count,
             "oldest_days_overdue": r.oldest_days} for r in self.overdue_by_rep
        ]
        items += [{"section": "stuck", "deal": s.deal.external_id, "deal_name": s.deal.name, "owner": s.deal.owner_name,
                   "stage": s.deal.stage_key, "days_over": s.days_over} for s in self.stuck]
        items += [{"section": "won" if m.to_stage == "Won" else "lost" if m.to_stage == "Lost" else "moved",
                   "deal": m.deal.external_id, "deal_name": m.deal.name, "owner": m.deal.owner_name,
                   "from": m.from_stage, "to": m.to_stage, "changed_at": m.changed_at.isoformat()} for m in self.moves]
        return {"person": self.due.person.to_json(), "kind": MANAGER, "local_date": self.due.local_date.isoformat(),
                "at": self.due.at.isoformat(), "since": self.since.isoformat(), "items": items,
                "freshness": self.freshness}


@dataclass(frozen=True)
class PushedDeal:
    """A close date moved later during the week."""

    deal: DealRef
    before: str  # ISO dates, as the CRM recorded them
    after: str
    changed_at: datetime


@dataclass(frozen=True)
class StageFlow:
    """A stage of the team's flow for the week: in it at the start, entered, left, in it at the end."""

    stage_name: str
    at_start: int
    entered: int
    left: int
    at_end: int


@dataclass
class WeeklySummary:
    """A manager's weekly summary: the week ``[start, due.at)`` of the deals they may see.

    The forecast waterfall (pipeline at the start + new + pulled in − pushed out ... = at the end) is not in it yet.
    """

    due: Due
    start: datetime
    pushed: list[PushedDeal] = field(default_factory=list)  # only where the CRM recorded close-date history
    new_warnings: list[WarnedDeal] = field(default_factory=list)  # the reasons that began this week
    finding: str | None = None  # one process finding from the observed report
    flow: list[StageFlow] = field(default_factory=list)
    freshness: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.pushed or self.new_warnings or any(f.entered or f.left for f in self.flow))

    def to_json(self) -> dict:
        return {"person": self.due.person.to_json(), "kind": WEEKLY, "local_date": self.due.local_date.isoformat(),
                "at": self.due.at.isoformat(), "start": self.start.isoformat(),
                "pushed": [{"deal": p.deal.external_id, "deal_name": p.deal.name, "owner": p.deal.owner_name,
                            "from": p.before, "to": p.after, "changed_at": p.changed_at.isoformat()} for p in self.pushed],
                "new_warnings": [w.to_json() for w in self.new_warnings], "finding": self.finding,
                "flow": [vars(f) for f in self.flow], "freshness": self.freshness}


Digest = RepDigest | ManagerDigest | WeeklySummary
