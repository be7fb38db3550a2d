"""Owners as CRM exports name them: reps carry their CRM id, deals name owners by it or get a default
owner, and invalid rep rows (system users, a second user with the same email) can be skipped and counted."""

from __future__ import annotations

import pytest

from bot.importer import ImportOptions, ImportRejected
from tests.importer.helpers import DEALS_HEADER, counts, deal, rep, run, write_csv

USERS_HEADER = ["crm_id", "email", "name"]


def test_reps_get_a_crm_id_and_deals_name_owners_by_it(with_reps, tmp_path):
    runtime = with_reps
    run(runtime, "reps", write_csv(tmp_path / "users.csv", USERS_HEADER, [
        ["005A0000001", "ann@example.com", "Ann Archer"], ["005A0000002", "bob@example.com", "Bob Baker"]]))
    deals = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {"external_id": "O-1", "name": "Globex", "owner_email": "005A0000002", "stage": "discover"}])

    run(runtime, "deals", deals)

    assert rep(runtime, "ann@example.com").crm_id == "005A0000001"
    assert deal(runtime, "O-1").owner_id == rep(runtime, "bob@example.com").id


def test_an_unknown_owner_names_the_way_out(with_reps, tmp_path):
    deals = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {"external_id": "O-1", "name": "Globex", "owner_email": "005XXXX", "stage": "discover"}])

    with pytest.raises(ImportRejected) as caught:
        run(with_reps, "deals", deals)

    assert str(caught.value.errors[0]) == (
        "row 1 (line 2), column 'owner_email': unknown owner '005XXXX' (no rep with that email or CRM id; "
        "import reps first, or give --default-owner)")


def test_a_default_owner_takes_deals_without_an_owner_or_with_an_unknown_one(with_reps, tmp_path):
    runtime = with_reps
    deals = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {"external_id": "O-1", "name": "Globex", "owner_email": "", "stage": "discover"},
        {"external_id": "O-2", "name": "Initech", "owner_email": "005GONE", "stage": "discover"},
        {"external_id": "O-3", "name": "Hooli", "owner_email": "ann@example.com", "stage": "discover"},
    ])

    summary = run(runtime, "deals", deals, options=ImportOptions(default_owner="bob@example.com"))

    bob, ann = rep(runtime, "bob@example.com").id, rep(runtime, "ann@example.com").id
    assert [deal(runtime, f"O-{n}").owner_id for n in (1, 2, 3)] == [bob, bob, ann]
    assert "2 deal(s) given the default owner bob@example.com; owner was: empty (1), '005GONE' (1)" in summary.notes


def test_a_deals_file_without_an_owner_column_imports_with_a_default_owner(with_reps, tmp_path):
    runtime = with_reps
    deals = write_csv(tmp_path / "deals.csv", ["external_id", "name", "stage"], [["O-1", "Globex", "discover"]])

    with pytest.raises(ImportRejected, match="missing required column"):
        run(runtime, "deals", deals)
    run(runtime, "deals", deals, options=ImportOptions(default_owner="ann@example.com"))

    assert deal(runtime, "O-1").owner_id == rep(runtime, "ann@example.com").id


def test_invalid_rep_rows_are_skipped_and_counted_when_asked(runtime, tmp_path):
    users = write_csv(tmp_path / "users.csv", USERS_HEADER, [
        ["005A01", "ann@example.com", "Ann Archer"],
        ["005A02", "noreply@00d8a0000000xyz", "Automated Process"],  # a Salesforce system user
        ["005A03", "ANN@example.com", "Ann (second login)"],  # Salesforce lets two users share an email
        ["005A04", "bob@example.com", "Bob Baker"],
    ])

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "reps", users)
    assert caught.value.error_count == 2
    assert counts(runtime)["Rep"] == 0

    summary = run(runtime, "reps", users, options=ImportOptions(skip_invalid=True))

    assert (summary.rows, summary.created) == (2, 2)
    assert summary.notes == [
        "2 invalid row(s) skipped (--skip-invalid): row 2 (line 3), column 'email': not an email address: "
        "'noreply@00d8a0000000xyz'; row 3 (line 4), column 'email': duplicate email 'ann@example.com' (also row 1)"]
    assert rep(runtime, "bob@example.com").crm_id == "005A04"


def test_a_crm_id_cannot_move_to_another_rep(with_reps, tmp_path):
    runtime = with_reps
    run(runtime, "reps", write_csv(tmp_path / "a.csv", USERS_HEADER, [["005A01", "ann@example.com", "Ann Archer"]]))

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "reps", write_csv(tmp_path / "b.csv", USERS_HEADER, [["005A01", "bob@example.com", "Bob"]]))

    assert str(caught.value.errors[0]) == (
        "row 1 (line 2), column 'crm_id': CRM id '005A01' belongs to rep ann@example.com")


def test_what_rows_did_is_counted_the_same_when_a_child_process_checks_them(with_reps, tmp_path):
    rows = [{"external_id": f"O-{i}", "name": "A", "owner_email": "" if i % 3 else "ann@example.com",
             "stage": "discover"} for i in range(100)]
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, rows)

    summary = run(with_reps, "deals", path, options=ImportOptions(default_owner="bob@example.com"),
                  pipeline_min_bytes=0, batch_size=7)

    assert summary.checked_in_child
    # Rows 1, 4, ... 100 (i % 3 == 0: 34 of them) name Ann; the 66 others have no owner.
    assert "66 deal(s) given the default owner bob@example.com; owner was: empty (66)" in summary.notes


def test_hubspots_default_pipeline_is_named_by_label_or_internal_id(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "pipeline"], [
        ["O-1", "A", "ann@example.com", "discover", "Sales Pipeline"],
        ["O-2", "B", "ann@example.com", "discover", "default"],
        ["O-3", "C", "ann@example.com", "discover", "12345678"]])

    summary = run(with_reps, "deals", path, options=ImportOptions(pipeline="default"))

    assert (summary.rows, summary.created) == (2, 2)
    assert "1 row(s) skipped: not in pipeline 'default'" in summary.notes
