"""Deal queries for the coach and the deal actions; every read is scoped by a ``Viewer``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from storage.access import Viewer
from storage.models import (
    Activity,
    CriterionCheck,
    Deal,
    DealPropertyChange,
    DealStatus,
    FollowUp,
    Rep,
    Role,
    StageChange,
)


class DealSummary(NamedTuple):
    """A light row for resolving a deal by name (a tuple: a big book builds thousands per question)."""

    id: int
    external_id: str
    name: str
    account: str
    stage_key: str
    status: str
    owner_id: int
    owner_name: str


@dataclass
class DealState:
    """Everything the coach needs about one deal, read in a handful of indexed queries."""

    deal: Deal
    owner: Rep
    latest_checks: dict[tuple[str, str], CriterionCheck]  # (stage, criterion) -> newest check
    open_followups: list[FollowUp]
    last_activity: Activity | None
    close_date_pushes: int | None = None  # times the close date moved later (recorded history); None: not read


def _close_date_steps(deal_ids):
    """A subquery (deal_id, day, before, changed_at): each recorded close-date change of the ``deal_ids`` select
    with the value before it (by time), both as ISO dates (the CRM's value may be a timestamp starting with one)."""
    day = func.substr(DealPropertyChange.value, 1, 10)
    return (select(DealPropertyChange.deal_id, day.label("day"), DealPropertyChange.changed_at,
                   func.lag(day).over(partition_by=DealPropertyChange.deal_id,
                                      order_by=(DealPropertyChange.changed_at, DealPropertyChange.id)).label("before"))
            .where(DealPropertyChange.property == "close_date", DealPropertyChange.deal_id.in_(deal_ids))  # type: ignore[attr-defined]
            .subquery())


def close_date_pushes(deal_ids):
    """A subquery (deal_id, pushes): per deal of the ``deal_ids`` select, how often its recorded close date
    moved later than the value before it. Deals without close-date history have no row."""
    steps = _close_date_steps(deal_ids)
    return (select(steps.c.deal_id, func.count().label("pushes")).where(steps.c.day > steps.c.before)
            .group_by(steps.c.deal_id).subquery())


class PushedDate(NamedTuple):
    """A close date moved later: the deal, the date before and after, and when."""

    deal_id: int
    external_id: str
    name: str
    account: str
    stage_key: str
    owner_id: int
    amount: object
    close_date: date | None
    before: str
    after: str
    changed_at: datetime


def pushes_between(*, session: Session, owner_ids: Iterable[int], start: datetime, end: datetime) -> list[PushedDate]:
    """Open deals of ``owner_ids`` whose recorded close date moved later in ``[start, end)``, oldest move first."""
    owned = select(Deal.id).where(Deal.owner_id.in_(list(owner_ids)), Deal.status == DealStatus.open)  # type: ignore[attr-defined]
    steps = _close_date_steps(owned)
    rows = session.exec(
        select(Deal.id, Deal.external_id, Deal.name, Deal.account, Deal.stage_key, Deal.owner_id, Deal.amount,
               Deal.close_date, steps.c.before, steps.c.day,
               steps.c.changed_at)
        .join(steps, steps.c.deal_id == Deal.id)
        .where(steps.c.day > steps.c.before, steps.c.changed_at >= start, steps.c.changed_at < end)
        .order_by(steps.c.changed_at, Deal.id)
    ).all()
    return [PushedDate(*row) for row in rows]


def visible_deal_summaries(*, session: Session, viewer: Viewer, closed: bool = False) -> list[DealSummary]:
    """Deals the viewer may see, lightest columns only, for name resolution: the open ones, or the closed ones."""
    query = (
        select(Deal.id, Deal.external_id, Deal.name, Deal.account, Deal.stage_key, Deal.status, Deal.owner_id, Rep.name)
        .join(Rep, Rep.id == Deal.owner_id)
        .where(viewer.deal_filter())
    )
    query = query.where(Deal.status != DealStatus.open if closed else Deal.status == DealStatus.open)
    return list(map(DealSummary._make, session.exec(query).all()))


def visible_deal(*, session: Session, viewer: Viewer, deal_id: int) -> Deal | None:
    """A deal by id if the viewer may see it; None both when absent and when not theirs."""
    return session.exec(select(Deal).where(Deal.id == deal_id, viewer.deal_filter())).first()


def visible_deal_by_external_id(*, session: Session, viewer: Viewer, external_id: str) -> Deal | None:
    """A deal by its CRM id if the viewer may see it; None both when absent and when not theirs."""
    return session.exec(select(Deal).where(Deal.external_id == external_id, viewer.deal_filter())).first()


def deal_state(*, session: Session, deal: Deal) -> DealState:
    owner = session.get(Rep, deal.owner_id)
    newest = (
        select(func.max(CriterionCheck.id))
        .where(CriterionCheck.deal_id == deal.id)
        .group_by(CriterionCheck.stage_key, CriterionCheck.criterion_key)
    )
    checks = session.exec(select(CriterionCheck).where(CriterionCheck.id.in_(newest))).all()  # type: ignore[attr-defined]
    followups = session.exec(
        select(FollowUp).where(FollowUp.deal_id == deal.id, FollowUp.done_at == None).order_by(FollowUp.due_at)  # noqa: E711
    ).all()
    last = session.exec(
        select(Activity).where(Activity.deal_id == deal.id).order_by(Activity.occurred_at.desc()).limit(1)  # type: ignore[attr-defined]
    ).first()
    return DealState(
        deal=deal,
        owner=owner,  # type: ignore[arg-type]
        latest_checks={(c.stage_key, c.criterion_key): c for c in checks},
        open_followups=list(followups),
        last_activity=last,
    )


def open_deal_states(*, session: Session, viewer: Viewer, owner_ids: Iterable[int] | None = None) -> list[DealState]:
    """The state of every open deal the viewer may see (of ``owner_ids`` only, when given), biggest first, in three
    queries however many deals, with how often each close date was pushed.

    ``deal_state`` of each deal would cost four queries per deal; a Home tab lists them all at once (the newest
    activity joins the deals' own query).
    """
    visible_open = select(Deal.id).where(Deal.status == DealStatus.open, viewer.deal_filter())
    if owner_ids is not None:
        visible_open = visible_open.where(Deal.owner_id.in_(list(owner_ids)))  # type: ignore[attr-defined]
    pushes = close_date_pushes(visible_open)
    ranked = (
        select(Activity.id, func.row_number().over(partition_by=Activity.deal_id,
                                                   order_by=(Activity.occurred_at.desc(), Activity.id.desc())  # type: ignore[attr-defined]
                                                   ).label("newest_first"))
        .where(Activity.deal_id.in_(visible_open))  # type: ignore[attr-defined]
        .subquery()
    )
    last = aliased(Activity)
    newest = select(ranked.c.id).where(ranked.c.newest_first == 1)
    rows = session.exec(
        select(Deal, Rep, pushes.c.pushes, last).join(Rep, Rep.id == Deal.owner_id)
        .outerjoin(pushes, pushes.c.deal_id == Deal.id)
        .outerjoin(last, and_(last.deal_id == Deal.id, last.id.in_(newest)))  # type: ignore[attr-defined]
        .where(Deal.id.in_(visible_open))  # type: ignore[attr-defined]
        .order_by(Deal.amount.desc(), Deal.id)  # type: ignore[attr-defined]
    ).all()
    newest_checks = (
        select(func.max(CriterionCheck.id))
        .where(CriterionCheck.deal_id.in_(visible_open))  # type: ignore[attr-defined]
        .group_by(CriterionCheck.deal_id, CriterionCheck.stage_key, CriterionCheck.criterion_key)
    )
    checks: dict[int, dict[tuple[str, str], CriterionCheck]] = defaultdict(dict)
    for check in session.exec(select(CriterionCheck).where(CriterionCheck.id.in_(newest_checks))).all():  # type: ignore[attr-defined]
        checks[check.deal_id][(check.stage_key, check.criterion_key)] = check
    followups: dict[int, list[FollowUp]] = defaultdict(list)
    for followup in session.exec(
        select(FollowUp).where(FollowUp.deal_id.in_(visible_open), FollowUp.done_at == None)  # type: ignore[attr-defined]  # noqa: E711
        .order_by(FollowUp.due_at)
    ).all():
        followups[followup.deal_id].append(followup)
    return [DealState(deal=deal, owner=owner, latest_checks=checks.get(deal.id, {}),
                      open_followups=followups.get(deal.id, []), last_activity=activity,
                      close_date_pushes=int(pushed or 0))
            for deal, owner, pushed, activity in rows]


def rep_by_identity(*, session: Session, user: str) -> Rep | None:
    """A rep by Slack user id or email (case-insensitive)."""
    return session.exec(
        select(Rep).where((Rep.slack_user_id == user) | (func.lower(Rep.email) == user.strip().lower()))
    ).first()


def remember_slack_id(*, session: Session, rep: Rep, slack_user_id: str) -> None:
    """Link a rep found by email to their Slack user id, so the next lookup is direct."""
    rep.slack_user_id = slack_user_id
    session.add(rep)


def visible_reps(*, session: Session, viewer: Viewer) -> list[Rep]:
    return list(session.exec(select(Rep).where(viewer.owner_filter()).order_by(Rep.name)).all())


def reps_with_role(*, session: Session, role: Role) -> list[Rep]:
    return list(session.exec(select(Rep).where(Rep.role == role)).all())


def open_deals_for(*, session: Session, viewer: Viewer, owner_id: int | None = None, stage_key: str | None = None,
                   closing_between: tuple[date, date] | None = None) -> list[Deal]:
    """Open deals the viewer may see, biggest first; optionally of one owner, in one stage, or with a close
    date in ``closing_between`` (both days included)."""
    query = select(Deal).where(Deal.status == DealStatus.open, viewer.deal_filter())
    if owner_id is not None:
        query = query.where(Deal.owner_id == owner_id)
    if stage_key is not None:
        query = query.where(Deal.stage_key == stage_key)
    if closing_between is not None:
        query = query.where(Deal.close_date >= closing_between[0], Deal.close_date <= closing_between[1])
    return list(session.exec(query.order_by(Deal.amount.desc(), Deal.id)).all())  # type: ignore[attr-defined]


def open_followups_due_by(*, session: Session, viewer: Viewer, until: datetime) -> list[tuple[FollowUp, Deal]]:
    """Open follow-ups on open deals the viewer may see, due before ``until``, oldest first."""
    rows = session.exec(
        select(FollowUp, Deal)
        .join(Deal, Deal.id == FollowUp.deal_id)
        .where(FollowUp.done_at == None, FollowUp.due_at < until, Deal.status == DealStatus.open,  # noqa: E711
               viewer.deal_filter())
        .order_by(FollowUp.due_at)
    ).all()
    return [(f, d) for f, d in rows]


def deal_names_among(*, session: Session, candidates: set[str]) -> set[str]:
    """Which of ``candidates`` (lowercased phrases) are the name or account of some deal, whoever owns it.

    For the LLM claim checker only: it must catch another rep's deal named in an answer, so it
    reads every deal, and it returns nothing but the phrases the answer itself contains.
    """
    if not candidates:
        return set()
    wanted = list(candidates)
    names = session.exec(select(func.lower(Deal.name)).where(func.lower(Deal.name).in_(wanted))).all()
    accounts = session.exec(select(func.lower(Deal.account)).where(func.lower(Deal.account).in_(wanted))).all()
    return set(names) | set(accounts)


def stage_history(*, session: Session, deal: Deal) -> list[StageChange]:
    """The deal's recorded stage moves, oldest first (a deal the caller has already been allowed to see)."""
    query = select(StageChange).where(StageChange.deal_id == deal.id)
    return list(session.exec(query.order_by(StageChange.changed_at, StageChange.id)).all())  # type: ignore[arg-type]
