"""Stage history read from HubSpot feeds flow, time in stage and conversion exactly as the same history
imported from CSV files does: the reports of a synced database equal those of an imported one."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from bot.core.runtime import Runtime
from bot.importer import CsvSource, ImportOptions, import_from
from bot.pipeline.periods import PeriodSpec
from bot.pipeline.service import LOCAL_ADMIN, ReportRequest, run_reports
from bot.sync.service import sync_hubspot
from tests.sync.conftest import add_owners
from tests.utils import factories

pytestmark = pytest.mark.postgres

# (name, [(stage id in HubSpot, stage key here, days ago)]): created in the first stage, then each move
DEALS = [("Globex", [("s-discover", "discover", 40), ("s-validate", "validate", 30), ("s-close", "close", 12)]),
         ("Initech", [("s-discover", "discover", 35), ("s-validate", "validate", 20), ("s-won", "won", 5)]),
         ("Umbrella", [("s-discover", "discover", 25), ("s-lost", "lost", 8)]),
         ("Hooli", [("s-discover", "discover", 50), ("s-validate", "validate", 44), ("s-close", "close", 33),
                    ("s-won", "won", 31)])]


def _write(path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as file:
        csv.writer(file).writerows([header, *rows])


def test_synced_history_gives_the_reports_the_same_history_imported_gives(hubspot, sync_runtime, settings, engine,
                                                                          clock, tmp_path):
    add_owners(hubspot)
    now = clock.now()
    deal_rows, history_rows = [], []
    for name, moves in DEALS:
        (first, _, created_ago), *later = moves
        created = now - timedelta(days=created_ago)
        crm_id = hubspot.add_deal(name=name, stage=first, owner="501", amount="1000", created=created)
        for stage, _, ago in later:
            hubspot.edit_deal(crm_id, dealstage=stage, at=now - timedelta(days=ago))
        deal_rows.append([crm_id, name, "ann.archer@example.com", moves[-1][1], "1000", f"{created:%Y-%m-%dT%H:%M:%SZ}"])
        history_rows += [[crm_id, key, f"{now - timedelta(days=ago):%Y-%m-%dT%H:%M:%SZ}"] for _, key, ago in moves]
    imported = Runtime(settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'imported.db'}"}),
                       clock=clock)
    for runtime in (sync_runtime, imported):
        with runtime.session() as session:
            factories.rep(session, "Ann Archer")
            factories.rep(session, "Bob Baker")
    sync_hubspot(sync_runtime)
    _write(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "amount", "created_at"], deal_rows)
    _write(tmp_path / "history.csv", ["deal_external_id", "to_stage", "changed_at"], history_rows)
    import_from(imported, "deals", CsvSource(tmp_path / "deals.csv"), ImportOptions(now=now))
    import_from(imported, "history", CsvSource(tmp_path / "history.csv"), ImportOptions(now=now))

    request = ReportRequest(("flow", "time", "conversion"), period=PeriodSpec("days", days=90))
    synced = [report.to_json() for report in run_reports(sync_runtime, LOCAL_ADMIN, request, now=now)]
    from_files = [report.to_json() for report in run_reports(imported, LOCAL_ADMIN, request, now=now)]
    assert synced == from_files
    flow = synced[0]
    assert flow["report"] == "flow" and any(any(isinstance(v, int) and v > 0 for v in row.values())
                                            for row in flow["rows"])  # the history is in it: not two empty reports
