"""A Salesforce Data Export imports as exported: User.csv's names are built from FirstName and LastName,
its system users are never reps (even with --skip-invalid), and Opportunity amounts with more decimals
than their currency are rounded to it and counted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.importer import ImportOptions, ImportRejected, RecordSource, import_from
from bot.importer.reps import not_a_person
from bot.importer.values import round_to_currency
from tests.importer.helpers import NOW, counts, deal, rep, run, write_csv

# Column names and order as Salesforce's Data Export writes User.csv (a subset of its columns).
USER = ["Id", "Username", "LastName", "FirstName", "CompanyName", "Email", "TimeZoneSidKey", "IsActive", "UserType"]
OPPORTUNITY = ["Id", "IsDeleted", "AccountId", "Name", "StageName", "Amount", "CloseDate", "IsClosed", "IsWon",
               "CurrencyIsoCode", "OwnerId", "CreatedDate"]


def _users(tmp_path, *extra: list[str]):
    return write_csv(tmp_path / "User.csv", USER, [
        ["005A01", "ann@acme.example", "Archer", "Ann", "Acme", "ann@acme.example", "Europe/Paris", "true",
         "Standard"],
        ["005A02", "bob@acme.example", "Baker", "Bob", "Acme", "bob@acme.example", "UTC", "false", "Standard"],
        *extra])


def test_names_are_built_from_first_and_last_name(runtime, tmp_path):
    summary = run(runtime, "reps", _users(tmp_path), preset="salesforce")

    assert (summary.rows, summary.created) == (2, 2)
    assert rep(runtime, "ann@acme.example").name == "Ann Archer"
    assert rep(runtime, "ann@acme.example").timezone == "Europe/Paris"
    # An inactive person stays a rep: they still own the deals they worked.
    assert rep(runtime, "bob@acme.example").crm_id == "005A02"


def test_a_user_with_only_a_last_name_keeps_it(runtime, tmp_path):
    users = write_csv(tmp_path / "User.csv", USER, [
        ["005A03", "cy@acme.example", "Cyrus", "", "Acme", "cy@acme.example", "UTC", "true", "Standard"]])

    run(runtime, "reps", users, preset="salesforce")

    assert rep(runtime, "cy@acme.example").name == "Cyrus"


SYSTEM_USERS = [
    # A real domain, so the address alone is valid: only the rule keeps these out.
    ["005A10", "autoproc@00d8a000000abcd", "Process", "Automated", "", "noreply@acme.example", "America/Los_Angeles",
     "true", "AutomatedProcess"],
    ["005A11", "integration@00d8a000000abcd.ext", "User", "Integration", "", "integration@acme.example",
     "America/Los_Angeles", "true", "Standard"],
    ["005A12", "insights@00d8a000000abcd.ext", "Integration User", "Platform", "", "insights@acme.example", "UTC",
     "true", "Standard"],
    ["005A13", "guest@acme.force.com", "Guest", "Site", "", "site@acme.example", "UTC", "true", "Guest"],
    ["005A14", "chatter@acme.example", "Free", "Chatter", "", "chatter.free@acme.example", "UTC", "true", "CsnOnly"],
    ["005A15", "mail@acme.example", "Reply", "No", "", "no-reply@acme.example", "UTC", "true", "Standard"],
]


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_system_users_are_never_reps(runtime, tmp_path, skip_invalid):
    summary = run(runtime, "reps", _users(tmp_path, *SYSTEM_USERS), preset="salesforce",
                  options=ImportOptions(skip_invalid=skip_invalid))

    assert (summary.rows, summary.created) == (2, 2)
    assert counts(runtime)["Rep"] == 2
    assert summary.notes[0] == (
        "6 user(s) left out, not people: row 3 (user type AutomatedProcess); row 4 (automated address "
        "integration@acme.example); row 5 (system user 'Platform Integration User'); row 6 (user type Guest); "
        "row 7 (user type CsnOnly); and 1 more")


def test_a_system_user_does_not_hide_a_persons_error(runtime, tmp_path):
    users = _users(tmp_path, SYSTEM_USERS[0],
                   ["005A20", "dee@acme.example", "Dee", "Dan", "", "dee@", "UTC", "true", "Standard"])

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "reps", users, preset="salesforce")

    assert [str(error) for error in caught.value.errors] == [
        "row 4 (line 5), column 'Email': not an email address: 'dee@'"]
    assert counts(runtime)["Rep"] == 0


def test_the_rule_serves_any_source():
    assert not_a_person(email="ann@acme.example", name="Ann Archer", user_type="Standard") is None
    assert not_a_person(email="ann@acme.example") is None  # no user type given: judged by address and name
    assert not_a_person(email="No.Reply@acme.example") == "automated address No.Reply@acme.example"
    assert not_a_person(email="ops@acme.example", username="autoproc@00d8a") == "automated address autoproc@00d8a"
    assert not_a_person(email="x@acme.example", name="Automated  Process") == "system user 'Automated  Process'"
    assert not_a_person(email="x@acme.example", user_type="PowerPartner") == "user type PowerPartner"


def test_a_plain_reps_file_keeps_its_rules(runtime, tmp_path):
    """Without a preset the file is ours, not a CRM's: an odd address is the admin's to fix, not left out."""
    users = write_csv(tmp_path / "users.csv", ["email", "name"], [["noreply@acme.example", "Shared inbox"]])

    run(runtime, "reps", users)

    assert counts(runtime)["Rep"] == 1


def _opportunities(tmp_path, rows: list[list[str]]):
    return write_csv(tmp_path / "Opportunity.csv", OPPORTUNITY, [
        ["006A0" + str(n), "false", "001A01", f"Deal {n}", "Needs Analysis", amount, "2026-10-30", "false", "false",
         currency, "005A01", "2026-07-01T15:00:00.000Z"] for n, (amount, currency) in enumerate(rows, 1)])


def test_amounts_with_more_decimals_than_the_currency_are_rounded_and_counted(runtime, tmp_path):
    run(runtime, "reps", _users(tmp_path), preset="salesforce")
    opportunities = _opportunities(tmp_path, [
        ("9225.225", "USD"),  # a half: to the even cent, 9225.22 (half up would give .23)
        ("9225.235", "USD"),  # a half: to the even cent, 9225.24
        ("100.5", "JPY"),  # yen have no decimals: 100 (half to even), then converted
        ("7.0049", "USD"),
        ("12000.00", "USD"),  # a cent is fine: not counted
    ])

    summary = run(runtime, "deals", opportunities, preset="salesforce",
                  options=ImportOptions(currency="USD", rates={"JPY": Decimal("0.5")}))

    assert [deal(runtime, f"006A0{n}").amount for n in range(1, 6)] == [
        Decimal("9225.22"), Decimal("9225.24"), Decimal("50.00"), Decimal("7.00"), Decimal("12000.00")]
    assert "4 amount(s) with more decimals than their currency rounded (half to even): JPY 1, USD 3" in summary.notes


def test_a_plain_deals_file_still_refuses_fractions_of_a_cent(runtime, tmp_path):
    run(runtime, "reps", _users(tmp_path), preset="salesforce")
    deals = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "amount"],
                      [["O-1", "Globex", "ann@acme.example", "discover", "9225.225"]])

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "deals", deals)

    assert "has more than 2 decimals" in str(caught.value.errors[0])


def test_round_to_currency():
    assert round_to_currency(Decimal("0.125"), "EUR") == Decimal("0.12")
    assert round_to_currency(Decimal("0.135"), "eur") == Decimal("0.14")
    assert round_to_currency(Decimal("2.5"), "JPY") == Decimal("2.00")
    assert round_to_currency(Decimal("3.5"), "KRW") == Decimal("4.00")
    assert round_to_currency(Decimal("1.2345"), "KWD") == Decimal("1.23")  # stored to the cent


def test_records_from_the_api_meet_the_same_rules(runtime):
    """A connector's records with the salesforce preset: the same people rule and rounding as the export."""
    users = [{"crm_id": "005A01", "email": "ann@acme.example", "name": "Ann Archer", "user_type": "Standard"},
             {"crm_id": "005A10", "email": "autoproc@acme.example", "name": "Automated Process",
              "user_type": "AutomatedProcess"}]
    summary = import_from(runtime, "reps", RecordSource("reps", "Salesforce", users, preset="salesforce",
                                                        fields=("crm_id", "email", "name", "user_type")),
                          ImportOptions(now=NOW))
    assert summary.created == 1 and summary.notes == ["1 user(s) left out, not people: row 2 (user type "
                                                      "AutomatedProcess)"]

    deals = [{"external_id": "006A01", "name": "Globex", "owner_email": "005A01", "stage": "Needs Analysis",
              "amount": Decimal("9225.225"), "currency": "USD"}]
    fields = ("external_id", "name", "owner_email", "stage", "amount", "currency")
    summary = import_from(runtime, "deals", RecordSource("deals", "Salesforce", deals, fields=fields,
                                                         stage_names={"Needs Analysis": "discover"},
                                                         preset="salesforce"),
                          ImportOptions(now=NOW, currency="USD"))
    assert deal(runtime, "006A01").amount == Decimal("9225.22")
    assert "1 amount(s) with more decimals than their currency rounded (half to even): USD 1" in summary.notes

    with pytest.raises(ImportRejected, match="more than 2 decimals"):  # without the preset: refused, as before
        import_from(runtime, "deals", RecordSource("deals", "CRM", deals, fields=fields,
                                                   stage_names={"Needs Analysis": "discover"}),
                    ImportOptions(now=NOW, currency="USD"))
