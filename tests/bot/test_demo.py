"""``stagecoach demo`` and the demo company it generates: a tour that runs to the end on consistent data."""

from __future__ import annotations

from collections import defaultdict

import pytest
from click.testing import CliRunner
from sqlmodel import select

from bot.cli import main
from bot.core.config import DEFAULT_PROCESS_FILE
from bot.core.demo_data import generate
from knowledge.process_map import load_process_map
from storage.models import Activity, CriterionCheck, Deal, DealStatus, FollowUp, Rep, Role, StageChange
from tests.utils.factories import NOW

PROCESS = load_process_map(DEFAULT_PROCESS_FILE)


def company(runtime, *, deals=60, seed=7):
    with runtime.session() as s:
        return generate(session=s, process=PROCESS, now=NOW, deals=deals, seed=seed)


def rows(runtime):
    with runtime.session() as s:
        deals = s.exec(select(Deal).order_by(Deal.external_id)).all()
        changes = s.exec(select(StageChange).order_by(StageChange.deal_id, StageChange.id)).all()
        checks = s.exec(select(CriterionCheck)).all()
        activities = s.exec(select(Activity)).all()
        followups = s.exec(select(FollowUp)).all()
        reps = s.exec(select(Rep)).all()
    return deals, changes, checks, activities, followups, reps


@pytest.mark.parametrize("seed", [7, 1, 2, 3])
def test_every_generated_deal_keeps_the_timeline_contract(runtime, seed):
    demo = company(runtime, seed=seed)
    deals, changes, checks, activities, followups, reps = rows(runtime)
    assert len(deals) == demo.deals == 60
    by_deal = defaultdict(list)
    for change in changes:
        by_deal[change.deal_id].append(change)
    order = {key: i for i, key in enumerate(PROCESS.stage_keys)}
    for deal in deals:
        timeline = by_deal[deal.id]
        assert timeline[0].from_stage is None and timeline[0].changed_at >= deal.created_at, deal.name
        times = [c.changed_at for c in timeline]
        assert times == sorted(times) and times[-1] <= NOW, f"{deal.name}: changes out of order or in the future"
        for previous, change in zip(timeline, timeline[1:], strict=False):
            assert change.from_stage == previous.to_stage, deal.name
        entries = [c for c in timeline if c.to_stage not in ("won", "lost")]
        assert [order[c.to_stage] for c in entries] == sorted(order[c.to_stage] for c in entries)
        assert deal.stage_key == entries[-1].to_stage and deal.stage_entered_at == entries[-1].changed_at, deal.name
        if deal.status == DealStatus.open:
            assert timeline[-1].to_stage == deal.stage_key and deal.closed_at is None
        else:
            assert timeline[-1].to_stage == deal.status.value and timeline[-1].changed_at == deal.closed_at
            assert deal.closed_at >= deal.stage_entered_at
    stages_of = {d.id: PROCESS.stage_keys[: order[d.stage_key] + 1] for d in deals}
    for check in checks:  # only criteria of the map, of stages the deal reached
        assert check.stage_key in stages_of[check.deal_id]
        assert check.criterion_key in {c.key for c in PROCESS.stage(check.stage_key).exit_criteria}
    current = {d.id: d.stage_key for d in deals}
    for activity in activities:
        assert activity.activity_key in {a.key for a in PROCESS.stage(current[activity.deal_id]).activities}
        assert activity.occurred_at <= NOW
    open_ids = {d.id for d in deals if d.status == DealStatus.open}
    assert {f.deal_id for f in followups} <= open_ids


def test_the_demo_company_has_what_the_tour_shows(runtime):
    demo = company(runtime)
    deals, _, _, _, followups, reps = rows(runtime)
    by_email = {r.email: r for r in reps}
    rep, manager = by_email[demo.demo_rep_email], by_email[demo.demo_manager_email]
    assert (rep.role, manager.role) == (Role.rep, Role.manager) and rep.manager_id == manager.id
    mine = [d for d in deals if d.owner_id == rep.id]
    assert len(mine) >= 8 and any(d.status == DealStatus.open for d in mine)
    assert {d.status for d in deals} == {DealStatus.open, DealStatus.won, DealStatus.lost}
    stuck = [d for d in deals if d.status == DealStatus.open
             and (NOW - d.stage_entered_at).days > PROCESS.stage(d.stage_key).expected_days]
    assert stuck, "no deal over its stage's norm: the tour's 'stuck' answers would be empty"
    assert any(f.due_at < NOW and f.done_at is None for f in followups)  # overdue follow-ups for the digest and focus


def test_the_same_seed_and_moment_give_the_same_company(runtime, tmp_path):
    from bot.core.runtime import Runtime

    company(runtime)
    other = Runtime(runtime.settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'other.db'}"}),
                    clock=runtime.clock)
    company(other)

    def summary(rt):
        deals, changes, checks, activities, followups, _ = rows(rt)
        return ([(d.external_id, d.name, d.stage_key, d.status, d.amount, d.stage_entered_at) for d in deals],
                len(changes), len(checks), len(activities), sorted(f.due_at for f in followups))

    assert summary(runtime) == summary(other)


@pytest.mark.model
def test_demo_runs_the_whole_tour_without_a_terminal(tmp_path):
    home = tmp_path / "demo-home"
    result = CliRunner().invoke(main, ["demo", "--deals", "20"], env={"STAGECOACH_HOME": str(home)}, input="")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Chatting as Alex Rivera, a rep" in out and "Asking as Maya Chen, a manager" in out
    assert out.count("Alex Rivera ›") >= 6 and out.count("Maya Chen ›") == 4
    assert "Traceback" not in result.output and "can't find a deal" not in out
    assert (home / "demo" / "stagecoach.db").exists() or any((home / "demo").glob("*.db"))
