"""Importing stage history: the file's changes become the deals' timelines (import-history, import-origin),
replace the snapshot entries of a deals import, and set each deal's current state."""

from __future__ import annotations

import pytest

from bot.importer import ImportRejected
from storage.models import DealStatus
from tests.importer.helpers import (
    DEALS_CSV,
    HISTORY_CSV,
    HISTORY_HEADER,
    REPS_CSV,
    at,
    counts,
    deal,
    run,
    timeline,
    write_csv,
)


@pytest.fixture
def with_deals(runtime):
    run(runtime, "reps", REPS_CSV)
    run(runtime, "deals", DEALS_CSV)
    return runtime


def test_history_replaces_snapshot_entries_and_reads_every_date_form(with_deals):
    runtime = with_deals
    summary = run(runtime, "history", HISTORY_CSV)

    assert (summary.rows, summary.created, summary.unchanged) == (4, 4, 0)
    # Date only -> midnight UTC; no zone -> UTC; +02:00 -> converted to UTC.
    assert timeline(runtime, "D-3") == [
        (None, "discover", at(2026, 8, 1, 10), "import-history"),
        ("discover", "close", at(2026, 8, 31, 22), "import-history"),
        ("close", "won", at(2026, 10, 30), "import-history"),
    ]
    # The earliest change leaves discover: the deal gets an origin entry into it at its creation.
    assert timeline(runtime, "D-2") == [
        (None, "discover", at(2026, 9, 1), "import-origin"),
        ("discover", "validate", at(2026, 10, 15), "import-history"),
    ]
    d3 = deal(runtime, "D-3")
    assert (d3.stage_key, d3.status, d3.stage_entered_at, d3.closed_at) == (
        "close", DealStatus.won, at(2026, 8, 31, 22), at(2026, 10, 30))
    # Deals the file does not name keep their snapshot timeline.
    assert timeline(runtime, "D-1") == [(None, "discover", at(2026, 10, 1, 9), "import-snapshot")]


def test_importing_the_same_history_twice_changes_nothing(with_deals):
    runtime = with_deals
    run(runtime, "history", HISTORY_CSV)
    before = counts(runtime)
    timelines = {ext: timeline(runtime, ext) for ext in ("D-2", "D-3")}

    summary = run(runtime, "history", HISTORY_CSV)

    assert (summary.created, summary.unchanged) == (0, 4)
    assert counts(runtime) == before
    assert {ext: timeline(runtime, ext) for ext in ("D-2", "D-3")} == timelines


def test_a_deals_import_after_the_history_keeps_it(with_deals):
    runtime = with_deals
    run(runtime, "history", HISTORY_CSV)
    before = timeline(runtime, "D-3")

    summary = run(runtime, "deals", DEALS_CSV)

    assert summary.unchanged == 4
    assert timeline(runtime, "D-3") == before


def test_to_stage_lost_closes_the_deal_then(with_deals, tmp_path):
    runtime = with_deals
    path = write_csv(tmp_path / "history.csv", HISTORY_HEADER, [
        ["D-1", "", "discover", "2026-10-01T09:00:00Z"],
        ["D-1", "discover", "Closed Lost", "2026-11-10T16:30:00-05:00"],
    ])

    run(runtime, "history", path)

    d1 = deal(runtime, "D-1")
    assert (d1.status, d1.stage_key, d1.closed_at) == (DealStatus.lost, "discover", at(2026, 11, 10, 21, 30))
    assert timeline(runtime, "D-1")[-1] == ("discover", "lost", at(2026, 11, 10, 21, 30), "import-history")


def test_a_reopened_deal_is_open_again_in_its_new_stage(with_deals, tmp_path):
    runtime = with_deals
    path = write_csv(tmp_path / "history.csv", HISTORY_HEADER, [
        ["D-4", "", "validate", "2026-07-01"],
        ["D-4", "validate", "lost", "2026-07-10"],
        ["D-4", "lost", "validate", "2026-09-01"],
    ])

    run(runtime, "history", path)

    d4 = deal(runtime, "D-4")
    assert (d4.status, d4.stage_key, d4.stage_entered_at, d4.closed_at) == (
        DealStatus.open, "validate", at(2026, 9, 1), None)


def test_a_bad_history_file_is_rejected_whole_with_every_error(with_deals, tmp_path):
    runtime = with_deals
    before = counts(runtime)
    timelines = {f"D-{n}": timeline(runtime, f"D-{n}") for n in range(1, 5)}
    path = write_csv(tmp_path / "history.csv", HISTORY_HEADER, [
        ["D-1", "discover", "validate", "2026-10-20"],
        ["D-404", "discover", "validate", "2026-10-20"],
        ["D-2", "discover", "negotiate", "2026-10-20"],
        ["D-2", "discover", "validate", "yesterday"],
        ["D-1", "discover", "validate", "2026-10-20T00:00:00Z"],
        ["D-3", "", "", ""],
    ])

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "history", path)

    found = [(e.row, e.column) for e in caught.value.errors]
    assert found == [(2, "deal_external_id"), (3, "to_stage"), (4, "changed_at"), (5, "changed_at"),
                     (6, "to_stage"), (6, "changed_at")]
    text = str(caught.value)
    assert "unknown deal 'D-404' (import deals first)" in text
    assert "unknown stage 'negotiate'" in text
    assert "duplicate change (same as row 1)" in text
    assert counts(runtime) == before
    assert {f"D-{n}": timeline(runtime, f"D-{n}") for n in range(1, 5)} == timelines
