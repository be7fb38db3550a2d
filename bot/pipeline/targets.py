"""Targets set in words ("set Alice's Q1 target to 300k"): read here, proposed by ``bot.coach.targets``,
written by ``write_target`` once the manager confirms — access checked again at the write."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from bot.core.errors import AccessDenied, InvalidInput, NotFound
from bot.pipeline.periods import find_period, target_days
from storage import targets as store
from storage.access import Viewer
from storage.models import Rep, Role, Team
from storage.reports import reps_named, team_named
from storage.timeutil import zone

_AMOUNT = r"(?P<amount>[$€£]?\s*\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|thousand|million)?)"
# "set Alice's Q1 target to 300k", "set the Q1 target for Alice to 300k", "set my team's quota for Q2 to 1.2m"
_SET_TARGET = re.compile(
    rf"^\s*(?:please\s+)?(?:set|make)\s+(?:the\s+)?(?P<before>.*?)\s*\b(?:target|quota)\b\s*(?P<after>.*?)"
    rf"\s+(?:to|at|as|=)\s+{_AMOUNT}\s*(?:please)?[.!]?\s*$", re.I)
_MULTIPLIERS = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mm": 1_000_000, "million": 1_000_000}
_OWN_TEAM = re.compile(r"^(?:my|our|the)\s+team(?:'s)?$", re.I)


@dataclass(frozen=True)
class TargetAsk:
    """A target as asked: whose (as written), for which period (as written), and the amount."""

    who: str
    period_text: str
    amount: Decimal


def read_target(question: str) -> TargetAsk | None:
    """The target a sentence sets, None when it sets none."""
    m = _SET_TARGET.match(question.replace("’", "'"))
    if not m:
        return None
    words = f"{m.group('before')} {m.group('after')}".strip()
    spec = find_period(words)
    if spec is None:
        return None
    amount = _amount(m.group("amount"))
    who = re.sub(r"\b(?:for|of)\b", " ", _strip_period(words))
    who = " ".join(who.replace("'s", " ").split())
    return TargetAsk(who or "my", words, amount) if amount is not None else None


def _strip_period(words: str) -> str:
    return re.sub(r"\b(?:q[1-4](?:\s+\d{4})?|\d{4}-q[1-4]|\d{4}-\d{1,2}|this|next|quarter|month|year|"
                  r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?:\s+\d{4})?|\d{4})\b", " ", words,
                  flags=re.I)


def _amount(text: str) -> Decimal | None:
    m = re.fullmatch(r"[$€£]?\s*(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>[a-z]*)", text.strip().lower())
    if not m or (m.group("unit") and m.group("unit") not in _MULTIPLIERS):
        return None
    try:
        value = Decimal(m.group("n").replace(",", "")) * _MULTIPLIERS.get(m.group("unit"), 1)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if 0 < value < Decimal("1e12") else None


@dataclass(frozen=True)
class TargetPlan:
    """A target resolved for a viewer: the holder, the days, and how to say it."""

    rep_id: int | None
    team_id: int | None
    holder_name: str
    first_day: date
    last_day: date
    label: str
    amount: Decimal

    def to_json(self) -> dict:
        return {"rep_id": self.rep_id, "team_id": self.team_id, "holder_name": self.holder_name,
                "first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat(), "label": self.label,
                "amount": str(self.amount)}


def plan_target(*, session: Session, viewer: Viewer, asked: TargetAsk, now: datetime, company_timezone: str) -> TargetPlan:
    """Whose target and which days ``asked`` means, if ``viewer`` may set it.

    Raises:
        AccessDenied: a rep, or a manager naming someone outside their team.
        NotFound: no rep or team by that name.
        InvalidInput: an unclear name or period.
    """
    if viewer.role == Role.rep:
        raise AccessDenied("targets are set by managers; ask yours to set it")
    team = None
    rep: Rep | None = None
    if _OWN_TEAM.match(asked.who):
        team = session.get(Team, viewer.team_id) if viewer.team_id is not None else None
        if team is None:
            raise InvalidInput("you have no team; name the rep or the team")
    elif asked.who.lower() in ("my", "me", "mine"):
        rep = session.get(Rep, viewer.rep_id)
    else:
        named_team = re.sub(r"\s*\bteam\b\s*", " ", asked.who, flags=re.I).strip()
        team = team_named(session=session, text=named_team) if named_team != asked.who else None
        if team is None:
            reps = reps_named(session=session, text=asked.who)
            if not reps:
                raise NotFound(f"I don't know a rep or team called {asked.who!r}")
            if len(reps) > 1:
                raise InvalidInput(f"{asked.who!r} matches several people: " + ", ".join(r.name for r in reps))
            rep = reps[0]
    _check_access(viewer, rep=rep, team=team)
    tz = zone(_timezone(session, rep, team) or company_timezone)
    spec = find_period(asked.period_text)
    assert spec is not None
    first, last, label = target_days(spec, now.astimezone(tz).date())
    name = team.name if team is not None else (rep.name if rep is not None else "")
    return TargetPlan(rep.id if rep is not None else None, team.id if team is not None else None, name, first, last,
                      label, asked.amount)


def write_target(*, session: Session, viewer: Viewer, target: dict, now: datetime) -> None:
    """Save a confirmed target (``TargetPlan.to_json()``), checking again that ``viewer`` may set it."""
    rep = session.get(Rep, target["rep_id"]) if target.get("rep_id") is not None else None
    team = session.get(Team, target["team_id"]) if target.get("team_id") is not None else None
    if rep is None and team is None:
        raise NotFound("that rep or team is gone; nothing was set")
    _check_access(viewer, rep=rep, team=team)
    store.save_targets(session=session, rows=[{
        "rep_id": target.get("rep_id"), "team_id": target.get("team_id"),
        "first_day": date.fromisoformat(target["first_day"]), "last_day": date.fromisoformat(target["last_day"]),
        "amount": Decimal(target["amount"])}], set_by_id=viewer.rep_id, now=now, source="chat")


def _check_access(viewer: Viewer, *, rep: Rep | None, team: Team | None) -> None:
    if viewer.role == Role.admin:
        return
    if viewer.role != Role.manager:
        raise AccessDenied("targets are set by managers")
    if team is not None and team.id != viewer.team_id:
        raise AccessDenied(f"you can't set {team.name}'s target")
    if rep is not None and not viewer.can_see_rep(rep):
        raise AccessDenied(f"you can't set {rep.name}'s target")


def _timezone(session: Session, rep: Rep | None, team: Team | None) -> str | None:
    if team is None and rep is not None and rep.team_id is not None:
        team = session.get(Team, rep.team_id)
    return team.timezone if team is not None else None
