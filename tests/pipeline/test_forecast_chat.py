"""Forecast questions in chat and in a terminal: slipped deals and what changed, scoped by who asks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.coach.engine import Coach
from tests.conftest import SMALL_PROCESS
from tests.pipeline.test_slippage import NOW


def ask(runtime, viewer, question):
    return Coach(runtime).ask(viewer, question, now=NOW)


def test_which_deals_did_i_push_answers_with_the_reps_own_slipped_deals(runtime, slips):
    answer = ask(runtime, slips["alice"], "which deals did I push?")
    (report,) = answer.data["reports"]
    assert report["report"] == "slippage" and report["scope"]["kind"] == "rep"
    assert {r["deal"] for r in report["rows"]} == {"Deal S1", "Deal S7"}
    assert "Slipped deals — your deals, Q4" in answer.text


def test_whats_slipping_this_quarter_for_a_manager_is_the_teams(runtime, slips):
    answer = ask(runtime, slips["maria"], "what's slipping this quarter?")
    (report,) = answer.data["reports"]
    assert report["report"] == "slippage" and report["details"]["amount"] == 34_000
    assert "3 deals slipped out of Q4, 34,000; 4 pushes in all" in answer.text


def test_what_changed_since_last_monday(runtime, waterfall):
    # Now is Friday Nov 20: "since last Monday" is Nov 16 00:00 UTC.
    answer = ask(runtime, waterfall["maria"], "what changed in my pipeline since last Monday?")
    (report,) = answer.data["reports"]
    assert report["report"] == "changes" and report["period"]["start"] == "2026-11-16T00:00:00+00:00"
    steps = {r["step"]: (r["deals"], r["amount"]) for r in report["rows"]}
    # At Nov 16 00:00: W1 10k, W4 5k (created Nov 14), W5 8k, W6 30k, W7 6k, W9 11k (its new amount from Nov 14);
    # W2 was pushed out on Nov 15, before the window, and W3 pulled in at noon.
    assert steps["start"] == (6, 70_000) and steps["end"] == (4, 42_000)
    assert steps["pushed_out"] == (-1, -11_000) and steps["pulled_in"] == (1, 15_000)
    assert steps["new"] == (1, 9_000) and steps["won"] == (-2, -39_000) and steps["amount"] == (0, 4_000)
    assert sum(r["amount"] for r in report["rows"][1:-1]) == steps["end"][1] - steps["start"][1]


@pytest.fixture
def cli(db_url, runtime):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}

    def run(*args: str):
        return CliRunner().invoke(main, ["pipeline", *args, "--now", "2026-11-20T15:00:00Z"], env=env)

    return run


def test_slippage_as_json(cli, slips):
    result = cli("slippage", "--period", "this-quarter", "--team", "East", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {r["deal"] for r in report["rows"]} == {"Deal S1", "Deal S3", "Deal S7"}


def test_changes_as_json(cli, waterfall):
    result = cli("changes", "--period", "2026-11-13..2026-11-20", "--closing", "2026-Q4", "--team", "East", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["details"]["closing"]["label"] == "Q4"
    assert {r["step"]: r["amount"] for r in report["rows"]}["end"] == 42_000
