"""Builders for test data: each returns the saved row, with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from sqlmodel import Session

from storage.models import Activity, CriterionCheck, Deal, DealStatus, FollowUp, Rep, Role, StageChange, Team

_seq = count(1)
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday afternoon, UTC


def team(session: Session, name: str | None = None, **fields) -> Team:
    row = Team(name=name or f"Team {next(_seq)}", **fields)
    session.add(row)
    session.flush()
    return row


def rep(session: Session, name: str, *, team: Team | None = None, role: Role = Role.rep, **fields) -> Rep:
    slug = name.lower().replace(" ", ".")
    fields.setdefault("email", f"{slug}@example.com")
    fields.setdefault("slack_user_id", f"U{slug.upper().replace('.', '')[:8]}{next(_seq)}")
    row = Rep(name=name, role=role, team_id=team.id if team else None, **fields)
    session.add(row)
    session.flush()
    return row


def deal(session: Session, owner: Rep, name: str, *, stage: str = "discover", account: str | None = None,
         days_in_stage: int = 3, now: datetime = NOW, amount: int = 10_000, **fields) -> Deal:
    entered = now - timedelta(days=days_in_stage)
    row = Deal(
        external_id=fields.pop("external_id", f"D-{next(_seq)}"), name=name, account=account or name,
        owner_id=owner.id, stage_key=stage, amount=Decimal(amount), status=fields.pop("status", DealStatus.open),
        created_at=fields.pop("created_at", entered - timedelta(days=5)), stage_entered_at=entered, **fields,
    )
    session.add(row)
    session.flush()
    return row


def check(session: Session, deal: Deal, criterion: str, *, stage: str | None = None, met: bool = True,
          at: datetime = NOW, by: Rep | None = None, evidence: str | None = None) -> CriterionCheck:
    row = CriterionCheck(deal_id=deal.id, stage_key=stage or deal.stage_key, criterion_key=criterion, met=met,
                         checked_at=at, checked_by_id=by.id if by else None, evidence=evidence)
    session.add(row)
    session.flush()
    return row


def followup(session: Session, deal: Deal, due: datetime, note: str = "Call back", done: datetime | None = None) -> FollowUp:
    row = FollowUp(deal_id=deal.id, due_at=due, note=note, done_at=done, created_at=due - timedelta(days=7))
    session.add(row)
    session.flush()
    return row


def activity(session: Session, deal: Deal, at: datetime, key: str | None = None, note: str = "") -> Activity:
    row = Activity(deal_id=deal.id, activity_key=key, note=note, occurred_at=at, rep_id=deal.owner_id)
    session.add(row)
    session.flush()
    return row


def move(session: Session, deal: Deal, from_stage: str | None, to_stage: str, at: datetime) -> StageChange:
    row = StageChange(deal_id=deal.id, from_stage=from_stage, to_stage=to_stage, changed_at=at, source="test")
    session.add(row)
    session.flush()
    return row
