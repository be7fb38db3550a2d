"""CRM stage histories as exported: same-stage rows (amount or close-date edits) are skipped and
counted, and a row without a from-stage takes it from the deal's previous row."""

from __future__ import annotations

import pytest

from storage.models import DealStatus
from tests.importer.helpers import DEALS_CSV, HISTORY_HEADER, REPS_CSV, at, deal, run, timeline, write_csv


@pytest.fixture
def with_deals(runtime):
    run(runtime, "reps", REPS_CSV)
    run(runtime, "deals", DEALS_CSV)
    return runtime


def test_rows_that_change_no_stage_are_skipped_and_counted(with_deals, tmp_path):
    runtime = with_deals
    path = write_csv(tmp_path / "history.csv", HISTORY_HEADER, [
        ["D-2", "", "discover", "2026-09-01"],
        ["D-2", "discover", "discover", "2026-09-05"],  # an amount edit
        ["D-2", "discover", "validate", "2026-10-15"],
        ["D-2", "validate", "validate", "2026-10-20"],  # a close-date edit
    ])

    summary = run(runtime, "history", path)

    assert (summary.rows, summary.created, summary.unchanged) == (4, 2, 0)
    assert "2 row(s) skipped: the stage did not change (amount or close-date edits)" in summary.notes
    assert timeline(runtime, "D-2") == [
        (None, "discover", at(2026, 9, 1), "import-history"),
        ("discover", "validate", at(2026, 10, 15), "import-history"),
    ]


def test_without_a_from_stage_column_each_row_starts_where_the_previous_one_ended(with_deals, tmp_path):
    runtime = with_deals
    # Salesforce's OpportunityHistory: the stage after each edit, in no particular order, amount edits included.
    path = write_csv(tmp_path / "history.csv", ["deal_external_id", "to_stage", "changed_at"], [
        ["D-4", "Closed Lost", "2026-07-20"],
        ["D-4", "discover", "2026-07-01"],
        ["D-4", "discover", "2026-07-03"],
        ["D-4", "Closed Won", "2026-07-10"],
    ])

    summary = run(runtime, "history", path)

    assert "1 row(s) skipped: the stage did not change (amount or close-date edits)" in summary.notes
    assert "2 missing from-stage(s) taken from the deal's previous row or its imported stage" in summary.notes
    # The won -> lost move is kept, and the win comes from discover, where the deal was.
    assert timeline(runtime, "D-4") == [
        (None, "discover", at(2026, 7, 1), "import-history"),
        ("discover", "won", at(2026, 7, 10), "import-history"),
        ("won", "lost", at(2026, 7, 20), "import-history"),
    ]
    d4 = deal(runtime, "D-4")
    assert (d4.status, d4.stage_key, d4.closed_at) == (DealStatus.lost, "discover", at(2026, 7, 20))


def test_a_deal_whose_only_row_closes_it_closes_from_its_stage_and_keeps_its_entry(with_deals, tmp_path):
    runtime = with_deals
    # D-3 was imported in stage close (won); its history says only "-> Closed Won" (created closed).
    path = write_csv(tmp_path / "history.csv", HISTORY_HEADER, [["D-3", "", "Closed Won", "2026-10-30"]])

    summary = run(runtime, "history", path)

    assert "1 missing from-stage(s) taken from the deal's previous row or its imported stage" in summary.notes
    # Entered close at its creation (2026-08-01, the origin entry), won from close: it counts in conversion.
    assert timeline(runtime, "D-3") == [
        (None, "close", at(2026, 8, 1), "import-origin"),
        ("close", "won", at(2026, 10, 30), "import-history"),
    ]


def test_a_deal_closed_from_an_unknown_stage_gets_no_invented_stage(with_deals, tmp_path):
    runtime = with_deals
    # D-4 was imported as "Closed Lost": the deals file never said which stage it left.
    path = write_csv(tmp_path / "history.csv", HISTORY_HEADER, [["D-4", "", "Closed Lost", "2026-07-10"]])

    summary = run(runtime, "history", path)

    assert not any("from-stage" in note for note in summary.notes)
    assert timeline(runtime, "D-4") == [(None, "lost", at(2026, 7, 10), "import-history")]
