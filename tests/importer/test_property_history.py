"""Close-date and amount changes in ``import history``: a ``field`` column with old and new values, or
Salesforce OpportunityHistory's CloseDate and Amount on every row; checked with the rest, all or nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import Deal, DealPropertyChange
from tests.importer.helpers import DEALS_CSV, REPS_CSV, at, rejected, run, timeline, write_csv

FIELD_HEADER = ["deal_external_id", "changed_at", "field", "old_value", "new_value", "from_stage", "to_stage"]


@pytest.fixture
def with_deals(runtime):
    run(runtime, "reps", REPS_CSV)
    run(runtime, "deals", DEALS_CSV)
    return runtime


def changes(runtime, external_id: str) -> list[tuple]:
    with runtime.session() as session:
        deal = session.exec(select(Deal).where(Deal.external_id == external_id)).one()
        rows = session.exec(select(DealPropertyChange).where(DealPropertyChange.deal_id == deal.id)
                            .order_by(DealPropertyChange.changed_at, DealPropertyChange.property)).all()
        return [(c.property, c.old_value, c.value, c.changed_at, c.source) for c in rows]


def test_field_rows_record_close_date_and_amount_changes_beside_stage_changes(with_deals, tmp_path):
    runtime = with_deals
    path = write_csv(tmp_path / "history.csv", FIELD_HEADER, [
        {"deal_external_id": "D-2", "changed_at": "2026-09-01", "to_stage": "discover"},
        {"deal_external_id": "D-2", "changed_at": "2026-10-01", "field": "close_date", "old_value": "2026-11-30",
         "new_value": "2026-12-20"},
        {"deal_external_id": "D-2", "changed_at": "2026-10-02", "field": "Amount", "old_value": "20000",
         "new_value": "25,000.50"},
        {"deal_external_id": "D-2", "changed_at": "2026-10-15", "field": "stage", "old_value": "discover",
         "new_value": "validate"},
    ])

    summary = run(runtime, "history", path)

    assert (summary.rows, summary.created) == (4, 2)
    assert "2 close-date/amount change(s) recorded, 0 already recorded" in summary.notes
    assert changes(runtime, "D-2") == [
        ("close_date", "2026-11-30", "2026-12-20", at(2026, 10, 1), "import"),
        ("amount", "20000.00", "25000.50", at(2026, 10, 2), "import"),
    ]
    assert [(f, t) for f, t, _, _ in timeline(runtime, "D-2")] == [(None, "discover"), ("discover", "validate")]
    again = run(runtime, "history", path)  # importing the same file again changes nothing
    assert "0 close-date/amount change(s) recorded, 2 already recorded" in again.notes
    assert len(changes(runtime, "D-2")) == 2


def test_salesforce_opportunity_history_rows_carry_close_date_and_amount(with_deals, tmp_path):
    runtime = with_deals
    # OpportunityHistory as exported: a row for every edit, each with the stage, amount and close date after it.
    path = write_csv(tmp_path / "OpportunityHistory.csv",
                     ["OpportunityId", "StageName", "Amount", "CloseDate", "CreatedDate"], [
        ["D-2", "Needs Analysis", "20000", "2026-11-30", "2026-09-01T10:00:00.000Z"],
        ["D-2", "Needs Analysis", "20000", "2026-12-20", "2026-10-01T10:00:00.000Z"],  # pushed
        ["D-2", "Value Proposition", "25000.5", "2026-12-20", "2026-10-15T10:00:00.000Z"],
        ["D-2", "Value Proposition", "25000.5", "2026-12-20", "2026-10-16T10:00:00.000Z"],  # nothing changed
    ])

    summary = run(runtime, "history", path, preset="salesforce")

    assert summary.created == 2  # stage changes; the pushed close date is no stage change
    assert changes(runtime, "D-2") == [
        ("amount", None, "20000.00", at(2026, 9, 1, 10), "import"),
        ("close_date", None, "2026-11-30", at(2026, 9, 1, 10), "import"),
        ("close_date", "2026-11-30", "2026-12-20", at(2026, 10, 1, 10), "import"),
        ("amount", "20000.00", "25000.50", at(2026, 10, 15, 10), "import"),
    ]


def test_a_bad_change_refuses_the_whole_file(with_deals, tmp_path):
    runtime = with_deals
    path = write_csv(tmp_path / "history.csv", FIELD_HEADER, [
        {"deal_external_id": "D-2", "changed_at": "2026-10-01", "field": "close_date", "new_value": "2026-12-20"},
        {"deal_external_id": "D-2", "changed_at": "2026-10-02", "field": "close_date", "new_value": "next week"},
        {"deal_external_id": "D-2", "changed_at": "2026-10-03", "field": "probability", "new_value": "50"},
        {"deal_external_id": "D-2", "changed_at": "2026-10-04", "field": "amount", "new_value": ""},
        {"deal_external_id": "D-2", "changed_at": "2026-10-01", "field": "close_date", "new_value": "2026-12-21"},
    ])

    errors = rejected(runtime, "history", path)

    assert len(errors) == 5, errors
    assert errors[0].startswith("row 2") and "'next week'" in errors[0]
    assert "unknown field 'probability'" in errors[1]
    assert "new_value is required" in errors[3]
    assert "duplicate close_date change (same as row 1)" in errors[4]
    assert changes(runtime, "D-2") == []


def test_a_file_with_neither_stages_nor_changes_says_which_columns_it_needs(with_deals, tmp_path):
    path = write_csv(tmp_path / "history.csv", ["deal_external_id", "changed_at", "note"], [["D-2", "2026-10-01", "x"]])
    with pytest.raises(Exception, match=r"missing required column\(s\) to_stage \(or field and new_value"):
        run(with_deals, "history", path)
