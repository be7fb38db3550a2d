"""A small sales floor shared by the coach tests: two teams, a manager, three reps, known deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from storage.access import Viewer
from storage.models import Deal, Rep, Role
from tests.utils import factories as f
from tests.utils.factories import NOW


@dataclass
class Floor:
    alice: Rep
    bob: Rep
    carol: Rep  # other team
    manager: Rep
    admin: Rep
    globex: Deal
    initech: Deal  # Bob's
    umbrella: Deal  # Carol's, other team
    hooli: Deal  # Alice's second deal

    def viewer(self, rep: Rep) -> Viewer:
        return Viewer.of(rep)


@pytest.fixture
def floor(runtime) -> Floor:
    return build_floor(runtime)


def build_floor(runtime) -> Floor:
    """The floor's people and deals in the runtime's database (the benches use it too)."""
    runtime.process  # noqa: B018  (activate the small map)
    with runtime.session() as s:
        east, west = f.team(s, "East"), f.team(s, "West")
        manager = f.rep(s, "Maria Manager", team=east, role=Role.manager)
        alice = f.rep(s, "Alice Rep", team=east, manager_id=None)
        bob = f.rep(s, "Bob Rep", team=east)
        carol = f.rep(s, "Carol Rep", team=west)
        admin = f.rep(s, "Ada Admin", role=Role.admin)
        globex = f.deal(s, alice, "Globex platform rollout", account="Globex Corporation", stage="validate",
                        days_in_stage=25, amount=90_000, external_id="D-GLOBEX")
        f.check(s, globex, "pain_confirmed", stage="discover")
        f.check(s, globex, "decision_maker_named", stage="discover")
        f.check(s, globex, "technical_fit_confirmed", evidence="CTO said yes on the call")
        f.followup(s, globex, NOW - timedelta(days=3), note="Send the pricing recap")
        f.followup(s, globex, NOW.replace(hour=18), note="Confirm workshop attendees")
        f.activity(s, globex, NOW - timedelta(days=6), key="tech_review", note="Ran tech review")
        initech = f.deal(s, bob, "Initech renewal", account="Initech", stage="discover", days_in_stage=2,
                         amount=20_000, external_id="D-INITECH")
        umbrella = f.deal(s, carol, "Umbrella expansion", account="Umbrella Corp", stage="close", amount=50_000,
                          external_id="D-UMBRELLA")
        hooli = f.deal(s, alice, "Hooli analytics", account="Hooli", stage="discover", days_in_stage=1,
                       amount=15_000, external_id="D-HOOLI")
    return Floor(alice, bob, carol, manager, admin, globex, initech, umbrella, hooli)
