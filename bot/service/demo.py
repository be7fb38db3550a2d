"""The demo company behind ``stagecoach demo``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.demo_data import DemoCompany, generate
from bot.core.plan import DealPlan, build_plan
from bot.core.runtime import Runtime
from bot.service.people import identify
from storage import deals as deal_store
from storage.access import Viewer


@dataclass(frozen=True)
class Demo:
    company: DemoCompany
    rep: Viewer
    manager: Viewer
    biggest: DealPlan  # the demo rep's biggest open deal, which the tour asks about


def seed_demo(runtime: Runtime, *, deals: int, now: datetime) -> Demo:
    """Write a demo company of ``deals`` deals into the runtime's (empty) database, and who to ask as."""
    process = runtime.process
    with runtime.session() as session:
        company = generate(session=session, process=process, now=now, deals=deals)
    rep, manager = identify(runtime, company.demo_rep_email), identify(runtime, company.demo_manager_email)
    assert rep is not None and manager is not None, "the demo company names its own rep and manager"
    with runtime.session() as session:
        biggest = deal_store.open_deals_for(session=session, viewer=rep, owner_id=rep.rep_id)[0]
        plan = build_plan(deal_store.deal_state(session=session, deal=biggest), process, now)
    return Demo(company, rep, manager, plan)
