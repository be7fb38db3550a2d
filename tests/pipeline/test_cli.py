"""``stagecoach pipeline``: the same reports in a terminal, as text or JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.conftest import SMALL_PROCESS


@pytest.fixture
def cli(db_url, runtime):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}

    def run(*args: str):
        return CliRunner().invoke(main, ["pipeline", *args, "--now", "2026-11-20T15:00:00Z"], env=env)

    return run


def test_flow_for_a_month_as_json_without_as_is_everyone(cli, history):
    result = cli("flow", "--period", "2026-10", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["scope"]["kind"] == "all"
    assert report["period"]["start"] == "2026-10-01T00:00:00+00:00"
    flows = {r["stage"]: (r["start"], r["entered"], r["left"], r["end"]) for r in report["rows"]}
    assert flows == {"discover": (2, 4, 6, 0), "validate": (1, 4, 2, 3), "close": (1, 2, 1, 2)}


def test_status_as_text(cli, history):
    result = cli("status", "--team", "East")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Pipeline by stage — East, now"
    assert next(line for line in lines if line.startswith("Total")).split() == ["Total", "4", "65,000", "32,500"]
    assert "• Validate: 2 open deals, 40,000 (16,000 weighted at 40%)" in lines


@pytest.mark.parametrize(("period", "expected"), [
    ("2026-Q3", ("2026-07-01", "2026-10-01")),
    ("last-month", ("2026-10-01", "2026-11-01")),
    ("2026-10-05..2026-10-20", ("2026-10-05", "2026-10-21")),
])
def test_period_forms(cli, history, period, expected):
    report = json.loads(cli("conversion", "--period", period, "--json").stdout)
    assert (report["period"]["start"][:10], report["period"]["end"][:10]) == expected


def test_as_a_rep_and_for_a_rep(cli, history):
    own = json.loads(cli("stuck", "--as", history.alice.email, "--json").stdout)
    assert [r["external_id"] for r in own["rows"]] == ["D-A", "D-B"]
    bob = json.loads(cli("stuck", "--rep", "Bob", "--json").stdout)
    assert [r["external_id"] for r in bob["rows"]] == ["D-F"]


def test_a_rep_asking_for_the_team_is_refused(cli, history):
    result = cli("status", "--as", history.alice.email, "--team", "East")
    assert result.exit_code == 1
    assert "can't see East's pipeline" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("flow", "--period", "someday"), "not a period"),
    (("flow", "--team", "Nowhere"), "no team called 'Nowhere'"),
    (("flow", "--rep", "Zed"), "don't know a rep called 'Zed'"),
    (("flow", "--period", "2027-01"), "has not begun"),
])
def test_bad_input_is_a_clear_error(cli, history, args, message):
    result = cli(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
