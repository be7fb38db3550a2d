"""Currencies and amounts as CRMs export them: every stored amount is in the company currency, another
currency is converted with a given rate or refused naming row and column, and no amount is guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.importer import ImportOptions, ImportRejected
from bot.importer.options import load_rates
from bot.importer.values import parse_money
from tests.importer.helpers import REPS_CSV, at, counts, deal, run, timeline, write_csv

HEADER = ["external_id", "name", "owner_email", "stage", "amount", "currency"]


def test_a_row_in_another_currency_is_refused_naming_row_and_column(with_reps, tmp_path):
    runtime = with_reps
    path = write_csv(tmp_path / "deals.csv", HEADER, [
        ["O-1", "Globex", "ann@example.com", "discover", "1000", "USD"],
        ["O-2", "Bacardi", "ann@example.com", "discover", "250000", "MXN"],
        ["O-3", "Hooli", "ann@example.com", "discover", "900 COP", ""],
    ])

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "deals", path)

    assert [str(e) for e in caught.value.errors] == [
        "row 2 (line 3), column 'currency': amount in MXN, not the company currency USD: give its rate with "
        "--rates FILE (columns currency,rate), or set STAGECOACH_CURRENCY=MXN if every deal is in MXN",
        "row 3 (line 4), column 'amount': amount in COP, not the company currency USD: give its rate with "
        "--rates FILE (columns currency,rate), or set STAGECOACH_CURRENCY=COP if every deal is in COP",
    ]
    assert counts(runtime)["Deal"] == 0


def test_with_a_rate_table_amounts_are_converted_and_stored_in_the_company_currency(with_reps, tmp_path):
    runtime = with_reps
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nMXN,0.05\ncop,0.00025\n")
    path = write_csv(tmp_path / "deals.csv", HEADER, [
        ["O-1", "Globex", "ann@example.com", "discover", "1000", "USD"],
        ["O-2", "Bacardi", "ann@example.com", "discover", "$250,000", "MXN"],  # $ is also the peso's sign
        ["O-3", "Hooli", "ann@example.com", "discover", "900 COP", ""],
        ["O-4", "Initech", "ann@example.com", "discover", "$10", ""],
    ])

    summary = run(runtime, "deals", path, options=ImportOptions(rates=load_rates(rates, "USD")))

    # By hand: 250,000 MXN x 0.05 = 12,500.00 USD; 900 COP x 0.00025 = 0.225 -> 0.23 USD (half up).
    assert [(deal(runtime, f"O-{n}").amount, deal(runtime, f"O-{n}").currency) for n in (1, 2, 3, 4)] == [
        (Decimal("1000.00"), "USD"), (Decimal("12500.00"), "USD"), (Decimal("0.23"), "USD"),
        (Decimal("10.00"), "USD")]
    assert "2 amount(s) converted to USD with --rates: COP 1, MXN 1" in summary.notes


def test_the_company_currency_is_a_setting_and_stored_deals_keep_one_currency(with_reps, tmp_path):
    runtime = with_reps
    path = write_csv(tmp_path / "deals.csv", HEADER, [["O-1", "Bacardi", "ann@example.com", "discover", "5", "MXN"]])
    run(runtime, "deals", path, options=ImportOptions(currency="MXN"))
    assert deal(runtime, "O-1").currency == "MXN"

    other = write_csv(tmp_path / "other.csv", HEADER, [["O-2", "Globex", "ann@example.com", "discover", "5", ""]])
    with pytest.raises(InvalidInput) as caught:
        run(runtime, "deals", other)  # the default company currency, USD
    assert str(caught.value) == (
        "the database holds deals in MXN, and this import's company currency is USD: amounts in two currencies "
        "cannot be added up. Set STAGECOACH_CURRENCY=MXN, or convert them with --rates")


def test_an_amount_that_names_another_currency_than_its_column_is_refused(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", HEADER, [["O-1", "Globex", "ann@example.com", "discover", "5 EUR", "USD"]])
    with pytest.raises(ImportRejected) as caught:
        run(with_reps, "deals", path)
    assert str(caught.value.errors[0]) == "row 1 (line 2), column 'amount': amount '5 EUR' is in EUR but column " \
                                          "'currency' says USD"


@pytest.mark.parametrize(("text", "value", "currency"), [
    ("€1.200,50", "1200.50", "EUR"), ("1.234.567", "1234567.00", None), ("12,50", "12.50", None),
    ("$4,500", "4500.00", "USD"), ("1200 eur", "1200.00", "EUR"), ("0.010", "0.01", None), ("$5 MXN", "5.00", "MXN"),
])
def test_amounts_with_separators_are_read_exactly(text, value, currency):
    money = parse_money(text)
    assert (money.value, money.currency) == (Decimal(value), currency)


@pytest.mark.parametrize(("text", "message"), [
    ("€1.200", "ambiguous amount '€1.200': 1200, or 1.200 with a decimal point? "
               "Write it without a thousands separator (1200), or with 2 decimals"),
    ("1.500", "ambiguous amount '1.500': 1500, or 1.500 with a decimal point? "
              "Write it without a thousands separator (1500), or with 2 decimals"),
    ("0.001", "amount '0.001' has more than 2 decimals; amounts are kept to the cent"),
    ("1234.567", "amount '1234.567' has more than 2 decimals; amounts are kept to the cent"),
    ("1_000", "not an amount: '1_000' (write it without '_', e.g. 1000)"),
    ("$5 EUR", "'$5 EUR' names two currencies (USD and EUR); keep one"),
])
def test_amounts_are_never_guessed(text, message):
    with pytest.raises(ValueError) as caught:
        parse_money(text)
    assert str(caught.value) == message


def test_acv_columns_are_amounts(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "Total ACV"],
                     [["O-1", "Globex", "ann@example.com", "discover", "48000"]])
    run(with_reps, "deals", path)
    assert deal(with_reps, "O-1").amount == Decimal("48000.00")


def test_a_rates_file_with_a_bad_row_is_refused(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nMXN,abc\npesos,1\n")
    with pytest.raises(InvalidInput) as caught:
        load_rates(rates, "USD")
    assert caught.value.problems == ["line 2: rate 'abc' is not a positive number", "line 3: 'pesos' is not a currency code"]


def test_times_without_a_zone_can_be_in_the_files_time_zone(with_reps, tmp_path):
    runtime = with_reps
    path = write_csv(tmp_path / "deals.csv", ["external_id", "name", "owner_email", "stage", "created_at"], [
        ["O-1", "Globex", "ann@example.com", "discover", "2026-07-01 09:30"],
        ["O-2", "Hooli", "ann@example.com", "discover", "2026-07-01T09:30:00Z"],
    ])

    run(runtime, "deals", path, timezone="America/Mexico_City")

    # Mexico City is UTC-6 (no daylight saving since 2022): 09:30 there is 15:30 UTC; a zoned time stays as written.
    assert timeline(runtime, "O-1")[0][2] == at(2026, 7, 1, 15, 30)
    assert timeline(runtime, "O-2")[0][2] == at(2026, 7, 1, 9, 30)


def test_the_company_currency_comes_from_the_setting(settings, engine, clock, tmp_path):
    runtime = Runtime(settings.model_copy(update={"currency": "EUR"}), engine=engine, clock=clock)
    run(runtime, "reps", REPS_CSV)
    path = write_csv(tmp_path / "deals.csv", HEADER, [["O-1", "Globex", "ann@example.com", "discover", "€1.200,50", ""],
                                                       ["O-2", "Hooli", "ann@example.com", "discover", "$10", ""]])
    with pytest.raises(ImportRejected) as caught:
        run(runtime, "deals", path, options=ImportOptions(default_owner="ann@example.com"))
    assert [e.row for e in caught.value.errors] == [2]  # $ is USD, not the company's EUR
    run(runtime, "deals", write_csv(tmp_path / "eur.csv", HEADER, [
        ["O-1", "Globex", "ann@example.com", "discover", "€1.200,50", ""]]))
    assert (deal(runtime, "O-1").amount, deal(runtime, "O-1").currency) == (Decimal("1200.50"), "EUR")
