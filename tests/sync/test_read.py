"""The read path: HubSpot's deals, owners, stages, companies and history land as the importer writes them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.core.errors import InvalidInput
from bot.importer import ImportRejected
from bot.sync.engine import sync
from storage import deals as deal_store
from storage import sync as store
from storage.access import Viewer
from storage.models import Deal, DealStatus, Role, StageChange
from tests.sync.conftest import add_owners, dump, hours

pytestmark = pytest.mark.postgres


def _account(hubspot, clock):
    """Three deals: one moved through two stages, one won, one owned by a deactivated user."""
    add_owners(hubspot)
    globex = hubspot.add_company("Globex")
    start = clock.now() - timedelta(days=30)
    moved = hubspot.add_deal(name="Globex renewal", stage="s-discover", owner="501", amount="12000.50",
                             company=globex, created=start, close_date="2026-12-15T00:00:00Z",
                             hs_next_step="Send the proposal")
    hubspot.edit_deal(moved, dealstage="s-validate", at=start + timedelta(days=10))
    hubspot.edit_deal(moved, closedate="2027-01-15T00:00:00Z", amount="15000", at=start + timedelta(days=12))
    won = hubspot.add_deal(name="Initech pilot", stage="s-close", owner="501", amount="5000", created=start,
                           hs_forecast_category="COMMIT")
    hubspot.edit_deal(won, dealstage="s-won", at=start + timedelta(days=20))
    old = hubspot.add_deal(name="Umbrella", stage="s-discover", owner="502", amount="700", created=start)
    return moved, won, old


def test_first_sync_reads_deals_owners_companies_and_history(hubspot, sync_runtime, source, reps, clock):
    moved, won, old = _account(hubspot, clock)
    ann, bob = reps
    summary = sync(sync_runtime, source)
    assert (summary.deals_read, summary.created) == (3, 3)
    with sync_runtime.session() as session:
        deals = {d.external_id: d for d in session.exec(select(Deal))}
        assert deals[moved].account == "Globex" and deals[moved].owner_id == ann.id
        assert deals[moved].stage_key == "validate" and deals[moved].amount == Decimal("15000.00")
        assert deals[moved].close_date == date(2027, 1, 15) and deals[moved].next_step == "Send the proposal"
        assert deals[moved].stage_entered_at == clock.now() - timedelta(days=20)
        assert deals[won].status == DealStatus.won
        assert deals[old].owner_id == bob.id  # a deactivated owner still matches by email
        moves = [(c.from_stage, c.to_stage) for c in session.exec(
            select(StageChange).where(StageChange.deal_id == deals[moved].id).order_by(StageChange.changed_at))]
        assert moves == [(None, "discover"), ("discover", "validate")]
        slips = [(c.property, c.value) for c in store.property_changes(session=session, deal_id=deals[moved].id)]
        assert ("close_date", "2027-01-15T00:00:00Z") in slips and ("amount", "15000") in slips
        assert len(slips) == 4
        links = store.links(session=session, deal_ids=[deals[moved].id, deals[won].id])
        assert deals[won].forecast_category == "commit" and deals[moved].forecast_category is None  # where it has one
        assert links[deals[moved].id].modified_at == clock.now() - timedelta(days=18)  # HubSpot's last edit of it
        assert links[deals[won].id].modified_at == clock.now() - timedelta(days=10)


def test_sync_twice_changes_nothing(hubspot, sync_runtime, source, reps, clock):
    _account(hubspot, clock)
    sync(sync_runtime, source)
    before = dump(sync_runtime)
    clock.advance(hours(1))
    again = sync(sync_runtime, source, full=True)
    assert (again.created, again.updated, again.stage_changes, again.property_changes) == (0, 0, 0, 0)
    assert dump(sync_runtime) == before


def test_stage_moved_in_hubspot_arrives_as_a_stage_change(hubspot, sync_runtime, source, reps, clock):
    moved, _, _ = _account(hubspot, clock)
    sync(sync_runtime, source)
    clock.advance(hours(2))
    hubspot.edit_deal(moved, dealstage="s-close", at=clock.now() - hours(1))
    summary = sync(sync_runtime, source)
    assert summary.deals_read == 1 and summary.stage_changes == 1
    with sync_runtime.session() as session:
        deal = session.exec(select(Deal).where(Deal.external_id == moved)).one()
        assert (deal.stage_key, deal.stage_entered_at) == ("close", clock.now() - hours(1))


def test_unmapped_stages_stop_the_run_with_one_message_and_write_nothing(hubspot, sync_runtime, source, reps, clock):
    _account(hubspot, clock)
    hubspot.add_pipeline("renewals", "Renewals", [("r-1", "Negotiating", 0.5, False), ("r-2", "Paperwork", 0.9, False),
                                                   ("r-won", "Renewed", 1.0, True)])
    with pytest.raises(InvalidInput) as refused:
        sync(sync_runtime, source)
    message = str(refused.value)
    assert "2 HubSpot stage(s)" in message and "mapping file" in message
    assert "Negotiating" in message and "Paperwork" in message and "Renewed" not in message
    assert dump(sync_runtime)["deal"] == []
    # The mapping file's stages mend it.
    summary = sync(sync_runtime, source, stage_names={"Negotiating": "validate", "r-2": "close"})
    assert summary.created == 3


def test_unmatched_owners_of_deals_stop_the_run_unless_a_default_owner_is_given(hubspot, sync_runtime, source, reps,
                                                                                 clock):
    _account(hubspot, clock)
    hubspot.add_owner("503", "carol@example.com", "Carol", "Chen")
    hubspot.add_owner("504", "dan@example.com", "Dan", "Doe")  # owns nothing: no reason to stop
    hubspot.add_deal(name="Stark", stage="s-discover", owner="503", created=clock.now() - timedelta(days=3))
    with pytest.raises(InvalidInput) as refused:
        sync(sync_runtime, source)
    assert "1 hubspot deal owner(s)" in str(refused.value) and "--default-owner" in str(refused.value)
    assert "carol@example.com" in str(refused.value) and "dan@" not in str(refused.value)
    assert dump(sync_runtime)["deal"] == []
    ann, _ = reps
    summary = sync(sync_runtime, source, default_owner=ann.email)
    assert summary.created == 4


def test_a_deal_deleted_in_hubspot_is_hidden_with_its_history_and_back_when_restored(hubspot, sync_runtime, source,
                                                                                    reps, clock):
    moved, _, _ = _account(hubspot, clock)
    sync(sync_runtime, source)
    admin = Viewer(rep_id=reps[0].id, name="Ann", role=Role.admin, team_id=None)
    with sync_runtime.session() as session:
        deal = session.exec(select(Deal).where(Deal.external_id == moved)).one()
        history = len(session.exec(select(StageChange).where(StageChange.deal_id == deal.id)).all())
    hubspot.archive_deal(moved)
    clock.advance(hours(1))
    assert sync(sync_runtime, source).archived == 1
    with sync_runtime.session() as session:
        assert deal_store.visible_deal(session=session, viewer=admin, deal_id=deal.id) is None
        assert len(session.exec(select(StageChange).where(StageChange.deal_id == deal.id)).all()) == history
    hubspot.archive_deal(moved, restore=True)
    clock.advance(hours(1))
    assert sync(sync_runtime, source).restored == 1
    with sync_runtime.session() as session:
        assert deal_store.visible_deal(session=session, viewer=admin, deal_id=deal.id) is not None


def test_a_bad_deal_refuses_its_page_naming_the_deal_and_property(hubspot, sync_runtime, source, reps, clock):
    add_owners(hubspot)
    start = clock.now() - timedelta(days=3)
    hubspot.add_deal(name="Good", stage="s-discover", owner="501", amount="100", created=start)
    bad = hubspot.add_deal(name="Bad", stage="s-discover", owner="501", amount="12 thousand", created=start)
    with pytest.raises(ImportRejected) as refused:
        sync(sync_runtime, source)
    assert f"deal {bad}" in str(refused.value) and "amount" in str(refused.value)
    assert dump(sync_runtime)["deal"] == []  # the page is all or nothing: the good deal waits too
    with sync_runtime.session() as session:
        assert store.sync_state(session=session, crm="hubspot").cursor is None
    hubspot.edit_deal(bad, amount="12000", at=start + timedelta(hours=1))
    assert sync(sync_runtime, source).created == 2


def test_hubspots_forecast_category_lands_on_the_deal(hubspot, sync_runtime, source, reps, clock):
    add_owners(hubspot)
    start = clock.now() - timedelta(days=5)
    best = hubspot.add_deal(name="Best", stage="s-discover", owner="501", amount="100", created=start,
                            hs_forecast_category="BEST_CASE")
    plain = hubspot.add_deal(name="Plain", stage="s-discover", owner="501", amount="100", created=start)
    sync(sync_runtime, source)
    with sync_runtime.session() as session:
        categories = {d.external_id: d.forecast_category for d in session.exec(select(Deal))}
    assert categories == {best: "best_case", plain: None}
