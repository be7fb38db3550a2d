"""Large deals files are checked in a child process: same deals, same errors as checking in-process."""

from __future__ import annotations

import pickle
import random
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.importer import ImportRejected
from bot.importer.deals import unwire_records, wire_records
from bot.importer.snapshot import DealRecord
from storage.models import CriterionCheck, Deal, FollowUp, Rep, StageChange
from tests.importer.helpers import DEALS_HEADER, at, counts, run, write_csv
from tests.utils.factories import NOW

IN_CHILD = {"pipeline_min_bytes": 0, "batch_size": 40}
IN_PROCESS = {"pipeline_min_bytes": 10**12, "batch_size": 40}
OWNERS = ["ann@example.com", "BOB@example.com", "mia@example.com"]


def deal_rows(count: int, seed: int = 3) -> list[dict[str, str]]:
    """Varied valid rows: every stage, won and lost, criteria, follow-ups, amounts with and without cents."""
    rng = random.Random(seed)
    stages = {"discover": ["pain_confirmed", "budget_confirmed"], "validate": ["success_criteria_agreed"]}
    rows = []
    for i in range(count):
        stage = rng.choice(["discover", "validate", "Closed Won", "closedlost"])
        created = NOW - timedelta(days=rng.randint(30, 300), seconds=rng.randint(0, 86_399))
        entered = created + timedelta(days=rng.randint(0, 20))
        rows.append({
            "external_id": f"D-{i}", "name": f"Deal {i}", "account": rng.choice(["Globex", "", "Initech"]),
            "owner_email": rng.choice(OWNERS), "stage": stage, "amount": rng.choice(["1200", "25,000.50", "99.5"]),
            "created_at": created.isoformat(), "stage_entered_at": entered.isoformat(),
            "close_date": (entered + timedelta(days=rng.randint(1, 60))).date().isoformat(),
            "next_followup_at": (NOW + timedelta(days=rng.randint(1, 9))).isoformat() if i % 3 == 0 else "",
            "followup_note": "Call back" if i % 3 == 0 else "",
            "criteria_met": ";".join(k for k in stages.get(stage, []) if rng.random() < 0.5),
        })
    return rows


def contents(runtime: Runtime) -> dict[str, list[tuple]]:
    """Every imported row, by external id instead of database ids, sorted."""
    with runtime.session() as session:
        deals = session.exec(select(Deal)).all()
        external = {d.id: d.external_id for d in deals}
        emails = {r.id: r.email for r in session.exec(select(Rep)).all()}
        return {
            "deals": sorted((d.external_id, d.name, d.account, emails[d.owner_id], d.stage_key, d.amount, d.status,
                             d.created_at, d.stage_entered_at, d.close_date, d.closed_at, d.next_step)
                            for d in deals),
            "changes": sorted((external[c.deal_id], c.from_stage or "", c.to_stage, c.changed_at, c.source)
                              for c in session.exec(select(StageChange)).all()),
            "checks": sorted((external[c.deal_id], c.stage_key, c.criterion_key, c.met, c.evidence, c.checked_at)
                             for c in session.exec(select(CriterionCheck)).all()),
            "followups": sorted((external[f.deal_id], f.due_at, f.note, f.done_at)
                                for f in session.exec(select(FollowUp)).all()),
        }


def test_a_file_checked_in_a_child_imports_exactly_as_one_checked_in_process(with_reps, baseline, tmp_path):
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, deal_rows(500))

    in_child = run(with_reps, "deals", path, **IN_CHILD)
    in_process = run(baseline, "deals", path, **IN_PROCESS)

    assert (in_child.checked_in_child, in_process.checked_in_child) == (True, False)
    assert (in_child.rows, in_child.created, in_child.updated, in_child.unchanged) == (500, 500, 0, 0)
    assert in_child.line() == in_process.line()
    imported = contents(with_reps)
    assert len(imported["deals"]) == 500 and imported["checks"] and imported["followups"]
    assert imported == contents(baseline)
    # Idempotent whichever way each import ran.
    again = run(with_reps, "deals", path, **IN_PROCESS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 500)
    assert contents(with_reps) == imported


def test_a_small_file_is_checked_in_process_by_default(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, deal_rows(5))

    assert run(with_reps, "deals", path).checked_in_child is False


def _rejected(runtime: Runtime, path: Path, options: dict) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run(runtime, "deals", path, **options)
    return caught.value


def test_a_bad_row_late_in_a_large_file_rejects_it_whole_with_the_same_report(with_reps, baseline, tmp_path):
    rows = deal_rows(600)
    rows[597]["owner_email"] = "ghost@example.com"  # batches before it were already written, then rolled back
    path = write_csv(tmp_path / "late.csv", DEALS_HEADER, rows)

    in_child, in_process = _rejected(with_reps, path, IN_CHILD), _rejected(baseline, path, IN_PROCESS)

    assert [(e.row, e.line, e.column) for e in in_child.errors] == [(598, 599, "owner_email")]
    assert (in_child.errors, in_child.error_count, str(in_child)) == (
        in_process.errors, in_process.error_count, str(in_process))
    assert counts(with_reps)["Deal"] == counts(with_reps)["StageChange"] == counts(with_reps)["FollowUp"] == 0


def test_many_errors_across_batches_are_reported_alike(with_reps, baseline, tmp_path):
    rows = deal_rows(600)
    for i in range(3, 600, 7):
        rows[i]["stage"] = "negotiate"
    rows[10]["created_at"] = "31/12/2026"
    rows[590]["external_id"] = "D-4"  # a duplicate of an early row, far apart
    rows[599]["criteria_met"] = "terms_agreed"
    path = write_csv(tmp_path / "bad.csv", DEALS_HEADER, rows)

    in_child, in_process = _rejected(with_reps, path, IN_CHILD), _rejected(baseline, path, IN_PROCESS)

    assert in_child.error_count == in_process.error_count > 80
    assert in_child.errors == in_process.errors and str(in_child) == str(in_process)
    assert counts(with_reps)["Deal"] == 0


def test_undecodable_text_late_in_the_file_fails_alike(with_reps, baseline, tmp_path):
    path = write_csv(tmp_path / "latin1.csv", DEALS_HEADER, deal_rows(300))
    with path.open("ab") as handle:
        handle.write(b"D-X,Caf\xe9 deal,Globex,ann@example.com,discover,,,,,,,,\n")

    errors = []
    for runtime, options in ((with_reps, IN_CHILD), (baseline, IN_PROCESS)):
        with pytest.raises(InvalidInput) as caught:
            run(runtime, "deals", path, **options)
        errors.append((str(caught.value), caught.value.problems))

    assert errors[0] == errors[1] and "line 302 is not utf-8-sig text" in errors[0][0]
    assert counts(with_reps)["Deal"] == 0


def test_progress_from_the_child_runs_through_the_file(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, deal_rows(300))
    calls: list[tuple[str, int, int]] = []

    run(with_reps, "deals", path, progress=lambda phase, done, total: calls.append((phase, done, total)), **IN_CHILD)

    size = path.stat().st_size
    assert {(phase, total) for phase, _, total in calls} == {("importing", size)}
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and done[-1] == size and len(done) >= 3


def in_id_order(runtime: Runtime) -> dict[str, list[tuple]]:
    """What each table holds in the order of its ids (by external id): the order rows were written in."""
    with runtime.session() as session:
        deals = session.exec(select(Deal).order_by(Deal.id)).all()
        external = {d.id: d.external_id for d in deals}
        return {
            "deals": [d.external_id for d in deals],
            "changes": [(external[c.deal_id], c.to_stage, c.changed_at)
                        for c in session.exec(select(StageChange).order_by(StageChange.id)).all()],
            "checks": [(external[c.deal_id], c.criterion_key)
                       for c in session.exec(select(CriterionCheck).order_by(CriterionCheck.id)).all()],
            "followups": [(external[f.deal_id], f.due_at)
                          for f in session.exec(select(FollowUp).order_by(FollowUp.id)).all()],
        }


def test_stored_and_new_deals_in_one_batch_are_written_as_checking_in_process_writes_them(with_reps, baseline,
                                                                                         tmp_path):
    rows = deal_rows(400, seed=5)
    for row in rows[::5]:
        row["created_at"] = row["stage_entered_at"] = ""  # undated: no stage entry
    stored = write_csv(tmp_path / "stored.csv", DEALS_HEADER, rows[::2])
    for i, row in enumerate(rows[::2]):  # some stored deals move on, with a check and a follow-up
        if row["stage"] == "discover" and i % 2:
            row.update(stage="validate", stage_entered_at=(NOW - timedelta(days=1)).isoformat(),
                       criteria_met="success_criteria_agreed", next_followup_at=(NOW + timedelta(days=3)).isoformat())
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, rows)  # every batch: half stored, half new
    for runtime in (with_reps, baseline):
        run(runtime, "deals", stored, **IN_PROCESS)
    before = in_id_order(with_reps)

    in_child = run(with_reps, "deals", path, **IN_CHILD)
    in_process = run(baseline, "deals", path, **IN_PROCESS)

    assert (in_child.created, in_child.updated, in_child.unchanged) == (
        in_process.created, in_process.updated, in_process.unchanged) == (200, in_process.updated, 200 - in_process.updated)
    assert in_process.updated > 20 and in_child.line() == in_process.line()
    assert contents(with_reps) == contents(baseline)
    written = in_id_order(with_reps)
    assert written == in_id_order(baseline)
    # New and stored deals' rows interleave in the file's order of their deals, as ids always came.
    position = {row["external_id"]: i for i, row in enumerate(rows)}
    for table in ("changes", "checks", "followups"):
        added = [position[row[0]] for row in written[table][len(before[table]):]]
        assert added == sorted(added) and {i % 2 for i in added} == {0, 1}, table
    again = run(with_reps, "deals", path, **IN_CHILD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 400)


def test_records_cross_from_the_reader_process_unchanged():
    records = [
        DealRecord("D-1", 3, "discover", "open",
                   {"name": "A", "account": "Acme", "amount": Decimal("1200.50"), "currency": "USD",
                    "created_at": at(2025, 1, 2, 3, 4, 5, 6), "close_date": date(2026, 3, 1), "next_step": "Call"},
                   at(2025, 2, 1, 23, 59, 59, 999999), at(2026, 12, 1), "Call back", ("pain_confirmed", "budget")),
        DealRecord("D-2", 4, None, "won", {"name": "B", "close_date": None, "next_step": None}),
        DealRecord("D-3", 5, "validate", "open", {"name": "C", "amount": Decimal("0.00"), "currency": "EUR"}),
    ]

    columns = pickle.loads(pickle.dumps(wire_records(records)))
    back = unwire_records(columns)

    assert back == records
    assert [list(r.sets) for r in back] == [list(r.sets) for r in records]  # the same keys, in the same order
    assert str(back[0].sets["amount"]) == "1200.50" and str(back[2].sets["amount"]) == "0.00"
    assert back[0].stage_entered_at.tzinfo is back[0].sets["created_at"].tzinfo is UTC
    assert unwire_records(columns, wanted={"D-2"}) == [records[1]]
    assert unwire_records(wire_records([])) == []
