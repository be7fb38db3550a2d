"""Salesforce's OpportunityHistory, deletions and the (SystemModstamp, Id) cursor, against the emulator."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.core.runtime import Runtime
from bot.sync.client import CrmError
from bot.sync.engine import sync
from bot.sync.salesforce import SalesforceSource, client_for
from storage import deals as deal_store
from storage import sync as store
from storage.access import Viewer
from storage.models import Deal, Role, StageChange
from tests.sync.conftest import dump, with_ann

pytestmark = pytest.mark.postgres


def _sync(runtime: Runtime, **kwargs):
    with client_for(runtime.settings) as client:
        return sync(runtime, SalesforceSource(client), budget=client.usage, **kwargs)


def _moves(runtime: Runtime, crm_id: str) -> list[tuple[str | None, str]]:
    with runtime.session() as session:
        deal = session.exec(select(Deal).where(Deal.external_id == crm_id)).one()
        return [(c.from_stage, c.to_stage) for c in session.exec(
            select(StageChange).where(StageChange.deal_id == deal.id).order_by(StageChange.changed_at))]


def test_history_rows_give_stage_moves_and_amount_and_close_date_changes(org, sf_runtime, clock):
    ann = with_ann(org, sf_runtime, clock)
    start = clock.now() - timedelta(days=30)
    deal = org.add_opportunity(start, Name="Globex", StageName="Needs Analysis", OwnerId=ann, Amount=1000,
                               CloseDate=date(2026, 12, 1), CreatedDate=start)
    org.edit_opportunity(deal, start + timedelta(days=5), Amount=1500)  # amount only: no stage move
    org.edit_opportunity(deal, start + timedelta(days=8), CloseDate=date(2027, 1, 15))  # a slip
    org.edit_opportunity(deal, start + timedelta(days=10), StageName="Value Proposition")
    org.edit_opportunity(deal, start + timedelta(days=12), NextStep="Send the deck")  # no history row
    org.edit_opportunity(deal, start + timedelta(days=20), StageName="Closed Won")

    summary = _sync(sf_runtime)

    assert _moves(sf_runtime, deal) == [(None, "discover"), ("discover", "validate"), ("validate", "won")]
    assert summary.stage_changes >= 2
    with sf_runtime.session() as session:
        stored = session.exec(select(Deal).where(Deal.external_id == deal)).one()
        changes = [(c.property, c.value, c.changed_at, c.source)
                   for c in store.property_changes(session=session, deal_id=stored.id)]
        # time in stage: Value Proposition from day 10 until won on day 20
        assert (stored.stage_entered_at, stored.closed_at) == (start + timedelta(days=10), start + timedelta(days=20))
    assert sorted(changes) == [("amount", "1000", start, "salesforce"),
                               ("amount", "1500", start + timedelta(days=5), "salesforce"),
                               ("close_date", "2026-12-01", start, "salesforce"),
                               ("close_date", "2027-01-15", start + timedelta(days=8), "salesforce")]
    before = dump(sf_runtime)
    clock.advance(timedelta(minutes=30))
    again = _sync(sf_runtime, full=True)  # everything read again: nothing new
    assert (again.created, again.updated, again.stage_changes, again.property_changes) == (0, 0, 0, 0)
    assert dump(sf_runtime) == before


def test_last_stage_change_date_dates_the_stage_when_history_is_not_read(org, sf_runtime, clock):
    from bot.sync.engine import deal_records
    from bot.sync.salesforce.source import deal as to_deal

    entered = clock.now() - timedelta(days=4)
    record = {"Id": "006A", "Name": "Initech", "StageName": "Value Proposition", "SystemModstamp": None,
              "LastStageChangeDate": entered.strftime("%Y-%m-%dT%H:%M:%S.000+0000")}
    [row] = deal_records([to_deal(record, [])], {})
    assert row["stage_entered_at"] == entered


def test_a_mixed_currency_org_gives_each_deal_its_currency(org, sf_runtime, clock):
    """Amounts in other currencies are converted to the company's (USD) at the org's own CurrencyType rates."""
    org.multi_currency = True
    org.add_currency("USD", 1.0, corporate=True)
    org.add_currency("EUR", 0.8)
    org.add_currency("JPY", 150.0)
    ann = with_ann(org, sf_runtime, clock)
    at = clock.now() - timedelta(days=2)
    euros = org.add_opportunity(at, Name="Siemens", StageName="Needs Analysis", OwnerId=ann, Amount=5000.5,
                                CurrencyIsoCode="EUR")
    yen = org.add_opportunity(at, Name="Sony", StageName="Needs Analysis", OwnerId=ann, Amount=1200000,
                              CurrencyIsoCode="JPY")
    dollars = org.add_opportunity(at, Name="Acme", StageName="Needs Analysis", OwnerId=ann, Amount=1010.125)
    _sync(sf_runtime)
    with sf_runtime.session() as session:
        deals = {d.external_id: (d.currency, str(d.amount)) for d in session.exec(select(Deal))}
    assert deals == {euros: ("USD", "6250.63"), yen: ("USD", "8000.00"),
                     dollars: ("USD", "1010.12")}  # more decimals than cents: rounded half-even
    assert any("CurrencyIsoCode" in path for _, path in org.calls if "/query" in path)


def test_a_currency_without_a_rate_names_the_salesforce_field(org, sf_runtime, clock):
    org.multi_currency = True
    org.add_currency("EUR", 1.0, corporate=True)  # the org counts in euros; the company in dollars, not listed
    ann = with_ann(org, sf_runtime, clock)
    deal = org.add_opportunity(clock.now() - timedelta(days=2), Name="Siemens", StageName="Needs Analysis",
                               OwnerId=ann, Amount=100, CurrencyIsoCode="EUR")
    with pytest.raises(Exception) as refused:
        _sync(sf_runtime)
    assert f"deal {deal}, field 'CurrencyIsoCode': amount in EUR" in str(refused.value)


def test_a_single_currency_org_is_not_asked_for_currencies(org, sf_runtime, clock):
    ann = with_ann(org, sf_runtime, clock)
    org.add_opportunity(clock.now() - timedelta(days=2), Name="Acme", StageName="Needs Analysis", OwnerId=ann)
    assert _sync(sf_runtime).created == 1  # CurrencyIsoCode would be INVALID_FIELD there
    assert not any("CurrencyIsoCode" in path for _, path in org.calls)


def test_a_deleted_opportunity_is_hidden_with_its_history_and_back_when_undeleted(org, sf_runtime, clock):
    ann = with_ann(org, sf_runtime, clock)
    start = clock.now() - timedelta(days=3)
    deal = org.add_opportunity(start, Name="Globex", StageName="Needs Analysis", OwnerId=ann, CreatedDate=start)
    org.edit_opportunity(deal, start + timedelta(days=1), StageName="Value Proposition")
    _sync(sf_runtime)
    with sf_runtime.session() as session:
        rep = session.exec(select(Deal)).one()
    admin = Viewer(rep_id=rep.owner_id, name="Ann", role=Role.admin, team_id=None)

    clock.advance(timedelta(hours=1))
    org.delete_opportunity(deal, clock.now() - timedelta(minutes=10))
    summary = _sync(sf_runtime)
    assert summary.archived == 1
    assert any("/sobjects/Opportunity/deleted/" in path for _, path in org.calls)
    with sf_runtime.session() as session:
        assert deal_store.visible_deal(session=session, viewer=admin, deal_id=rep.id) is None
    assert _moves(sf_runtime, deal) == [(None, "discover"), ("discover", "validate")]  # history kept

    clock.advance(timedelta(hours=1))
    org.undelete_opportunity(deal, clock.now() - timedelta(minutes=10))  # the delete log keeps its entry
    summary = _sync(sf_runtime)
    assert (summary.restored, summary.archived) == (1, 0)
    with sf_runtime.session() as session:
        assert deal_store.visible_deal(session=session, viewer=admin, deal_id=rep.id) is not None


def test_after_15_days_without_a_sync_every_opportunity_is_read_again_and_the_missing_ones_hidden(org, sf_runtime,
                                                                                                 clock):
    ann = with_ann(org, sf_runtime, clock)
    start = clock.now() - timedelta(days=3)
    kept = org.add_opportunity(start, Name="Kept", StageName="Needs Analysis", OwnerId=ann)
    gone = org.add_opportunity(start, Name="Gone", StageName="Needs Analysis", OwnerId=ann)
    _sync(sf_runtime)
    clock.advance(timedelta(days=16))
    org.delete_opportunity(gone, clock.now() - timedelta(days=15, hours=12))
    del org.records["Opportunity"][gone]  # emptied from the recycle bin, and out of the delete log's reach
    del org.deleted_log[gone]

    summary = _sync(sf_runtime)

    assert summary.reconciled and summary.full and summary.archived == 1 and summary.deals_read == 1
    assert "every deal read again" in summary.notes[0]
    assert not any("/deleted/" in path for _, path in org.calls)  # getDeleted would refuse so old a start
    with sf_runtime.session() as session:
        hidden = {d.external_id for d in session.exec(select(Deal).where(Deal.archived_at.is_not(None)))}
    assert hidden == {gone} and kept not in hidden


def test_the_cursor_is_a_position_and_a_resumed_mass_update_skips_what_was_committed(org, sf_runtime, clock):
    ann = with_ann(org, sf_runtime, clock)
    stamp = clock.now() - timedelta(hours=2)
    ids = sorted(org.add_opportunity(stamp, Name=f"Deal {n}", StageName="Needs Analysis", OwnerId=ann)
                 for n in range(1500))
    # stages, users, describe, the integration user's deals, count, the ids, then 5 pages of 200 (opportunities
    # and their history): 16 calls make the first thousand; then Salesforce fails past the retries
    org.fail_next(*[{}] * 16, *[{"status": 503}] * 4)

    runtime = Runtime(sf_runtime.settings.model_copy(update={"sync_lookback_seconds": 0}), engine=sf_runtime.engine,
                      clock=clock)
    with client_for(runtime.settings, retries=3, sleep=lambda s: None) as client, pytest.raises(CrmError, match="503"):
        sync(runtime, SalesforceSource(client))
    with runtime.session() as session:
        state = store.sync_state(session=session, crm="salesforce")
        committed = len(session.exec(select(Deal)).all())
    assert committed == 1000 and (state.cursor, state.cursor_id) == (stamp, ids[999])

    org.calls.clear()
    summary = _sync(runtime)
    assert (summary.deals_read, summary.created) == (500, 500)  # the committed thousand are skipped, not re-read
    reads = [path for _, path in org.calls if "FROM+Opportunity+WHERE+Id+IN" in path]
    assert len(reads) == 3
    with runtime.session() as session:
        state = store.sync_state(session=session, crm="salesforce")
        assert state.cursor_id is None and state.cursor == clock.now() - timedelta(seconds=60)
