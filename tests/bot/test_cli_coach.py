"""``stagecoach ask``, ``chat``, ``demo`` and ``process load|show`` as a person runs them: real CLI, real database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import select

from bot.cli import main
from storage.models import Deal, FollowUp
from tests.conftest import SMALL_PROCESS
from tests.utils.sync_state import record_sync

pytestmark = pytest.mark.model

AT = "2026-11-20T15:00:00Z"  # tests.utils.factories.NOW


@pytest.fixture
def env(runtime, tmp_path):
    """The CLI on the test database; no notes, so the index holds only the map and builds in seconds."""
    empty = tmp_path / "no-notes"
    empty.mkdir()
    return {"STAGECOACH_DATABASE_URL": runtime.settings.database_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
            "STAGECOACH_METHODOLOGIES": str(empty), "STAGECOACH_PLAYBOOKS": str(empty)}


def cli(env, *args, input=None):
    return CliRunner().invoke(main, list(args), env=env, input=input)


def test_ask_answers_for_the_asker_as_text_and_json(env, floor):
    text = cli(env, "ask", "--as", floor.alice.email, "--now", AT, "what should I do next on Globex?")
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("Globex Corporation — Globex platform rollout")
    assert "Buyer agreed on written success criteria" in text.stdout and "Send the pricing recap" in text.stdout
    as_json = cli(env, "ask", "--as", floor.alice.slack_user_id, "--now", AT, "--json", "what should I do next on Globex?")
    answer = json.loads(as_json.stdout)
    assert (answer["intent"], answer["deal"]["external_id"]) == ("deal_plan", "D-GLOBEX")


def test_ask_about_another_reps_deal_reads_as_not_found(env, floor):
    result = cli(env, "ask", "--as", floor.alice.email, "--now", AT, "what should I do next on Initech?")
    assert result.exit_code == 0
    assert "can't find a deal" in result.stdout and "Bob" not in result.stdout and "20,000" not in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--as", "nobody@example.com", "hi"], "No rep with Slack id or email 'nobody@example.com'"),
    (["--as", "alice.rep@example.com", "--now", "yesterday-ish", "hi"], "--now"),
])
def test_ask_user_errors_are_one_clean_line(env, floor, args, message):
    result = cli(env, "ask", *args)
    assert result.exit_code in (1, 2) and message in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (AttributeError, TypeError))


def test_ask_yes_records_what_the_question_says_and_without_it_nothing_is_written(env, runtime, floor):
    def roi_followups() -> int:
        with runtime.session() as s:
            return sum("ROI case" in (f.note or "") for f in s.exec(select(FollowUp)).all())

    question = "add a follow-up on Globex for Monday: send the ROI case"
    shown = cli(env, "ask", "--as", floor.alice.email, "--now", AT, question)
    assert shown.exit_code == 0 and "Run again with --yes to record it." in shown.stdout
    assert roi_followups() == 0
    written = cli(env, "ask", "--as", floor.alice.email, "--now", AT, "--json", "--yes", question)
    assert written.exit_code == 0, written.output
    assert json.loads(written.stdout)["recorded"] and roi_followups() == 1


def test_chat_from_a_file_answers_each_line_and_keeps_the_deal_in_focus(env, floor):
    lines = "what should I do next on Globex?\n\nwhat's blocking it?\nexit\nwhat should I do next on Hooli?\n"
    result = cli(env, "chat", "--as", floor.alice.email, "--now", AT, input=lines)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Alice Rep ›") == 2  # two questions, the blank line skipped, nothing after exit
    first, second = result.stdout.split("Alice Rep ›")[1:]
    assert "Globex" in first and "Globex" in second  # the follow-up kept the deal
    assert "Hooli" not in result.stdout


def test_chat_with_nothing_on_standard_input_says_how_to_use_it(env, floor):
    result = cli(env, "chat", "--as", floor.alice.email, input="")
    assert result.exit_code == 1
    assert "no questions on standard input" in result.output and "Traceback" not in result.output


def test_process_show_prints_the_active_map(env, floor):
    result = cli(env, "process", "show")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Test process v1"
    assert "2. Validate [validate] — expected 20 days" in result.stdout
    assert "exit: Buyer agreed on written success criteria [success_criteria_agreed]" in result.stdout
    assert "do:   Draft success criteria with the champion [success_plan] → success_criteria_agreed" in result.stdout


def test_process_load_makes_a_new_version_active_and_moves_deals_when_told(env, runtime, floor, tmp_path):
    renamed = tmp_path / "v2.yaml"
    renamed.write_text(SMALL_PROCESS.read_text().replace("version: 1", "version: 2")
                       .replace("key: validate", "key: evaluate").replace("name: Validate", "name: Evaluate"))
    refused = cli(env, "process", "load", str(renamed))
    assert refused.exit_code == 1
    assert "1 open deal(s) are in stage 'validate'" in refused.output and "--move validate=NEW_STAGE" in refused.output
    assert cli(env, "process", "show").stdout.splitlines()[0] == "Test process v1"  # nothing changed
    loaded = cli(env, "process", "load", str(renamed), "--move", "validate=evaluate")
    assert loaded.exit_code == 0, loaded.output
    assert "moved 1 open deal(s) from validate to evaluate" in loaded.stdout
    assert "active process: Test process v2 (3 stages)" in loaded.stdout
    shown = cli(env, "process", "show").stdout
    assert shown.splitlines()[0] == "Test process v2" and "2. Evaluate [evaluate]" in shown
    with runtime.session() as s:
        assert s.get(Deal, floor.globex.id).stage_key == "evaluate"


@pytest.mark.parametrize(("content", "args", "message"), [
    ("name: Broken\nversion: 1\nstages: []\n", [], "map.yaml:3: error: stages: a process needs at least two stages"),
    (None, ["--move", "validate"], "--move takes OLD=NEW"),
    (None, ["--move", "validate=nowhere"], "'nowhere' is not a stage of the new map"),
])
def test_process_load_errors_are_clean_and_change_nothing(env, floor, tmp_path, content, args, message):
    path = tmp_path / "map.yaml"
    path.write_text(content if content is not None else SMALL_PROCESS.read_text().replace("version: 1", "version: 2")
                    .replace("key: validate", "key: evaluate"))
    result = cli(env, "process", "load", str(path), *args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert cli(env, "process", "show").stdout.splitlines()[0] == "Test process v1"


def test_ask_on_stale_synced_data_says_when_it_was_last_synced_in_text_and_json(env, runtime, floor):
    record_sync(runtime, at=datetime.fromisoformat(AT) - timedelta(hours=3))
    crm = {**env, "HUBSPOT_ACCESS_TOKEN": "pat-na1-test"}
    text = cli(crm, "ask", "--as", floor.alice.email, "--now", AT, "what should I do next on Globex?")
    assert text.exit_code == 0, text.output
    assert text.stdout.rstrip().endswith("deal data last synced 3 h ago")
    as_json = json.loads(cli(crm, "ask", "--as", floor.alice.email, "--now", AT, "--json",
                             "what should I do next on Globex?").stdout)
    assert as_json["freshness"] == "deal data last synced 3 h ago" and as_json["intent"] == "deal_plan"
    fresh = json.loads(cli(env, "ask", "--as", floor.alice.email, "--now", AT, "--json",
                           "what should I do next on Globex?").stdout)
    assert fresh["freshness"] is None  # no CRM set up
