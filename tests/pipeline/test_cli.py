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


def test_velocity_with_definitions(cli, closed_history):
    result = cli("velocity", "--period", "2026-10", "--explain")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Win rate, cycle and velocity — everyone, October"
    assert next(line for line in lines if line.startswith("Win rate  ")).split() == ["Win", "rate", "71%", "7"]
    assert ("Win rate (n=7): Deals won ÷ deals won or lost, among deals closed in the period.") in lines
    report = json.loads(cli("velocity", "--period", "2026-10", "--json").stdout)
    rows = {r["figure"]: r for r in report["rows"]}
    assert (rows["win_rate"]["value"], rows["win_rate"]["n"]) == (0.7143, 7)
    assert rows["velocity_per_day"]["definition"].startswith("Sales velocity: open deals × average won amount")


def process_cli(db_url, *args: str):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
    return CliRunner().invoke(main, ["process", *args], env=env)


def test_process_observed_proposes_a_map_that_validates_and_loads(db_url, runtime, closed_history, tmp_path):
    proposal = tmp_path / "proposed.yaml"
    result = process_cli(db_url, "observed", "--period", "2026-07-01..2026-11-20", "--propose", str(proposal),
                         "--now", "2026-11-20T15:00:00Z")
    assert result.exit_code == 0, result.output
    assert "-    expected_days: 20" in result.output.splitlines()
    assert "-version: 1" in result.output.splitlines() and "+version: 2" in result.output.splitlines()
    assert runtime.process.stage("validate").expected_days == 20  # nothing changes until the owner loads it
    checked = process_cli(db_url, "validate", str(proposal))
    assert checked.exit_code == 0, checked.output
    assert process_cli(db_url, "load", str(proposal)).exit_code == 0
    assert runtime.process.stage("validate").expected_days == 10
    again = process_cli(db_url, "observed", "--propose", str(proposal), "--now", "2026-11-20T15:00:00Z")
    assert again.exit_code == 1 and "exists" in again.output
    as_json = json.loads(process_cli(db_url, "observed", "--period", "2026-07-01..2026-11-20", "--json",
                                     "--now", "2026-11-20T15:00:00Z").stdout)
    assert as_json["details"]["paths"]["deals"] == 13
