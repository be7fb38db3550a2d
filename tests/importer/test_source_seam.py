"""Rows from a source that is not a file: typed records (as a CRM connector hands them over) meet the
same checks, all-or-nothing writes and error report as a CSV file's rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.core.errors import InvalidInput
from bot.importer import ImportOptions, ImportRejected, RecordSource, import_from, importing
from tests.importer.helpers import DEALS_HEADER, at, counts, deal, rep, run, timeline, write_csv
from tests.importer.test_pipeline import contents, deal_rows
from tests.utils.factories import NOW

OPTIONS = ImportOptions(now=NOW)
# A CRM's own names of the fields, quoted by its errors.
HUBSPOT_FIELDS = {"external_id": "hs_object_id", "name": "dealname", "owner_email": "hubspot_owner_id",
                  "stage": "dealstage", "amount": "amount", "created_at": "createdate", "close_date": "closedate"}


def typed(row: dict[str, str]) -> dict[str, object]:
    """A deals-CSV row as a CRM connector would give it: datetimes, dates and Decimals, empty cells left out."""
    record: dict[str, object] = {field: text for field, text in row.items() if text}
    for field in ("created_at", "stage_entered_at", "next_followup_at"):
        if field in record:
            record[field] = datetime.fromisoformat(row[field])
    if "close_date" in record:
        record["close_date"] = date.fromisoformat(row["close_date"])
    record["amount"] = Decimal(row["amount"].replace(",", ""))
    return record


def hubspot(records: list[dict[str, object]], **options) -> RecordSource:
    return RecordSource("deals", "HubSpot", records, fields=HUBSPOT_FIELDS, place="deal {external_id}", **options)


def test_typed_records_import_exactly_as_the_same_deals_written_to_a_file(with_reps, baseline, tmp_path):
    rows = deal_rows(300)
    source = RecordSource("deals", "CRM", [typed(row) for row in rows], fields=DEALS_HEADER,
                          place="deal {external_id}")

    summary = import_from(with_reps, "deals", source, OPTIONS, batch_size=40)
    run(baseline, "deals", write_csv(tmp_path / "deals.csv", DEALS_HEADER, rows), batch_size=40)

    assert (summary.rows, summary.created, summary.checked_in_child) == (300, 300, False)
    imported = contents(with_reps)
    assert imported == contents(baseline)
    assert imported["checks"] and imported["followups"] and len(imported["changes"]) >= 300
    again = import_from(with_reps, "deals", source, OPTIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 300)
    assert contents(with_reps) == imported


def test_bad_records_reject_the_whole_source_naming_each_record_and_the_crm_field(with_reps):
    good = [{"external_id": str(1000 + i), "name": f"Deal {i}", "owner_email": "ann@example.com",
             "stage": "discover", "amount": Decimal(i), "created_at": NOW - timedelta(days=3)} for i in range(60)]
    bad = [
        {"external_id": "2001", "name": "Far future", "owner_email": "ann@example.com", "stage": "discover",
         "close_date": date(NOW.year + 30, 1, 1)},
        {"external_id": "2002", "name": "Cents", "owner_email": "ann@example.com", "stage": "discover",
         "amount": Decimal("10.005")},
        {"external_id": "2003", "name": "Nobody's", "owner_email": "77", "stage": "discover"},
        {"external_id": "2004", "name": "Odd stage", "owner_email": "ann@example.com", "stage": "1234567"},
        {"external_id": "2005", "name": "Bell\x07", "owner_email": "ann@example.com", "stage": "discover"},
        {"external_id": "2006", "name": "Dated", "owner_email": "ann@example.com", "stage": "discover",
         "created_at": "yesterday"},
        {"external_id": "1000", "name": "Twice", "owner_email": "ann@example.com", "stage": "discover"},
    ]
    before = counts(with_reps)

    # Small batches: the good records' batches were written before the bad ones came, and are rolled back.
    with pytest.raises(ImportRejected) as caught:
        import_from(with_reps, "deals", hubspot(good + bad), OPTIONS, batch_size=20)

    assert counts(with_reps) == before
    assert str(caught.value).startswith("HubSpot: 7 error(s); nothing was imported")
    assert [str(error) for error in caught.value.errors] == [
        f"deal 2001, field 'closedate': {NOW.year + 30}-01-01 is more than 5 years ahead (after "
        f"{NOW.date().replace(year=NOW.year + 5).isoformat()}); check the date or its --date-format, or set "
        "STAGECOACH_IMPORT_YEARS_AHEAD",
        "deal 2002, field 'amount': amount 10.005 has more than 2 decimals; amounts are kept to the cent",
        "deal 2003, field 'hubspot_owner_id': unknown owner '77' (no rep with that email or CRM id; import reps "
        "first, or give --default-owner)",
        "deal 2004, field 'dealstage': unknown stage '1234567' (stages of 'Test process': discover, validate, close; "
        "or won/lost)",
        "deal 2005, field 'dealname': holds the control character U+0007; remove it (a broken export or a binary "
        "file?)",
        "deal 2006, field 'createdate': not an ISO 8601 date or datetime: 'yesterday'",
        "deal 1000, field 'hs_object_id': duplicate id '1000' (also row 1)",
    ]


def test_a_problem_on_many_records_is_told_once_with_its_count_as_for_a_file(with_reps):
    records = [{"external_id": str(i), "name": "X", "owner_email": "ann@example.com", "stage": "qualifiedtobuy"}
               for i in range(40)]

    with pytest.raises(ImportRejected) as caught:
        import_from(with_reps, "deals", hubspot(records), OPTIONS)

    assert caught.value.problems[3:5] == [
        "... 40 records in all with field 'dealstage': unknown stage '…' (stages of '…': discover, "
        "validate, close; or won/lost)",
        "  fix: say what these stages are in a mapping file (--mapping FILE), each as a stage key of the map, won or "
        "lost:\n  stages:\n    \"qualifiedtobuy\": STAGE_KEY   # 40 row(s)"]


def test_reps_deals_and_history_all_come_from_a_crm_source(with_reps):
    runtime = with_reps
    owners = [{"crm_id": "501", "email": "ANN@example.com", "name": "Ann Archer"},
              {"crm_id": "502", "email": "bob@example.com", "name": "Bob Baker"}]
    # A function: rows of reps are read twice (checked whole, then written), each time afresh.
    reps = import_from(runtime, "reps", RecordSource("reps", "HubSpot owners", lambda: iter(owners),
                                                     fields=("crm_id", "email", "name"), place="owner {crm_id}"),
                       OPTIONS)
    deals = import_from(runtime, "deals", hubspot([
        {"external_id": "9001", "name": "Globex", "owner_email": "502", "stage": "appointmentscheduled",
         "amount": Decimal(0), "created_at": datetime(2026, 9, 1, 9, 30)},  # naive: in the portal's zone
    ], stage_names={"appointmentscheduled": "discover", "qualifiedtobuy": "validate"}, timezone="America/New_York"),
        OPTIONS)
    history = import_from(runtime, "history", RecordSource("history", "HubSpot", [
        {"deal_external_id": "9001", "from_stage": "", "to_stage": "appointmentscheduled",
         "changed_at": datetime(2026, 9, 1, 13, 30, tzinfo=UTC)},
        {"deal_external_id": "9001", "from_stage": "appointmentscheduled", "to_stage": "qualifiedtobuy",
         "changed_at": datetime(2026, 10, 2, 8, tzinfo=UTC)},
    ], fields=("deal_external_id", "from_stage", "to_stage", "changed_at"), place="change {number} of deal "
       "{deal_external_id}", stage_names={"appointmentscheduled": "discover", "qualifiedtobuy": "validate"}), OPTIONS)

    assert (reps.updated, deals.created, history.created) == (2, 1, 2)
    assert rep(runtime, "ann@example.com").crm_id == "501"
    stored = deal(runtime, "9001")  # (after its history: in the stage the history moved it to)
    assert (stored.owner_id, stored.amount, stored.created_at) == (
        rep(runtime, "bob@example.com").id, Decimal("0.00"), at(2026, 9, 1, 13, 30))
    assert [(change[0], change[1], change[2]) for change in timeline(runtime, "9001")] == [
        (None, "discover", at(2026, 9, 1, 13, 30)), ("discover", "validate", at(2026, 10, 2, 8))]
    assert (stored.stage_key, stored.stage_entered_at) == ("validate", at(2026, 10, 2, 8))


HISTORY_FIELDS = ("deal_external_id", "from_stage", "to_stage", "changed_at")


def test_sources_imported_together_are_written_all_or_none(with_reps):
    runtime = with_reps
    deals = hubspot([{"external_id": "9101", "name": "Initech", "owner_email": "ann@example.com",
                      "stage": "discover", "created_at": at(2026, 9, 1)}])
    bad_history = RecordSource("history", "HubSpot", [
        {"deal_external_id": "9101", "to_stage": "discover", "changed_at": at(2026, 9, 1)},
        {"deal_external_id": "9101", "from_stage": "discover", "to_stage": "negotiation", "changed_at": at(2026, 10, 1)},
    ], fields=HISTORY_FIELDS, place="change {number} of deal {deal_external_id}")
    before = counts(runtime)

    with pytest.raises(ImportRejected) as caught, importing(runtime, OPTIONS) as batch:
        created = batch.run("deals", deals)
        batch.run("history", bad_history)

    assert created.created == 1  # written in the transaction, then rolled back with the history
    assert counts(runtime) == before
    assert [str(error) for error in caught.value.errors] == [
        "change 2 of deal 9101, field 'to_stage': unknown stage 'negotiation' (stages of 'Test process': discover, "
        "validate, close; or won/lost)"]

    good_history = RecordSource("history", "HubSpot", [{"deal_external_id": "9101", "to_stage": "validate",
                                                        "changed_at": at(2026, 10, 1)}], fields=HISTORY_FIELDS)
    with importing(runtime, replace(OPTIONS, dry_run=True)) as batch:
        summaries = [batch.run("deals", deals), batch.run("history", good_history)]
    assert [(summary.dry_run, summary.created) for summary in summaries] == [(True, 1), (True, 1)]
    assert counts(runtime) == before

    with importing(runtime, OPTIONS) as batch:
        batch.run("deals", deals)
        batch.run("history", good_history)
    assert (deal(runtime, "9101").stage_key, deal(runtime, "9101").stage_entered_at) == ("validate", at(2026, 10, 1))


def test_a_source_without_a_required_field_or_with_an_unknown_one_is_refused_before_any_read(runtime):
    source = RecordSource("deals", "HubSpot", [{"external_id": "1"}], fields=("external_id", "name", "probability"))

    with pytest.raises(ImportRejected) as caught:
        import_from(runtime, "deals", source, OPTIONS)

    assert caught.value.problems[:2] == [
        "fields: 'probability' is not a deals field (external_id, name, owner_email, stage, account, amount, "
        "created_at, stage_entered_at, close_date, next_followup_at, followup_note, criteria_met, status, "
        "next_step, last_stage, currency, pipeline, forecast_category)",
        "fields: HubSpot gives no owner_email, stage; deals need them"]
    with pytest.raises(ImportRejected, match="gives deals, not history"):
        import_from(runtime, "history", source, OPTIONS)
    with pytest.raises(ImportRejected, match="place 'deal {id}' names id, which the records do not give"):
        import_from(runtime, "deals", RecordSource("deals", "CRM", [], fields=HUBSPOT_FIELDS, place="deal {id}"), OPTIONS)


def test_an_option_needing_a_field_the_source_lacks_is_named(with_reps):
    with pytest.raises(Exception, match="--pipeline 'default': HubSpot gives no pipeline"):
        import_from(with_reps, "deals", hubspot([]), replace(OPTIONS, pipeline="default"))



def test_typed_values_of_every_shape_a_connector_may_give(with_reps):
    runtime = with_reps
    base = {"owner_email": "ann@example.com", "stage": "discover"}
    records = [
        {**base, "external_id": "1", "name": "Int amount", "amount": 1200, "close_date": datetime(2026, 12, 5, 23, 0)},
        {**base, "external_id": "2", "name": "Float amount", "amount": 99.5, "close_date": "2026-12-06"},
        {**base, "external_id": "3", "name": "Text values", "amount": "25,000.50", "created_at": "2026-09-01T10:00:00Z"},
        {**base, "external_id": "4", "name": "Naive time", "created_at": datetime(2026, 9, 1, 10, 0)},
        {**base, "external_id": "5", "name": "Empty", "created_at": datetime(2026, 9, 1, 14, 0,
                                                                           tzinfo=timezone(timedelta(hours=2))),
         "account": None, "next_step": None},
    ]
    source = RecordSource("deals", "CRM", records, fields=("external_id", "name", "owner_email", "stage", "amount",
                                                          "close_date", "created_at", "account"))

    assert import_from(runtime, "deals", source, OPTIONS).created == 5

    one, two, three, four, five = (deal(runtime, n) for n in "12345")
    assert (one.amount, one.close_date) == (Decimal("1200.00"), date(2026, 12, 5))  # a datetime's day as written
    assert (two.amount, two.close_date) == (Decimal("99.50"), date(2026, 12, 6))
    assert (three.amount, three.created_at) == (Decimal("25000.50"), at(2026, 9, 1, 10))
    assert four.created_at == at(2026, 9, 1, 10)  # no zone and none given for the source: UTC
    assert (five.created_at, five.account) == (at(2026, 9, 1, 12), "Empty")  # as an empty cell: named after the deal


def test_typed_values_of_the_wrong_type_are_errors_naming_the_record(with_reps):
    base = {"owner_email": "ann@example.com", "stage": "discover", "name": "X"}
    source = hubspot([{**base, "external_id": "1", "amount": True}, {**base, "external_id": "2", "created_at": 20260901},
                      {**base, "external_id": "3", "close_date": 3.5}, {**base, "external_id": "4", "amount": -5}])

    with pytest.raises(ImportRejected) as caught:
        import_from(with_reps, "deals", source, OPTIONS)

    assert [str(error) for error in caught.value.errors] == [
        "deal 1, field 'amount': not an amount: True",
        "deal 2, field 'createdate': not a date and time: 20260901",
        "deal 3, field 'closedate': not a date: 3.5",
        "deal 4, field 'amount': amount out of range (0 to 999,999,999,999.99): -5",
    ]


def test_records_read_as_they_come_suit_deals_and_are_refused_for_a_kind_read_twice(with_reps):
    runtime = with_reps
    stream = ({"external_id": f"S-{i}", "name": f"Streamed {i}", "owner_email": "bob@example.com",
               "stage": "validate"} for i in range(30))

    summary = import_from(runtime, "deals", RecordSource("deals", "CRM", stream, fields=HUBSPOT_FIELDS),
                          OPTIONS, batch_size=7)

    assert (summary.rows, summary.created) == (30, 30)
    once = iter([{"email": "new@example.com", "name": "New Rep"}])
    with pytest.raises(InvalidInput, match="its records can be read only once, and reps are read twice"):
        import_from(runtime, "reps", RecordSource("reps", "CRM owners", once, fields=("email", "name")), OPTIONS)
    assert counts(runtime)["Rep"] == 4
