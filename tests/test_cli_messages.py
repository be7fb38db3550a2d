"""Inputs that used to end in a traceback get one line naming the fix (issue 12, point 6)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.conftest import SMALL_PROCESS
from tests.importer.helpers import REPS_CSV


@pytest.fixture
def cli(db_url):
    def invoke(*args: str, **env: str):
        result = CliRunner().invoke(main, list(args), env={"STAGECOACH_DATABASE_URL": db_url,
                                                           "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS), **env})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception  # no traceback
        return result

    return invoke


def error_line(result) -> str:
    return [line for line in result.output.splitlines() if line.startswith("Error:")][0]


def test_an_unknown_encoding_names_the_option(cli):
    result = cli("import", "reps", str(REPS_CSV), "--encoding", "nosuchcodec")
    assert result.exit_code == 1
    assert error_line(result) == ("Error: --encoding nosuchcodec: not a text encoding Python knows; "
                                  "try utf-8, cp1252, latin-1 or utf-16")


def test_utf16_on_a_utf8_file_says_the_file_is_not_utf16(cli):
    result = cli("import", "reps", str(REPS_CSV), "--encoding", "utf-16")
    assert result.exit_code == 1
    assert error_line(result) == (f"Error: {REPS_CSV}: not utf-16 text (UTF-16 stream does not start with BOM); "
                                  "say which encoding the file uses with --encoding (utf-8 is the default)")


@pytest.mark.parametrize(("args", "expected"), [
    (("pipeline", "flow", "--period", "0001-01-01..9999-12-31"),
     "Error: period '0001-01-01..9999-12-31': give dates between 1900-01-01 and 2999-12-31"),
    (("pipeline", "flow", "--now", "9999-12-31T23:00:00Z"),
     "Error: Invalid value for '--now': 9999-12-31T23:00:00Z: give a date between 1900-01-01 and 2999-12-31"),
    (("pipeline", "time", "--now", "0001-01-01"),
     "Error: Invalid value for '--now': 0001-01-01: give a date between 1900-01-01 and 2999-12-31"),
    (("digest", "--date", "9999-12-31", "--dry-run"),
     "Error: Invalid value for '--date': 9999-12-31: give a date between 1900-01-01 and 2999-12-31"),
    (("digest", "--now", "0001-01-01T00:00:00Z", "--dry-run"),
     "Error: Invalid value for '--now': 0001-01-01T00:00:00Z: give a date between 1900-01-01 and 2999-12-31"),
])
def test_dates_at_the_ends_of_the_calendar_are_refused_with_the_range(cli, args, expected):
    result = cli(*args)
    assert result.exit_code in (1, 2)
    assert error_line(result) == expected


def test_dates_inside_the_range_still_work(cli):
    result = cli("pipeline", "flow", "--period", "1900-01-01..2999-12-31", "--now", "2999-12-31T12:00:00Z")
    assert result.exit_code == 0, result.output
    assert "Discover: began" in result.output


@pytest.mark.parametrize(("env", "expected"), [
    ({"STAGECOACH_DIGEST_HOUR": "25"},
     "Error: STAGECOACH_DIGEST_HOUR=25: input should be less than or equal to 23 (allowed: from 0 to 23)"),
    ({"STAGECOACH_TIMEZONE": "Mars/Base"},
     "Error: STAGECOACH_TIMEZONE=Mars/Base: not an IANA timezone name (e.g. UTC, Europe/Berlin, America/New_York)"),
    ({"STAGECOACH_IMPORT_YEARS_BACK": "0"},
     "Error: STAGECOACH_IMPORT_YEARS_BACK=0: input should be greater than or equal to 1 (allowed: from 1 to 200)"),
])
def test_settings_are_checked_at_start_naming_the_variable_and_its_range(cli, env, expected):
    result = cli("digest", "--dry-run", **env)
    assert result.exit_code == 1
    assert error_line(result) == expected
