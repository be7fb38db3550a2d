"""A generated demo company: two teams, their managers and reps, ~60 deals with real-looking histories.

Deterministic for a given seed and ``now``, so the demo tour reads the same every
time. Deals are spread across the active map's stages with full stage histories,
confirmed criteria, activities and follow-ups — some overdue, some stuck.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from knowledge.process_map import ProcessMap
from storage.models import Activity, CriterionCheck, Deal, DealStatus, FollowUp, Rep, Role, StageChange, Team

ACCOUNTS = [
    "Globex", "Initech", "Umbrella Health", "Hooli", "Stark Logistics", "Wayne Foods", "Acme Robotics", "Vandelay Imports",
    "Soylent Labs", "Tyrell Systems", "Wonka Retail", "Cyberdyne Energy", "Oscorp Finance", "Pied Piper", "Massive Dynamic",
    "Aperture Science", "Gringotts Bank", "Monarch Travel", "Nakatomi Trading", "Prestige Media", "Dunder Paper",
    "Virtucon Mining", "Duff Beverages", "Sirius Telecom", "Ollivander Crafts", "Bluth Homes", "Kramerica", "Zorg Industries",
    "Paper Street Soap", "Ghostbusters Ltd",
]
PRODUCTS = ["platform rollout", "renewal", "expansion", "pilot", "analytics add-on"]
TEAMS = [
    ("East", "America/New_York", "Maya Chen", ["Alex Rivera", "Sam Patel", "Jordan Lee"]),
    ("West", "America/Los_Angeles", "Priya Nair", ["Taylor Brooks", "Casey Kim", "Morgan Diaz"]),
]
NOTES = ["Send the recap with their numbers", "Confirm who joins the workshop", "Chase the security questionnaire",
         "Share the customer story they asked for", "Book time with the economic buyer", "Answer the pricing question"]


@dataclass(frozen=True)
class DemoCompany:
    demo_rep_email: str
    demo_manager_email: str
    deals: int


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@demo.example"


def generate(*, session: Session, process: ProcessMap, now: datetime, deals: int = 60, seed: int = 7) -> DemoCompany:
    """Write the demo company into an empty database and describe who to log in as."""
    rng = random.Random(seed)
    reps: list[Rep] = []
    for i, (team_name, tz, manager_name, rep_names) in enumerate(TEAMS):
        team = Team(name=team_name, timezone=tz)
        session.add(team)
        session.flush()
        manager = Rep(name=manager_name, email=_email(manager_name), role=Role.manager, team_id=team.id,
                      timezone=tz, slack_user_id=f"UDEMOM{i}")
        session.add(manager)
        session.flush()
        for j, name in enumerate(rep_names):
            rep = Rep(name=name, email=_email(name), role=Role.rep, team_id=team.id, manager_id=manager.id,
                      timezone=tz, slack_user_id=f"UDEMO{i}{j}")
            session.add(rep)
            reps.append(rep)
    session.add(Rep(name="Dana Admin", email=_email("Dana Admin"), role=Role.admin, slack_user_id="UDEMOADMIN"))
    session.flush()
    for n in range(deals):
        owner = reps[0] if n < 8 else rng.choice(reps)  # the demo rep gets a full book
        _deal(session, process, rng, owner, n, now)
    return DemoCompany(demo_rep_email=reps[0].email, demo_manager_email=_email(TEAMS[0][2]), deals=deals)


def _deal(session: Session, process: ProcessMap, rng: random.Random, owner: Rep, n: int, now: datetime) -> None:
    stages = process.stages
    account = ACCOUNTS[n % len(ACCOUNTS)]
    product = PRODUCTS[(n // len(ACCOUNTS) + n) % len(PRODUCTS)]
    final_index = rng.randrange(len(stages))
    outcome = "open" if n % 6 else rng.choice(["won", "lost"])
    stuck = n % 5 == 0  # every fifth deal overstays its stage
    when = now - timedelta(days=rng.randint(5, 25))
    timeline: list[tuple[str, datetime]] = []
    for stage in reversed(stages[: final_index + 1]):  # walk back from the current stage
        dwell = stage.expected_days * (rng.uniform(1.3, 2.5) if stuck and not timeline else rng.uniform(0.4, 1.1))
        timeline.append((stage.key, when))
        when -= timedelta(days=max(1, int(dwell)))
    timeline.reverse()
    created = when
    current_key, entered = timeline[-1]
    if stuck and outcome == "open":  # push the entry back so the deal is visibly over its norm
        entered = now - timedelta(days=int(process.stage(current_key).expected_days * rng.uniform(1.3, 2.2)))
        timeline[-1] = (current_key, entered)
    deal = Deal(
        external_id=f"DEMO-{1000 + n}", name=f"{account} {product}", account=account, owner_id=owner.id,
        stage_key=current_key, amount=Decimal(rng.randrange(8, 160) * 1000), status=DealStatus(outcome),
        created_at=created, stage_entered_at=entered,
        close_date=(now + timedelta(days=rng.randint(-10, 60))).date(),
        next_step=None,
    )
    session.add(deal)
    session.flush()
    previous = None
    for key, at in timeline:
        session.add(StageChange(deal_id=deal.id, from_stage=previous, to_stage=key, changed_at=at, source="demo"))
        previous = key
    if outcome != "open":
        deal.closed_at = now - timedelta(days=rng.randint(0, 4))
        session.add(StageChange(deal_id=deal.id, from_stage=current_key, to_stage=outcome, changed_at=deal.closed_at,
                                source="demo"))
    for index, stage in enumerate(stages[: final_index + 1]):
        for criterion in stage.exit_criteria:
            confirmed = index < final_index and rng.random() < 0.85 or index == final_index and rng.random() < 0.4
            if confirmed:
                session.add(CriterionCheck(deal_id=deal.id, stage_key=stage.key, criterion_key=criterion.key, met=True,
                                           evidence="Confirmed on a call", checked_at=entered, checked_by_id=owner.id))
    stage = process.stage(current_key)
    for _ in range(rng.randint(0, 3)):
        activity = rng.choice(stage.activities) if stage.activities else None
        session.add(Activity(deal_id=deal.id, activity_key=activity.key if activity else None,
                             note=activity.text if activity else "Call", rep_id=owner.id,
                             occurred_at=now - timedelta(days=rng.randint(1, 12))))
    if outcome == "open":
        due = now + timedelta(days=rng.randint(-6, 5), hours=rng.randint(-3, 3))
        session.add(FollowUp(deal_id=deal.id, due_at=due, note=rng.choice(NOTES), created_at=due - timedelta(days=7),
                             created_by_id=owner.id))
