"""Cell parsers, column resolution and mapping files: the rules behind every row error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import sqlite

from bot.core.errors import InvalidInput
from bot.importer.columns import load_mapping, parse_map_options, resolve_columns
from bot.importer.values import (
    StageResolver,
    closed_status,
    iso_day,
    parse_amount,
    parse_day,
    parse_when,
    plain_amount,
    utc_instant,
)
from knowledge.process_map import load_process_map
from storage.imports import _sqlite_datetime
from storage.models import Deal
from tests.conftest import SMALL_PROCESS


@pytest.mark.parametrize(("text", "value"), [
    ("12000", "12000.00"), ("25,000.50", "25000.50"), ("$4,500", "4500.00"), ("EUR 99.99", "99.99"),
    ("1200 USD", "1200.00"), ("0", "0.00"), ("999999999999.99", "999999999999.99"),
])
def test_amounts(text, value):
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["ten", "-5", "1e3x", "NaN", "1000000000000", "1,000.5.5", "12.3.4"])
def test_bad_amounts(text):
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-10-15", datetime(2026, 10, 15, tzinfo=UTC)),
    ("2026-10-15T09:30", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),
    ("2026-10-15 09:30:05", datetime(2026, 10, 15, 9, 30, 5, tzinfo=UTC)),
    ("2026-10-15T09:30:00Z", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),
    ("2026-10-15T09:30:00+02:00", datetime(2026, 10, 15, 7, 30, tzinfo=UTC)),
    ("2026-10-15T23:30:00-05:00", datetime(2026, 10, 16, 4, 30, tzinfo=UTC)),
])
def test_instants_are_iso_8601_with_utc_when_no_zone(text, expected):
    value = parse_when(text)
    assert value == expected and value.utcoffset() == timedelta(0)


def test_a_date_format_reads_other_dates_and_iso_still_works():
    assert parse_when("10/31/2026", "%m/%d/%Y") == datetime(2026, 10, 31, tzinfo=UTC)
    assert parse_when("2026-10-31", "%m/%d/%Y") == datetime(2026, 10, 31, tzinfo=UTC)
    with pytest.raises(ValueError, match="format"):
        parse_when("31/10/2026", "%m/%d/%Y")
    with pytest.raises(ValueError, match="not an ISO 8601"):
        parse_when("31/10/2026")


def test_a_close_date_is_the_day_as_written():
    assert parse_day("2026-12-20") == date(2026, 12, 20)
    assert parse_day("2026-12-20T23:30:00-05:00") == date(2026, 12, 20)
    with pytest.raises(ValueError):
        parse_day("2026-02-30")


@pytest.mark.parametrize(("text", "status"), [
    ("won", "won"), ("Closed Won", "won"), ("closedlost", "lost"), ("Closed-Lost", "lost"), ("Close", None),
    ("open", None),
])
def test_closed_stage_spellings(text, status):
    assert closed_status(text) == status


def test_stages_resolve_by_key_name_or_alias():
    stages = StageResolver(load_process_map(SMALL_PROCESS), {"Contract Sent": "close", "Dead": "LOST"})
    assert stages.resolve("Validate") == ("stage", "validate")
    assert stages.resolve("contract sent") == ("stage", "close")
    assert stages.resolve("dead") == ("closed", "lost")
    assert stages.resolve("Closed Won") == ("closed", "won")
    with pytest.raises(ValueError, match="unknown stage 'negotiate'"):
        stages.resolve("negotiate")
    with pytest.raises(InvalidInput, match="the mapping names unknown stages"):
        StageResolver(load_process_map(SMALL_PROCESS), {"Qualified": "qualify"})


def test_columns_resolve_by_mapping_then_preset_then_field_name():
    header = ["Record ID", "Deal Name", "Deal owner", "Deal Stage", "My Amount", "Amount", "Pipeline"]
    columns, problems = resolve_columns("deals", header, preset="hubspot", mapping={"My Amount": "amount"})
    assert problems == []
    assert {field: name for field, (_, name) in columns.columns.items()} == {
        "external_id": "Record ID", "name": "Deal Name", "owner_email": "Deal owner", "stage": "Deal Stage",
        "amount": "My Amount", "pipeline": "Pipeline"}
    assert columns.ignored == ("Amount",)


def test_column_names_match_ignoring_case_spaces_and_a_byte_order_mark():
    columns, problems = resolve_columns("history", ["\ufeffDeal_External_ID", " TO_STAGE ", "changed_at"])
    assert problems == [] and set(columns.columns) == {"deal_external_id", "to_stage", "changed_at"}


def test_column_problems_are_all_reported():
    columns, problems = resolve_columns("reps", ["email", "full name"], preset="pipedrive",
                                        mapping={"nope": "name", "email": "mail"})
    assert columns is None
    assert "unknown preset 'pipedrive' for reps; known: salesforce, hubspot" in problems
    assert any("no column 'nope'" in p for p in problems)
    assert any("'mail' is not a reps field" in p for p in problems)
    assert any("missing required column(s) name" in p for p in problems)
    assert resolve_columns("deals", ["x"], preset="pipedrive")[1][0].startswith("unknown preset 'pipedrive'")


def test_map_options():
    assert parse_map_options(["Deal Name=name", "a=b=c"]) == {"Deal Name": "name", "a=b": "c"}
    with pytest.raises(InvalidInput):
        parse_map_options(["just-a-column"])


def test_mapping_files(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("columns:\n  'Deal #': external_id\n  Owner: owner_email\nstages:\n  Contract Sent: close\n")
    mapping = load_mapping(good)
    assert mapping.columns == {"Deal #": "external_id", "Owner": "owner_email"}
    assert mapping.stages == {"Contract Sent": "close"}

    bad = tmp_path / "bad.yaml"
    bad.write_text("colums:\n  A: b\nstages: [close]\n")
    with pytest.raises(InvalidInput) as caught:
        load_mapping(bad)
    assert "unknown section 'colums'" in str(caught.value) and "stages: expected" in str(caught.value)
    with pytest.raises(InvalidInput, match="not valid YAML"):
        (tmp_path / "broken.yaml").write_text("columns: [a\n")
        load_mapping(tmp_path / "broken.yaml")


@pytest.mark.parametrize("value", [
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC),
    datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-7))),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(1, 1, 1, 0, 0, 0, 10, tzinfo=UTC),
    datetime(987, 3, 4, 12, 0, 1, 120000, tzinfo=UTC), datetime(9999, 12, 31, 0, 59, tzinfo=UTC),
])
def test_bulk_writes_store_datetimes_exactly_as_sqlalchemy_does_on_sqlite(value):
    dialect = sqlite.dialect()
    column_type = Deal.__table__.c.created_at.type
    assert _sqlite_datetime(value) == column_type.dialect_impl(dialect).bind_processor(dialect)(value)


def test_bulk_writes_refuse_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        _sqlite_datetime(datetime(2026, 1, 2))


@pytest.mark.parametrize(("text", "fast"), [
    ("2026-10-15T09:30:00+00:00", True), ("2026-10-15T09:30:00Z", True), ("2026-10-15T09:30:00.5Z", True),
    ("20261015T093000Z", True), ("2026-W42-4T09:30Z", True), ("2026-10-15T09:30:00-00:00", True),
    ("2026-10-15 09:30+0000", True), ("2026-10-15T09:30:00z", False), ("2026-10-15", False),
    ("2026-10-15T09:30", False), ("2026-10-15T09:30:00+02:00", False), (" 2026-10-15T09:30:00Z", False),
    ("10/15/2026", False),
])
def test_the_fast_path_for_utc_instants_gives_what_parse_when_gives(text, fast):
    value = utc_instant(text)

    assert (value is not None) == fast
    for tz in (None, ZoneInfo("America/New_York")):
        if value is not None:
            full = parse_when(text, date_format="%m/%d/%Y", tz=tz)
            assert value == full and value.tzinfo is full.tzinfo is UTC


@pytest.mark.parametrize("text", ["2026-10-15", "2026-02-29", "2026-10-15T09:30", " 2026-10-15", "15.10.2026"])
def test_the_fast_path_for_days_gives_what_parse_day_gives(text):
    day = iso_day(text)

    assert (day is not None) == (text == "2026-10-15")
    if day is not None:
        assert day == parse_day(text)


@pytest.mark.parametrize(("text", "plain"), [("1200", True), ("1200.5", True), ("0.07", True), ("1,200", False),
                                             ("$12", False), ("1.234,56", False), ("1200.505", False)])
def test_the_fast_path_for_amounts_gives_what_parse_amount_gives(text, plain):
    value = plain_amount(text)

    assert (value is not None) == plain
    if value is not None:
        assert value == parse_amount(text) and str(value) == str(parse_amount(text))
