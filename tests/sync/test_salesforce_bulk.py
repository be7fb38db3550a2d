"""A large first Salesforce sync through Bulk API 2.0 query jobs equals one through query/queryMore, in fewer calls."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.core.runtime import Runtime
from bot.sync.client import CrmError
from bot.sync.engine import sync
from bot.sync.salesforce import SalesforceSource, client_for
from bot.sync.salesforce.bulk import bulk_query
from tests.conftest import fresh_database
from tests.sync.conftest import dump, with_ann
from tests.utils import factories

pytestmark = pytest.mark.postgres


def _fill(org, ann: str, clock, n: int) -> list[str]:
    start = clock.now() - timedelta(days=40)
    globex = org.add_account("Globex, Inc.", start)  # a comma inside a CSV cell
    ids = []
    for i in range(n):
        created = start + timedelta(minutes=i)
        deal = org.add_opportunity(created, Name=f'Deal "{i}"', StageName="Needs Analysis", OwnerId=ann,
                                   AccountId=globex if i % 2 else None, Amount=1000 + i, CloseDate=date(2027, 1, 1),
                                   CreatedDate=created, NextStep=None if i % 3 else "Call, then send")
        org.edit_opportunity(deal, created + timedelta(days=2), Amount=2000.5 + i)
        org.edit_opportunity(deal, created + timedelta(days=5), StageName="Value Proposition")
        org.edit_opportunity(deal, created + timedelta(days=9), CloseDate=date(2027, 3, 1))
        ids.append(deal)
    return ids


def _first_sync(runtime: Runtime, bulk_min: int | None):
    with client_for(runtime.settings) as client:
        source = SalesforceSource(client, bulk_min=bulk_min, sleep=lambda seconds: None)
        return sync(runtime, source, budget=client.usage), source


def test_a_first_sync_by_bulk_equals_one_by_query(org, sf_runtime, clock, tmp_path):
    ann = with_ann(org, sf_runtime, clock)
    _fill(org, ann, clock, 650)
    org.bulk_page = 400  # results come in pages chained by Sforce-Locator

    by_bulk, source = _first_sync(sf_runtime, bulk_min=500)

    jobs = [path for method, path in org.calls if "/jobs/query" in path]
    assert sum(method == "POST" for method, path in org.calls if "/jobs/query" in path) == 2  # history, opportunities
    assert any("locator=" in path for path in jobs)
    assert not any("Id+IN" in path for _, path in org.calls)  # nothing read again by REST
    # each job: a create, three looks at its state, then pages of 400: 2,600 history rows, 650 opportunities
    assert by_bulk.created == 650 and source.bulk_calls == (1 + 3 + 7) + (1 + 3 + 2)
    bulk_dump = dump(sf_runtime)

    backend = "postgres" if sf_runtime.settings.database_url.startswith("postgresql") else "sqlite"
    with fresh_database(backend, tmp_path / "rest.db") as url:
        rest_runtime = Runtime(sf_runtime.settings.model_copy(update={"database_url": url}), clock=clock)
        with rest_runtime.session() as session:
            factories.rep(session, "Ann Archer")
        by_query, _ = _first_sync(rest_runtime, bulk_min=None)
        assert dump(rest_runtime) == bulk_dump
        rest_runtime.engine.dispose()
    assert by_query.created == 650

    clock.advance(timedelta(hours=1))
    again, _ = _first_sync(sf_runtime, bulk_min=500)  # incremental: by REST, and nothing changed
    assert (again.created, again.updated, again.stage_changes, again.property_changes) == (0, 0, 0, 0)


def test_below_the_break_even_a_first_sync_uses_query(org, sf_runtime, clock):
    ann = with_ann(org, sf_runtime, clock)
    _fill(org, ann, clock, 20)
    summary, _ = _first_sync(sf_runtime, bulk_min=500)
    assert summary.created == 20 and not any("/jobs/query" in path for _, path in org.calls)


def test_a_query_bulk_does_not_run_is_refused_not_answered(org, sf_runtime):
    with client_for(sf_runtime.settings) as client, pytest.raises(CrmError, match="INVALIDJOB"):
        list(bulk_query(client, "SELECT COUNT() FROM Opportunity", sleep=lambda seconds: None))
