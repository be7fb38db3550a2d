"""Errors of CRM exports told the way a person fixes them: a repeated problem once, with its count and
its fix; mapping problems under the option that caused them; and the mapping options doing what they say."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.importer import ImportRejected
from bot.importer.columns import parse_map_options, resolve_columns
from tests.importer.helpers import DEALS_CSV, REPS_CSV, deal, run, write_csv


def test_thousands_of_identical_date_errors_are_told_once_with_the_date_format_to_give(with_reps, tmp_path):
    rows = [{"external_id": f"O-{i}", "name": "A", "owner_email": "ann@example.com", "stage": "discover",
             "created_at": f"{1 + i % 12:02d}/{13 + i % 15}/2026"} for i in range(2000)]
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "created_at"], rows)

    with pytest.raises(ImportRejected) as caught:
        run(with_reps, "deals", path)

    assert caught.value.error_count == 2000
    assert caught.value.problems == [
        "row 1 (line 2), column 'created_at': not an ISO 8601 date or datetime: '01/13/2026'",
        "row 2 (line 3), column 'created_at': not an ISO 8601 date or datetime: '02/14/2026'",
        "row 3 (line 4), column 'created_at': not an ISO 8601 date or datetime: '03/15/2026'",
        "... 2000 rows in all with column 'created_at': not an ISO 8601 date or datetime: '…'",
        "  fix: add --date-format '%m/%d/%Y'",
    ]


def test_dates_that_read_either_way_say_so(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "created_at"], [
        ["O-1", "A", "ann@example.com", "discover", "03/04/2026"],
        ["O-2", "B", "ann@example.com", "discover", "05/06/2026"]])

    with pytest.raises(ImportRejected) as caught:
        run(with_reps, "deals", path)

    assert caught.value.problems[-1] == ("  fix: add --date-format '%m/%d/%Y' (or '%d/%m/%Y' if the day comes first: "
                                         "no date in the file says which)")


def test_unknown_stages_come_with_a_ready_stages_snippet(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage"], [
        ["O-1", "A", "ann@example.com", "Qualify"], ["O-2", "B", "ann@example.com", "Demo: booked"],
        ["O-3", "C", "ann@example.com", "Qualify"]])

    with pytest.raises(ImportRejected) as caught:
        run(with_reps, "deals", path)

    assert caught.value.problems[-1] == (
        "  fix: say what these stages are in a mapping file (--mapping FILE), each as a stage key of the map, "
        "won or lost:\n  stages:\n    \"Qualify\": STAGE_KEY   # 2 row(s)\n    \"Demo: booked\": STAGE_KEY   # 1 row(s)")


def test_mapping_file_problems_are_labelled_with_the_mapping_file(cli, tmp_path):
    cli("reps", str(REPS_CSV))
    mapping = tmp_path / "crm.yaml"
    mapping.write_text("columns:\n  Title: nam\n")

    result = cli("deals", "--mapping", str(mapping), str(DEALS_CSV))

    assert result.exit_code == 1
    assert (f"--mapping {mapping}: Title: nam: 'nam' is not a deals field" in result.output)
    assert "--map " not in result.output


def test_a_deals_mapping_file_cannot_be_reused_for_history(cli, tmp_path):
    mapping = tmp_path / "deals.yaml"
    mapping.write_text("columns:\n  Opportunity: external_id\n  Title: name\n")
    history = write_csv(tmp_path / "history.csv", ["Opportunity", "Stage", "When"], [["D-1", "discover", "2026-10-01"]])

    result = cli("history", "--mapping", str(mapping), str(history))

    assert result.exit_code == 1
    assert (f"--mapping {mapping}: its columns name deals fields, not history fields (amount, changed_at, close_date, "
            "deal_external_id, field, from_stage, new_value, old_value, to_stage); write a mapping file for the "
            "history file") in result.output


def test_import_reps_suggests_only_presets_it_takes(cli, tmp_path):
    users = write_csv(tmp_path / "users.csv", ["Mail", "Full"], [["ann@example.com", "Ann"]])

    result = cli("reps", str(users))

    assert result.exit_code == 1
    assert "(use --map COLUMN=FIELD, or --preset salesforce or hubspot for a CRM export)" in result.output
    assert cli("reps", "--preset", "salesforce", str(users)).exit_code == 1  # accepted, just not these headers
    assert "(use --map COLUMN=FIELD" in cli("history", str(users)).output


def test_map_given_the_same_column_twice_is_an_error():
    with pytest.raises(InvalidInput) as caught:
        parse_map_options(["Deal Name=name", "Deal Name=account"])
    assert str(caught.value) == ("--map names column 'Deal Name' twice; to feed two fields from it, "
                                 "write --map 'Deal Name=name,account'")


def test_one_column_may_feed_two_fields(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", ["Opportunity", "Owner", "Stage"], [["Globex", "ann@example.com", "discover"]])

    run(with_reps, "deals", path, mapping={"Opportunity": "external_id,name,account", "Owner": "owner_email",
                                           "Stage": "stage"})

    globex = deal(with_reps, "Globex")
    assert (globex.name, globex.account) == ("Globex", "Globex")


def test_a_name_can_be_built_from_two_columns():
    columns, problems = resolve_columns("reps", ["First Name", "Last Name", "Email"],
                                        mapping={"First Name+Last Name": "name"})
    assert problems == []
    assert columns.join({"name": "Ann", "name+2": "Archer", "email": "a@x.io"}) == {"name": "Ann Archer",
                                                                                    "email": "a@x.io"}
