"""Write-back to Salesforce through the same outbox as HubSpot: one record per confirmed change across crashes
and retries (an upsert on the External ID field Stagecoach_Change_Id__c); Salesforce's own newer stage wins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.coach.engine import Coach
from bot.core import deal_actions
from bot.core.runtime import Runtime
from bot.sync.salesforce import SalesforceSource, client_for, writeback
from bot.sync.service import sync_hubspot, sync_salesforce
from bot.sync.writeback import deliver_pending
from storage.access import Viewer
from storage.models import CrmOutbox, Deal, Rep, StageChange
from tests.sync.conftest import STAGES, TOKEN, with_ann
from tests.utils.hubspot_emulator import HubSpotEmulator

pytestmark = pytest.mark.postgres


@pytest.fixture
def writing(sf_runtime, clock) -> Runtime:
    return Runtime(sf_runtime.settings.model_copy(update={"crm_write": "on"}), engine=sf_runtime.engine, clock=clock)


@pytest.fixture
def synced(org, writing, clock):
    """One opportunity in Needs Analysis owned by Ann, synced with write-back on: (its id, our deal, Ann, her
    Salesforce user id)."""
    ann_user = with_ann(org, writing, clock)
    start = clock.now() - timedelta(days=9)
    crm_id = org.add_opportunity(start, Name="Globex", StageName="Needs Analysis", OwnerId=ann_user,
                                 CreatedDate=start)
    sync_salesforce(writing)
    with writing.session() as session:
        deal = session.exec(select(Deal)).one()
        ann = session.exec(select(Rep).where(Rep.id == deal.owner_id)).one()
    return crm_id, deal, Viewer.of(ann), ann_user


def _outbox(runtime: Runtime) -> list[tuple[str, str, int]]:
    with runtime.session() as session:
        return [(c.kind, c.status, c.attempts) for c in session.exec(select(CrmOutbox).order_by(CrmOutbox.id))]


def test_a_follow_up_becomes_one_task_kept_in_step(org, writing, synced, clock):
    crm_id, deal, ann, ann_user = synced
    due = clock.now() + timedelta(days=2)
    with writing.session() as session:
        followup = deal_actions.set_followup(session=session, viewer=ann, deal_id=deal.id, now=clock.now(),
                                             due_at=due, note="Call Sam about budget")
    clock.advance(timedelta(minutes=5))
    assert sync_salesforce(writing).delivered == 1
    [task] = org.tasks_of(crm_id)
    assert (task["Subject"], task["OwnerId"], task["ActivityDate"], task["Status"]) == (
        "Call Sam about budget", ann_user, due.date().isoformat(), "Not Started")
    with writing.session() as session:
        deal_actions.snooze_followup(session=session, viewer=ann, followup_id=followup.id, now=clock.now(), days=3)
        deal_actions.complete_followup(session=session, viewer=ann, followup_id=followup.id, now=clock.now())
    sync_salesforce(writing)
    [task] = org.tasks_of(crm_id)
    assert (task["Status"], task["ActivityDate"]) == ("Completed", (due + timedelta(days=3)).date().isoformat())
    assert [status for _, status, _ in _outbox(writing)] == ["delivered"] * 3
    sync_salesforce(writing)
    assert len(org.tasks_of(crm_id)) == 1


def test_a_crash_between_the_upsert_and_our_commit_leaves_exactly_one_task(org, writing, synced, clock):
    """Salesforce makes the task and its reply is lost (as when we die before committing): the change stays
    pending; the next run's upsert on the same external id finds that task instead of making a second."""
    crm_id, deal, ann, _ = synced
    with writing.session() as session:
        deal_actions.set_followup(session=session, viewer=ann, deal_id=deal.id, now=clock.now(),
                                  due_at=clock.now() + timedelta(days=1), note="Send the contract")
    org.lose_reply_to("PATCH", "/sobjects/Task/Stagecoach_Change_Id__c/")
    with client_for(writing.settings, retries=0) as client:  # no retry: this run ends as if it had died there
        mapping = SalesforceSource(client).mapping(writing.process)
        first = deliver_pending(writing, client, mapping, crm="salesforce", deliver=writeback.deliver)
    assert (first.delivered, first.waiting) == (0, 1)
    assert len(org.tasks_of(crm_id)) == 1 and _outbox(writing) == [("task", "pending", 1)]
    second = sync_salesforce(writing)
    assert second.delivered == 1
    [task] = org.tasks_of(crm_id)
    with writing.session() as session:
        change = session.exec(select(CrmOutbox)).one()
    assert change.status == "delivered" and change.crm_object_id == task["Id"]
    assert task["Stagecoach_Change_Id__c"] == change.marker


def test_a_lost_reply_retried_in_the_same_run_is_still_one_task(org, writing, synced, clock):
    crm_id, deal, ann, _ = synced
    with writing.session() as session:
        deal_actions.set_followup(session=session, viewer=ann, deal_id=deal.id, now=clock.now(),
                                  due_at=clock.now() + timedelta(days=1), note="Send the contract")
    org.lose_reply_to("PATCH", "/sobjects/Task/Stagecoach_Change_Id__c/")
    assert sync_salesforce(writing).delivered == 1
    assert len(org.tasks_of(crm_id)) == 1


def test_an_org_without_the_external_id_field_says_so_and_the_change_waits(org, writing, synced, clock):
    crm_id, deal, ann, _ = synced
    org.external_id_field = False
    with writing.session() as session:
        deal_actions.set_followup(session=session, viewer=ann, deal_id=deal.id, now=clock.now(),
                                  due_at=clock.now() + timedelta(days=1), note="Call")
    summary = sync_salesforce(writing)
    assert (summary.delivered, summary.waiting) == (0, 1)
    with writing.session() as session:
        change = session.exec(select(CrmOutbox)).one()
    assert "Stagecoach_Change_Id__c" in change.error and change.status == "pending"
    assert org.tasks_of(crm_id) == []


def test_an_advance_moves_the_stage_and_read_back_is_one_move(org, writing, synced, clock):
    crm_id, deal, ann, _ = synced
    with writing.session() as session:
        deal_actions.advance_stage(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                   now=clock.now(), override_reason="verbal yes")
    clock.advance(timedelta(minutes=3))
    assert sync_salesforce(writing).delivered == 1
    assert org.records["Opportunity"][crm_id]["StageName"] == "Value Proposition"
    clock.advance(timedelta(minutes=5))
    sync_salesforce(writing)  # reads the opportunity back, with OpportunityHistory's row for our move
    with writing.session() as session:
        moves = [(c.from_stage, c.to_stage) for c in session.exec(
            select(StageChange).where(StageChange.deal_id == deal.id).order_by(StageChange.changed_at))]
    assert moves == [(None, "discover"), ("discover", "validate")]


def test_a_stage_changed_in_salesforce_is_not_overwritten_and_the_rep_is_told(org, writing, synced, clock):
    crm_id, deal, ann, _ = synced
    org.add_stage("Close", clock.now() - timedelta(days=30))  # the map's Close, by its name
    sync_salesforce(writing)
    moved_at = clock.now().replace(microsecond=0)
    org.edit_opportunity(crm_id, moved_at, StageName="Close")  # after our last read
    with writing.session() as session:
        deal_actions.advance_stage(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                   now=clock.now(), override_reason="verbal yes")
    clock.advance(timedelta(minutes=5))
    summary = sync_salesforce(writing)
    assert summary.conflicts == 1
    assert org.records["Opportunity"][crm_id]["StageName"] == "Close"
    with writing.session() as session:
        change = session.exec(select(CrmOutbox)).one()
        assert change.status == "conflict" and "Salesforce's stage stands" in change.error
        assert session.get(Deal, deal.id).stage_key == "close"  # and the sync read Salesforce's stage
    notice = (f"Salesforce has this deal in Close since {moved_at:%Y-%m-%d %H:%M} UTC; "
              "your move to Validate was not written")
    told = Coach(writing).ask(ann, "what should I do next on Globex?", now=clock.now())
    assert told.deal.id == deal.id and notice in told.text
    again = Coach(writing).ask(ann, "what should I do next on Globex?", now=clock.now())
    assert "not written" not in again.text  # told once


def test_a_confirmed_criterion_becomes_a_note_task(org, writing, synced, clock):
    crm_id, deal, ann, _ = synced
    criterion = writing.process.stage("discover").exit_criteria[0]
    with writing.session() as session:
        deal_actions.mark_criterion(session=session, viewer=ann, process=writing.process, deal_id=deal.id,
                                    criterion_key=criterion.key, now=clock.now(), evidence="Sam said budget is set")
    sync_salesforce(writing)
    [note] = org.tasks_of(crm_id)
    assert (note["Type"], note["Status"]) == ("Note", "Completed")
    assert criterion.text in note["Subject"] and "Sam said budget is set" in note["Description"]


def test_closing_a_deal_sets_the_won_stage(org, writing, synced, clock):
    crm_id, deal, ann, _ = synced
    with writing.session() as session:
        deal_actions.close_deal(session=session, viewer=ann, deal_id=deal.id, now=clock.now(), won=True)
    assert sync_salesforce(writing).delivered == 1
    assert org.records["Opportunity"][crm_id]["StageName"] == "Closed Won"


def test_each_crm_delivers_only_its_own_deals_changes(org, writing, synced, clock):
    crm_id, deal, ann, _ = synced
    with HubSpotEmulator(token=TOKEN, clock=clock.now, limit_per_10s=None, search_per_second=None) as hubspot:
        hubspot.add_pipeline("default", "Sales Pipeline", STAGES)
        both = Runtime(writing.settings.model_copy(update={"hubspot_access_token": TOKEN,
                                                            "hubspot_api_url": hubspot.base_url}),
                       engine=writing.engine, clock=clock)
        with both.session() as session:
            deal_actions.set_followup(session=session, viewer=ann, deal_id=deal.id, now=clock.now(),
                                      due_at=clock.now() + timedelta(days=1), note="Call")
        assert sync_hubspot(both).delivered == 0  # not a HubSpot deal: left for Salesforce
        assert _outbox(both) == [("task", "pending", 0)]
    assert sync_salesforce(writing).delivered == 1
