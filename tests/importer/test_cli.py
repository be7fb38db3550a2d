"""``stagecoach import reps|deals|history``: summaries, exit codes, presets and column mappings."""

from __future__ import annotations

from decimal import Decimal

from storage.models import DealStatus
from tests.importer.helpers import (
    DEALS_CSV,
    HISTORY_CSV,
    HUBSPOT_CSV,
    REPS_CSV,
    SALESFORCE_CSV,
    counts,
    deal,
    rep,
    timeline,
    write_csv,
)


def test_imports_print_a_summary_and_a_second_run_changes_nothing(cli, runtime):
    for kind, path in (("reps", REPS_CSV), ("deals", DEALS_CSV), ("history", HISTORY_CSV)):
        result = cli(kind, str(path))
        assert result.exit_code == 0, result.output
    before = counts(runtime)

    again = [cli(kind, str(path)) for kind, path in (("reps", REPS_CSV), ("deals", DEALS_CSV),
                                                     ("history", HISTORY_CSV))]

    assert [r.exit_code for r in again] == [0, 0, 0]
    assert "4 rows: 0 created, 0 updated, 4 unchanged" in again[0].output
    assert "4 rows: 0 created, 0 updated, 4 unchanged" in again[1].output
    assert "4 rows: 0 stage changes created, 4 already recorded" in again[2].output
    assert counts(runtime) == before


def test_first_import_summary(cli):
    result = cli("reps", str(REPS_CSV))

    assert result.exit_code == 0
    assert f"{REPS_CSV}: 4 rows: 4 created, 0 updated, 0 unchanged" in result.output


def test_a_bad_file_exits_non_zero_listing_each_error(cli, runtime, tmp_path):
    cli("reps", str(REPS_CSV))
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "amount"], [
        ["D-1", "Fine", "ann@example.com", "discover", "100"],
        ["D-2", "Bad stage", "ann@example.com", "negotiate", "100"],
        ["D-3", "Bad amount", "nobody@example.com", "discover", "ten"],
    ])

    result = cli("deals", str(path))

    assert result.exit_code == 1
    assert "3 error(s); nothing was imported" in result.output
    assert "row 2 (line 3), column 'stage': unknown stage 'negotiate'" in result.output
    assert "row 3 (line 4), column 'owner_email': unknown owner 'nobody@example.com'" in result.output
    assert "row 3 (line 4), column 'amount': not an amount: 'ten'" in result.output
    assert counts(runtime)["Deal"] == 0


def test_hubspot_preset_reads_a_hubspot_export_as_it_is(cli, runtime):
    cli("reps", str(REPS_CSV))

    result = cli("deals", "--preset", "hubspot", str(HUBSPOT_CSV))

    assert result.exit_code == 0, result.output
    assert "2 rows: 2 created" in result.output
    assert "ignored column(s): Deal Type" in result.output
    acme, wayne = deal(runtime, "9001"), deal(runtime, "9002")
    # "Deal owner" holds a name there: it resolves to the one rep of that name.
    assert (acme.name, acme.account, acme.owner_id, acme.stage_key, acme.amount, acme.next_step) == (
        "Acme rollout", "Acme", rep(runtime, "ann@example.com").id, "discover", Decimal("4500.00"),
        "Send the pricing sheet")
    assert wayne.status == DealStatus.won


def test_salesforce_preset_reads_a_salesforce_export_as_it_is(cli, runtime):
    cli("reps", str(REPS_CSV))

    result = cli("deals", "--preset", "salesforce", str(SALESFORCE_CSV))

    assert result.exit_code == 0, result.output
    stark, oscorp = deal(runtime, "006A000001"), deal(runtime, "006A000002")
    assert (stark.name, stark.account, stark.owner_id, stark.stage_key, stark.amount) == (
        "Stark retrofit", "Stark Industries", rep(runtime, "mia@example.com").id, "validate", Decimal("72000.00"))
    assert oscorp.status == DealStatus.lost


def test_without_the_preset_a_crm_export_is_refused_with_a_hint(cli, runtime):
    cli("reps", str(REPS_CSV))

    result = cli("deals", str(HUBSPOT_CSV))

    assert result.exit_code == 1
    assert "missing required column(s) external_id, name, owner_email, stage" in result.output
    assert "--preset" in result.output


def test_a_mapping_file_names_columns_and_crm_stage_names(cli, runtime, tmp_path):
    cli("reps", str(REPS_CSV))
    export = write_csv(tmp_path / "export.csv", ["Deal #", "Title", "Rep", "Phase", "Value", "Opened (US)"], [
        ["X-1", "Big one", "ann@example.com", "Qualified To Buy", "9000", "10/31/2026"],
        ["X-2", "Small one", "bob@example.com", "Contract Sent", "100", "11/02/2026"],
    ])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  'Deal #': external_id\n  Title: name\n  Rep: owner_email\n  Phase: stage\n  Value: amount\n"
        "  Opened (US): created_at\n"
        "stages:\n  Qualified To Buy: discover\n  contract sent: close\n", encoding="utf-8")

    result = cli("deals", "--mapping", str(mapping), "--date-format", "%m/%d/%Y", str(export))

    assert result.exit_code == 0, result.output
    x1, x2 = deal(runtime, "X-1"), deal(runtime, "X-2")
    assert (x1.stage_key, x1.amount, x1.created_at.isoformat()) == ("discover", Decimal("9000.00"),
                                                                    "2026-10-31T00:00:00+00:00")
    assert x2.stage_key == "close"
    assert timeline(runtime, "X-2")[0][:2] == (None, "close")


def test_map_options_override_the_mapping_file(cli, runtime, tmp_path):
    cli("reps", str(REPS_CSV))
    export = write_csv(tmp_path / "export.csv", ["Id", "Title", "Other title", "Rep", "Phase"], [
        ["X-1", "From Title", "From Other", "ann@example.com", "validate"],
    ])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  Id: external_id\n  Title: name\n  Rep: owner_email\n  Phase: stage\n")

    result = cli("deals", "--mapping", str(mapping), "--map", "Other title=name", str(export))

    assert result.exit_code == 0, result.output
    assert deal(runtime, "X-1").name == "From Other"


def test_a_mapping_to_an_unknown_stage_or_field_is_refused(cli, runtime, tmp_path):
    cli("reps", str(REPS_CSV))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("stages:\n  Qualified To Buy: qualify\n")

    bad_stage = cli("deals", "--mapping", str(mapping), str(DEALS_CSV))
    bad_field = cli("deals", "--map", "name=title", str(DEALS_CSV))

    assert bad_stage.exit_code == 1 and "'qualify', which is not a stage" in bad_stage.output
    assert bad_field.exit_code == 1 and "'title' is not a deals field" in bad_field.output
    assert counts(runtime)["Deal"] == 0


def test_dry_run_writes_nothing(cli, runtime):
    cli("reps", str(REPS_CSV))

    result = cli("deals", "--dry-run", str(DEALS_CSV))

    assert result.exit_code == 0
    assert "dry run, nothing written: 4 rows: 4 created" in result.output
    assert counts(runtime)["Deal"] == 0
