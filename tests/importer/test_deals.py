"""Importing deals: upsert by external id, stage timeline entries, checks and follow-ups; bad files rejected whole."""

from __future__ import annotations

import gc
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.importer import ImportRejected
from storage.imports import IMPORT_CACHE_KIB
from storage.models import CriterionCheck, DealStatus, FollowUp
from tests.importer.helpers import (
    DEALS_CSV,
    DEALS_HEADER,
    REPS_CSV,
    at,
    counts,
    deal,
    rep,
    run,
    timeline,
    write_csv,
)
from tests.utils.factories import NOW


def test_deals_file_creates_deals_with_their_timeline_checks_and_followups(with_reps):
    runtime = with_reps
    summary = run(runtime, "deals", DEALS_CSV)

    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (4, 4, 0, 0)
    d1, d2, d3, d4 = (deal(runtime, f"D-{n}") for n in range(1, 5))
    assert (d1.name, d1.account, d1.owner_id, d1.stage_key, d1.amount, d1.status) == (
        "Globex expansion", "Globex", rep(runtime, "ann@example.com").id, "discover", Decimal("12000.00"), DealStatus.open)
    assert (d1.created_at, d1.stage_entered_at) == (at(2026, 10, 1), at(2026, 10, 1, 9))
    # Owner email matches ignoring case; stage by display name; "25,000.50" is an amount.
    assert (d2.owner_id, d2.stage_key, d2.amount, d2.close_date) == (
        rep(runtime, "bob@example.com").id, "validate", Decimal("25000.50"), date(2026, 12, 20))
    # A won deal closes on its close date; a "Closed Lost" stage closes from the last stage.
    assert (d3.status, d3.stage_key, d3.closed_at) == (DealStatus.won, "close", at(2026, 10, 30))
    assert (d4.status, d4.stage_key, d4.account) == (DealStatus.lost, "close", "Hooli")
    assert timeline(runtime, "D-1") == [(None, "discover", at(2026, 10, 1, 9), "import-snapshot")]
    assert timeline(runtime, "D-3") == [(None, "close", at(2026, 9, 1), "import-snapshot"),
                                        ("close", "won", at(2026, 10, 30), "import-snapshot")]
    with runtime.session() as session:
        checks = session.exec(select(CriterionCheck.deal_id, CriterionCheck.stage_key, CriterionCheck.criterion_key,
                                     CriterionCheck.met, CriterionCheck.checked_at)).all()
        followups = session.exec(select(FollowUp.deal_id, FollowUp.due_at, FollowUp.note, FollowUp.done_at)).all()
    assert sorted(checks) == sorted([(d1.id, "discover", "pain_confirmed", True, NOW),
                                     (d1.id, "discover", "budget_confirmed", True, NOW),
                                     (d2.id, "validate", "success_criteria_agreed", True, NOW)])
    # "2026-11-25T10:00:00+01:00" is stored in UTC.
    assert followups == [(d1.id, at(2026, 11, 25, 9), "Call the CFO", None)]


def test_importing_the_same_deals_twice_changes_nothing(with_reps):
    runtime = with_reps
    run(runtime, "deals", DEALS_CSV)
    before = counts(runtime)
    timelines = {f"D-{n}": timeline(runtime, f"D-{n}") for n in range(1, 5)}

    summary = run(runtime, "deals", DEALS_CSV, now=NOW.replace(day=22))

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 4)
    assert counts(runtime) == before
    assert {f"D-{n}": timeline(runtime, f"D-{n}") for n in range(1, 5)} == timelines


def test_a_changed_row_updates_the_deal_and_records_the_move(with_reps, tmp_path):
    runtime = with_reps
    run(runtime, "deals", DEALS_CSV)
    moved = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {"external_id": "D-1", "name": "Globex expansion", "owner_email": "bob@example.com", "stage": "validate",
         "amount": "15000", "stage_entered_at": "2026-11-02T08:00:00Z", "criteria_met": "technical_fit_confirmed"},
        {"external_id": "D-2", "name": "Initech pilot", "owner_email": "bob@example.com", "stage": "validate",
         "amount": "25000.50", "close_date": "2026-12-20"},
    ])

    summary = run(runtime, "deals", moved)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    d1 = deal(runtime, "D-1")
    assert (d1.stage_key, d1.stage_entered_at, d1.amount, d1.owner_id) == (
        "validate", at(2026, 11, 2, 8), Decimal("15000.00"), rep(runtime, "bob@example.com").id)
    assert d1.account == "Globex"  # an absent column keeps the stored value
    assert timeline(runtime, "D-1")[-1] == ("discover", "validate", at(2026, 11, 2, 8), "import-snapshot")
    assert counts(runtime)["Deal"] == 4


def test_closing_an_open_deal_records_the_close(with_reps, tmp_path):
    runtime = with_reps
    run(runtime, "deals", DEALS_CSV)
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {"external_id": "D-1", "name": "Globex expansion", "owner_email": "ann@example.com", "stage": "discover",
         "close_date": "2026-11-15", "status": "lost"},
    ])

    run(runtime, "deals", path)

    d1 = deal(runtime, "D-1")
    assert (d1.status, d1.closed_at, d1.stage_key) == (DealStatus.lost, at(2026, 11, 15), "discover")
    assert timeline(runtime, "D-1")[-1] == ("discover", "lost", at(2026, 11, 15), "import-snapshot")


def test_a_bad_deals_file_is_rejected_whole_with_every_error(with_reps, tmp_path):
    runtime = with_reps
    good = {"name": "Fine", "owner_email": "ann@example.com", "stage": "discover"}
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {"external_id": "OK-1", **good},
        {"external_id": "OK-2", **good},
        {"external_id": "E-3", **good, "stage": "negotiate"},
        {"external_id": "E-4", **good, "owner_email": "ghost@example.com"},
        {"external_id": "E-5", **good, "created_at": "31/12/2026"},
        {"external_id": "E-6", **good, "criteria_met": "pain_confirmed;terms_agreed"},
        {"external_id": "OK-1", **good},
        {"external_id": "E-8", **good, "amount": "lots"},
        {"external_id": "E-9", **good, "amount": "-5"},
        {"external_id": "E-10", **good, "status": "maybe"},
        {"external_id": "", **good, "stage": ""},
        {"external_id": "E-12", **good, "stage": "won", "status": "lost"},
        {"external_id": "E-13", **good, "created_at": "2026-10-02", "stage_entered_at": "2026-10-01"},
        {"external_id": "E-14", **good, "close_date": "2026-02-30"},
    ])

    # Small batches: rows before the first error are written, then rolled back with the rest.
    with pytest.raises(ImportRejected) as caught:
        run(runtime, "deals", path, batch_size=2)

    found = [(e.row, e.column) for e in caught.value.errors]
    assert found == [(3, "stage"), (4, "owner_email"), (5, "created_at"), (6, "criteria_met"), (7, "external_id"),
                     (8, "amount"), (9, "amount"), (10, "status"), (11, "external_id"), (11, "stage"),
                     (12, "status"), (13, "created_at"), (14, "close_date")]
    text = str(caught.value)
    assert "13 error(s); nothing was imported" in text
    assert "row 3 (line 4), column 'stage': unknown stage 'negotiate'" in text
    assert "unknown owner 'ghost@example.com'" in text
    assert "not an ISO 8601 date or datetime: '31/12/2026'" in text
    assert "'terms_agreed' is not an exit criterion of stage 'discover'" in text
    assert "duplicate id 'OK-1' (also row 1)" in text
    assert counts(runtime)["Deal"] == counts(runtime)["StageChange"] == counts(runtime)["CriterionCheck"] == 0


def test_a_file_without_a_required_column_is_rejected(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "stage"], [["D-1", "A", "discover"]])

    with pytest.raises(ImportRejected) as caught:
        run(with_reps, "deals", path)

    assert "missing required column(s) owner_email" in str(caught.value)
    assert counts(with_reps)["Deal"] == 0


def test_errors_beyond_the_shown_ones_are_counted(with_reps, tmp_path):
    rows = [{"external_id": f"X-{i}", "name": "A", "owner_email": "ann@example.com", "stage": "nowhere"}
            for i in range(120)]
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, rows)

    with pytest.raises(ImportRejected) as caught:
        run(with_reps, "deals", path)

    assert caught.value.error_count == 120 and len(caught.value.errors) == 50
    # The same problem on every row is shown a few times, then told once with its count and its fix.
    assert caught.value.problems[:4] == [
        "row 1 (line 2), column 'stage': unknown stage 'nowhere' (stages of 'Test process': discover, validate, "
        "close; or won/lost)",
        "row 2 (line 3), column 'stage': unknown stage 'nowhere' (stages of 'Test process': discover, validate, "
        "close; or won/lost)",
        "row 3 (line 4), column 'stage': unknown stage 'nowhere' (stages of 'Test process': discover, validate, "
        "close; or won/lost)",
        "... 120 rows in all with column 'stage': unknown stage '…' (stages of '…': discover, validate, close; "
        "or won/lost)"]
    assert caught.value.problems[4] == (
        "  fix: say what these stages are in a mapping file (--mapping FILE), each as a stage key of the map, "
        "won or lost:\n  stages:\n    \"nowhere\": STAGE_KEY   # 120 row(s)")


def test_a_dry_run_counts_but_writes_nothing(with_reps):
    summary = run(with_reps, "deals", DEALS_CSV, dry_run=True)

    assert (summary.created, summary.dry_run) == (4, True)
    assert "dry run, nothing written" in summary.line()
    assert counts(with_reps)["Deal"] == 0


def test_progress_is_reported_through_the_file(with_reps, tmp_path):
    rows = [{"external_id": f"P-{i}", "name": "A", "owner_email": "ann@example.com", "stage": "discover"}
            for i in range(2500)]
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, rows)
    calls: list[tuple[str, int, int]] = []

    run(with_reps, "deals", path, progress=lambda phase, done, total: calls.append((phase, done, total)))

    size = path.stat().st_size
    assert {phase for phase, _, _ in calls} == {"importing"}
    assert all(total == size for _, _, total in calls)
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and done[-1] == size and len(done) >= 3


def test_a_followup_done_since_the_last_import_does_not_come_back(with_reps):
    runtime = with_reps
    run(runtime, "deals", DEALS_CSV)
    with runtime.session() as session:
        followup = session.exec(select(FollowUp)).one()
        followup.done_at = NOW
        session.add(followup)

    run(runtime, "deals", DEALS_CSV)

    with runtime.session() as session:
        assert [(f.due_at, f.done_at) for f in session.exec(select(FollowUp)).all()] == [(at(2026, 11, 25, 9), NOW)]


def test_a_new_followup_date_adds_a_followup(with_reps, tmp_path):
    runtime = with_reps
    run(runtime, "deals", DEALS_CSV)
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {"external_id": "D-1", "name": "Globex expansion", "owner_email": "ann@example.com", "stage": "discover",
         "next_followup_at": "2026-12-01T09:00:00Z", "followup_note": "Send the proposal"},
    ])

    summary = run(runtime, "deals", path)

    assert summary.updated == 1
    with runtime.session() as session:
        dues = sorted((f.due_at, f.note) for f in session.exec(select(FollowUp)).all())
    assert dues == [(at(2026, 11, 25, 9), "Call the CFO"), (at(2026, 12, 1, 9), "Send the proposal")]


def test_a_batch_larger_than_one_statement_holds_gets_every_deal_and_id(with_reps, tmp_path):
    # 4,000 deals of 12 columns are more values than SQLite takes in one statement: the upsert splits them.
    rows = [{"external_id": f"B-{i}", "name": f"Deal {i}", "owner_email": "ann@example.com", "stage": "discover",
             "created_at": f"2026-0{1 + i % 9}-1{i % 10}T0{i % 10}:{i % 60:02d}:00Z",
             "next_followup_at": "2026-12-01" if i % 2 else ""}
            for i in range(4000)]
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, rows)

    summary = run(with_reps, "deals", path, batch_size=10_000)

    assert (summary.created, summary.rows) == (4000, 4000)
    assert counts(with_reps)["StageChange"] == 4000 and counts(with_reps)["FollowUp"] == 2000
    last = deal(with_reps, "B-3999")
    assert (last.name, last.created_at) == ("Deal 3999", at(2026, 4, 19, 9, 39))
    assert timeline(with_reps, "B-3999") == [(None, "discover", at(2026, 4, 19, 9, 39), "import-snapshot")]
    again = run(with_reps, "deals", path, batch_size=10_000)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4000)


def test_an_import_leaves_the_connection_and_the_collector_as_it_found_them(runtime, tmp_path):
    # The tuning is SQLite's page cache; PostgreSQL's connection is not tuned, so only the collector is checked there.
    sqlite = runtime.engine.dialect.name == "sqlite"

    def cache_size():
        with runtime.session() as session:
            return session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one()

    before = cache_size() if sqlite else None
    assert before != -IMPORT_CACHE_KIB  # else a tuning left in place would look restored
    run(runtime, "reps", REPS_CSV)
    run(runtime, "deals", DEALS_CSV)
    bad = write_csv(tmp_path / "bad.csv", DEALS_HEADER, [{"external_id": "X-1", "name": "X",
                                                          "owner_email": "nobody@example.com", "stage": "discover"}])
    with pytest.raises(ImportRejected):
        run(runtime, "deals", bad)

    if sqlite:
        assert cache_size() == before
    assert gc.isenabled()
