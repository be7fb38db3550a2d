"""The CRM options of ``stagecoach import``: a bad value is a one-line error naming the option."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main
from tests.conftest import SMALL_PROCESS
from tests.importer.helpers import DEALS_CSV, REPS_CSV, counts


def test_each_bad_option_is_named(cli, runtime, tmp_path):
    assert cli("reps", str(REPS_CSV)).exit_code == 0
    rates = tmp_path / "rates.csv"
    rates.write_text("code,value\nMXN,0.05\n")
    cases = {
        ("--timezone", "Mars/Olympus"): "--timezone: unknown time zone 'Mars/Olympus' (an IANA name such as "
                                        "America/New_York)",
        ("--rates", str(rates)): f"--rates {rates}: needs the columns currency, rate; its header is: code, value",
        ("--default-owner", "nobody@example.com"): "--default-owner: unknown owner 'nobody@example.com' (no rep with "
                                                   "that email or CRM id; import reps first, or give --default-owner)",
        ("--pipeline", "Sales Pipeline"): "--pipeline 'Sales Pipeline': the file has no pipeline column",
    }
    before = counts(runtime)
    for option, message in cases.items():
        result = cli("deals", *option, str(DEALS_CSV))
        assert result.exit_code == 1, option
        assert message in result.output, result.output
        assert "Traceback" not in result.output
    assert counts(runtime) == before


def test_a_company_currency_setting_must_be_a_currency_code(runtime, db_url):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
           "STAGECOACH_CURRENCY": "dollars"}
    result = CliRunner().invoke(main, ["import", "reps", str(REPS_CSV)], env=env)
    assert result.exit_code == 1
    assert "STAGECOACH_CURRENCY=dollars: string should match pattern '^[A-Z]{3}$'" in result.output
