"""Write-back: confirmed changes reach HubSpot once each, across crashes; HubSpot's own newer value wins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.coach.engine import Coach
from bot.core import deal_actions
from bot.core.config import Settings
from bot.core.llm import make_chat_model
from bot.core.runtime import Runtime
from bot.sync.service import sync_hubspot, sync_status
from knowledge.process_map import validate_text
from storage.access import Viewer
from storage.models import CrmOutbox, Deal, Role, StageChange
from tests.conftest import SMALL_PROCESS
from tests.sync.conftest import add_owners
from tests.utils import factories
from tests.utils.openai_server import FakeOpenAI

pytestmark = pytest.mark.postgres


@pytest.fixture
def writing(sync_settings, engine, clock) -> Runtime:
    return Runtime(sync_settings.model_copy(update={"crm_write": "on"}), engine=engine, clock=clock)


@pytest.fixture
def synced(hubspot, writing, reps, clock):
    """One HubSpot deal in Discover, synced with write-back on; (runtime, HubSpot id, our deal, Ann as viewer)."""
    add_owners(hubspot)
    crm_id = hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=9))
    sync_hubspot(writing)
    with writing.session() as session:
        deal = session.exec(select(Deal)).one()
    return crm_id, deal, Viewer.of(reps[0])


def _outbox(runtime: Runtime) -> list[tuple[str, str, int]]:
    with runtime.session() as session:
        return [(c.kind, c.status, c.attempts) for c in session.exec(select(CrmOutbox).order_by(CrmOutbox.id))]


def test_a_follow_up_becomes_one_task_kept_in_step(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    due = clock.now() + timedelta(days=2)
    with writing.session() as session:
        followup = deal_actions.set_followup(session=session, viewer=ann, deal_id=deal.id, now=clock.now(),
                                             due_at=due, note="Call Sam about budget")
    clock.advance(timedelta(minutes=5))
    summary = sync_hubspot(writing)
    assert summary.delivered == 1
    [task] = hubspot.tasks_of(crm_id)
    assert task["properties"]["hs_task_subject"] == "Call Sam about budget"
    assert task["properties"]["hs_task_status"] == "NOT_STARTED"
    with writing.session() as session:
        deal_actions.snooze_followup(session=session, viewer=ann, followup_id=followup.id, now=clock.now(), days=3)
        deal_actions.complete_followup(session=session, viewer=ann, followup_id=followup.id, now=clock.now())
    sync_hubspot(writing)
    [task] = hubspot.tasks_of(crm_id)
    assert task["properties"]["hs_task_status"] == "COMPLETED"
    assert task["properties"]["hs_timestamp"] == (due + timedelta(days=3)).isoformat()
    assert [status for _, status, _ in _outbox(writing)] == ["delivered"] * 3
    sync_hubspot(writing)
    assert len(hubspot.tasks_of(crm_id)) == 1


def test_a_crash_between_hubspots_reply_and_our_commit_creates_exactly_one_task(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    with writing.session() as session:
        deal_actions.set_followup(session=session, viewer=ann, deal_id=deal.id, now=clock.now(),
                                  due_at=clock.now() + timedelta(days=1), note="Send the contract")
    hubspot.lose_reply_to("POST", "/crm/v3/objects/tasks")  # HubSpot makes the task; its reply never arrives
    first = sync_hubspot(writing)
    assert (first.delivered, first.waiting) == (0, 1)
    assert len(hubspot.tasks_of(crm_id)) == 1 and _outbox(writing) == [("task", "pending", 1)]
    second = sync_hubspot(writing)
    assert second.delivered == 1
    assert len(hubspot.tasks_of(crm_id)) == 1  # found by its marker, not created again
    with writing.session() as session:
        change = session.exec(select(CrmOutbox)).one()
    assert change.status == "delivered" and change.crm_object_id == hubspot.tasks_of(crm_id)[0]["id"]


def test_an_advance_moves_the_hubspot_stage(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    with writing.session() as session:
        deal_actions.advance_stage(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                   now=clock.now(), override_reason="verbal yes")
    sync_hubspot(writing)
    assert hubspot.deals[crm_id].value("dealstage") == "s-validate"


def test_a_stage_changed_in_hubspot_is_not_overwritten(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    hubspot.edit_deal(crm_id, dealstage="s-close", at=clock.now())  # moved in HubSpot after our last read
    with writing.session() as session:
        deal_actions.advance_stage(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                   now=clock.now(), override_reason="verbal yes")
    clock.advance(timedelta(minutes=5))
    summary = sync_hubspot(writing)
    assert summary.conflicts == 1
    assert hubspot.deals[crm_id].value("dealstage") == "s-close"
    with writing.session() as session:
        change = session.exec(select(CrmOutbox)).one()
        assert change.status == "conflict" and "Close" in change.error and "not written" in change.error
        assert session.get(Deal, deal.id).stage_key == "close"  # and the sync read HubSpot's stage


def test_the_rep_is_told_once_that_hubspots_stage_stood(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    moved_at = clock.now().replace(microsecond=0)
    hubspot.edit_deal(crm_id, dealstage="s-close", at=moved_at)
    with writing.session() as session:
        deal_actions.advance_stage(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                   now=clock.now(), override_reason="verbal yes")
    clock.advance(timedelta(minutes=5))
    assert sync_hubspot(writing).conflicts == 1
    notice = (f"HubSpot has this deal in Close since {moved_at:%Y-%m-%d %H:%M} UTC; "
              "your move to Validate was not written")
    coach = Coach(writing)
    with writing.session() as session:
        admin = Viewer.of(factories.rep(session, "Ada Admin", role=Role.admin))
    seen_by_admin = coach.ask(admin, "what should I do next on Globex?", now=clock.now())
    assert seen_by_admin.deal.id == deal.id and "not written" not in seen_by_admin.text  # the owner's to hear
    first = coach.ask(ann, "what should I do next on Globex?", now=clock.now())
    assert first.deal.id == deal.id and notice in first.text and "Close" in first.text.splitlines()[0]
    again = coach.ask(ann, "what should I do next on Globex?", now=clock.now())
    assert again.deal.id == deal.id and "not written" not in again.text  # told once
    assert hubspot.deals[crm_id].value("dealstage") == "s-close"


def test_a_confirmed_criterion_becomes_a_note_with_the_reps_words(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    stage = writing.process.stage("discover")
    criterion = stage.exit_criteria[0]
    with writing.session() as session:
        deal_actions.mark_criterion(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                    criterion_key=criterion.key, now=clock.now(), evidence="Sam said budget is set")
    sync_hubspot(writing)
    [note] = hubspot.notes_of(crm_id)
    assert "Sam said budget is set" in note["properties"]["hs_note_body"]
    assert criterion.text in note["properties"]["hs_note_body"]


def test_with_write_back_off_nothing_is_queued(hubspot, sync_runtime, reps, clock):
    add_owners(hubspot)
    hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=9))
    sync_hubspot(sync_runtime)
    with sync_runtime.session() as session:
        deal = session.exec(select(Deal)).one()
        deal_actions.set_followup(session=session, viewer=Viewer.of(reps[0]), deal_id=deal.id, now=clock.now(),
                                  due_at=clock.now() + timedelta(days=1), note="Call")
    assert _outbox(sync_runtime) == []
    sync_hubspot(sync_runtime)
    assert hubspot.tasks_of(deal.external_id) == []


def test_an_advance_written_back_and_read_again_is_one_move(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    with writing.session() as session:
        deal_actions.advance_stage(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                   now=clock.now(), override_reason="verbal yes")
    clock.advance(timedelta(minutes=3))
    sync_hubspot(writing)  # delivers the move; HubSpot dates it at its own time
    clock.advance(timedelta(minutes=5))
    sync_hubspot(writing)  # reads the deal back, with HubSpot's record of the move
    with writing.session() as session:
        moves = [(c.from_stage, c.to_stage) for c in session.exec(
            select(StageChange).where(StageChange.deal_id == deal.id).order_by(StageChange.changed_at))]
    assert moves == [(None, "discover"), ("discover", "validate")]


def test_closing_a_deal_sets_hubspots_won_stage(hubspot, writing, synced, clock):
    crm_id, deal, ann = synced
    with writing.session() as session:
        deal_actions.close_deal(session=session, viewer=ann, deal_id=deal.id, now=clock.now(), won=True)
    assert sync_hubspot(writing).delivered == 1
    assert hubspot.deals[crm_id].value("dealstage") == "s-won"


@pytest.fixture
def mapped(tmp_path, writing, hubspot, reps, clock):
    """Write-back on, with a process map whose budget criterion names a HubSpot deal property (the
    account has it); its pain criterion names one the account lacks. One deal synced; (runtime, id, deal, Ann)."""
    text = SMALL_PROCESS.read_text()
    for key, name in (("budget_confirmed", "budget_confirmed_by_buyer"), ("pain_confirmed", "pain_in_own_words")):
        text = text.replace(f"      - key: {key}\n", f"      - key: {key}\n        crm_property: {{hubspot: {name}}}\n")
    process_file = tmp_path / "process.yaml"
    process_file.write_text(text)
    runtime = Runtime(writing.settings.model_copy(update={"process_file": process_file}), engine=writing.engine,
                      clock=clock)
    assert runtime.process.stage("discover").criterion("budget_confirmed").crm_property("hubspot")
    hubspot.add_deal_property("budget_confirmed_by_buyer")
    add_owners(hubspot)
    crm_id = hubspot.add_deal(name="Globex", stage="s-discover", owner="501", created=clock.now() - timedelta(days=9))
    sync_hubspot(runtime)
    with runtime.session() as session:
        deal = session.exec(select(Deal)).one()
    return runtime, crm_id, deal, Viewer.of(reps[0])


def _patches(hubspot, crm_id: str) -> int:
    return hubspot.calls.count(("PATCH", f"/crm/v3/objects/deals/{crm_id}"))


def test_a_confirmed_criterion_sets_the_deal_property_the_map_names_once(hubspot, mapped, clock):
    runtime, crm_id, deal, ann = mapped
    with runtime.session() as session:
        deal_actions.mark_criterion(session=session, viewer=ann, process=runtime.process, deal_id=deal.id,
                                    criterion_key="budget_confirmed", now=clock.now(), evidence="200k approved")
    clock.advance(timedelta(minutes=5))
    summary = sync_hubspot(runtime)
    assert summary.delivered == 2  # the note and the property
    assert hubspot.deals[crm_id].value("budget_confirmed_by_buyer") == "true"
    assert "200k approved" in hubspot.notes_of(crm_id)[0]["properties"]["hs_note_body"]
    assert _patches(hubspot, crm_id) == 1
    clock.advance(timedelta(minutes=5))
    sync_hubspot(runtime)
    assert _patches(hubspot, crm_id) == 1  # delivered once: never again
    assert sorted(_outbox(runtime)) == [("note", "delivered", 1), ("property", "delivered", 1)]
    with runtime.session() as session:  # a criterion the map names no property for: the note alone
        deal_actions.mark_criterion(session=session, viewer=ann, process=runtime.process, deal_id=deal.id,
                                    criterion_key="decision_maker_named", now=clock.now())
    assert [kind for kind, _, _ in _outbox(runtime)].count("property") == 1


def test_a_property_hubspot_does_not_have_fails_its_change_with_hubspots_reason(hubspot, mapped, clock):
    runtime, crm_id, deal, ann = mapped
    with runtime.session() as session:
        deal_actions.mark_criterion(session=session, viewer=ann, process=runtime.process, deal_id=deal.id,
                                    criterion_key="pain_confirmed", now=clock.now(), evidence="they lose a day a week")
    clock.advance(timedelta(minutes=5))
    summary = sync_hubspot(runtime)  # no crash: the run reads as usual
    assert summary.delivered == 1 and summary.waiting == 1
    assert hubspot.statuses.count(400) == 1 and hubspot.notes_of(crm_id)
    with runtime.session() as session:
        [change] = session.exec(select(CrmOutbox).where(CrmOutbox.kind == "property")).all()
    assert change.status == "failed"  # refused: sent again it would be refused again
    assert change.error.endswith('HTTP 400: Property values were not valid: Property "pain_in_own_words" does not exist')
    clock.advance(timedelta(minutes=5))
    sync_hubspot(runtime)
    assert hubspot.statuses.count(400) == 1  # not retried
    assert "1 failed" in ", ".join(f"{n} {status}" for status, n in sync_status(runtime).outbox.items())


def test_a_map_naming_a_crm_property_wrongly_is_refused_with_its_place():
    text = SMALL_PROCESS.read_text().replace(
        "      - key: budget_confirmed\n",
        "      - key: budget_confirmed\n        crm_property: {hubspot: Budget-OK, pipedrive: budget}\n")
    _, issues = validate_text(text, "process.yaml")
    errors = [str(issue) for issue in issues if issue.level == "error"]
    assert any("exit_criteria[1].crm_property.hubspot: 'Budget-OK' is not a hubspot property's internal name" in e
               for e in errors)
    assert any("exit_criteria[1].crm_property.pipedrive: unknown key (allowed: hubspot)" in e for e in errors)
    _, issues = validate_text(text.replace("{hubspot: Budget-OK, pipedrive: budget}", "{}"), "process.yaml")
    assert any("crm_property: name a deal property for at least one CRM (hubspot)" in str(i) for i in issues)


@pytest.fixture
def conflicted(hubspot, writing, synced, clock):
    """Ann's advance of Globex that HubSpot did not take (moved there to Close first); (the notice, Ann)."""
    crm_id, deal, ann = synced
    moved_at = clock.now().replace(microsecond=0)
    hubspot.edit_deal(crm_id, dealstage="s-close", at=moved_at)
    with writing.session() as session:
        deal_actions.advance_stage(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                   now=clock.now(), override_reason="verbal yes")
    clock.advance(timedelta(minutes=5))
    assert sync_hubspot(writing).conflicts == 1
    return (f"HubSpot has this deal in Close since {moved_at:%Y-%m-%d %H:%M} UTC; your move to Validate was not "
            "written (HubSpot's stage stands)"), ann


DROPPED = "Keep Globex moving: walk the mutual close plan with the economic buyer."  # the first move, not the notice


def _llm_coach(runtime, server) -> Coach:
    settings = Settings(openai_api_key="sk-test", openai_base_url=server.base_url)
    return Coach(runtime, chat_model=make_chat_model(settings))


def test_a_model_that_words_the_conflict_away_is_asked_again_and_carries_it(writing, conflicted, clock):
    notice, ann = conflicted
    carried = f"{notice}. {DROPPED}"
    with FakeOpenAI() as server:
        server.enqueue({"tool_calls": [{"name": "deal_plan", "arguments": {"deal": "globex"}}]}, DROPPED, carried)
        answer = _llm_coach(writing, server).ask(ann, "what should I do next on Globex?", now=clock.now())
        retry = server.chat_requests()[-1]["messages"][-1]["content"]
    assert "say it word for word" in retry and notice in retry
    assert answer.worded_by_llm and answer.llm_rejections == 1 and answer.text.startswith(notice)


def test_a_model_that_words_the_conflict_away_twice_gives_way_to_the_composer(writing, conflicted, clock):
    notice, ann = conflicted
    with FakeOpenAI() as server:
        server.enqueue({"tool_calls": [{"name": "deal_plan", "arguments": {"deal": "globex"}}]}, DROPPED, DROPPED)
        answer = _llm_coach(writing, server).ask(ann, "what should I do next on Globex?", now=clock.now())
    assert not answer.worded_by_llm and answer.llm_rejections == 2
    assert notice in answer.text and DROPPED not in answer.text  # the composer's plan, notice first
    again = Coach(writing).ask(ann, "what should I do next on Globex?", now=clock.now())
    assert "not written" not in again.text  # told once: this answer told it
