"""A new map is visible without a restart: a running coach's answers and its index follow ``process load``.

One coach object (as a Slack worker holds) answers before and after another process loads a map that
renames the Validate stage to Evaluate; nothing is restarted or rebuilt by hand in between.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.coach.engine import Coach
from bot.core.runtime import Runtime
from knowledge.index import map_identity
from knowledge.store import close_stores, open_store
from tests.bot.coach_fixtures import build_floor
from tests.conftest import SMALL_PROCESS
from tests.utils.factories import NOW

pytestmark = pytest.mark.model

NOTE = """---
title: Field notes
---
# Field notes

## Stage: Validate
Run a paid pilot with three named success metrics, and get the champion to present the pilot results.

## Stage: Evaluate
Hold an evaluation scorecard review with the buying committee and agree the weights of each criterion.
"""
VALIDATE_TIP = ("methodologies/field.md", "Stage: Validate")
EVALUATE_TIP = ("methodologies/field.md", "Stage: Evaluate")


@pytest.fixture
def setup(tmp_path, settings, engine, clock):
    methodologies, playbooks = tmp_path / "methodologies", tmp_path / "playbooks"
    methodologies.mkdir()
    playbooks.mkdir()
    (methodologies / "field.md").write_text(NOTE)
    new_map = tmp_path / "evaluate_map.yaml"
    new_map.write_text(SMALL_PROCESS.read_text().replace("version: 1", "version: 2")
                       .replace("key: validate", "key: evaluate").replace("name: Validate", "name: Evaluate"))
    configured = settings.model_copy(update={"methodologies": methodologies, "playbooks": playbooks,
                                             "embeddings": "local", "chroma_url": None})
    runtime = Runtime(configured, engine=engine, clock=clock)
    floor = build_floor(runtime)
    yield runtime, floor, new_map
    close_stores()


def load(runtime: Runtime, path, *args) -> None:
    env = {"STAGECOACH_DATABASE_URL": runtime.settings.database_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
    result = CliRunner().invoke(main, ["process", "load", str(path), *args], env=env)
    assert result.exit_code == 0, result.output


def cited(answer) -> list[tuple[str, str]]:
    return [(c.source, c.section) for c in answer.citations]


def test_answers_and_the_index_follow_a_map_loaded_while_the_coach_runs(setup):
    runtime, floor, new_map = setup
    coach = Coach.from_runtime(runtime)
    alice = floor.viewer(floor.alice)

    before = coach.ask(alice, "what should I do next on Globex?", now=NOW)
    assert before.plan.stage_key == "validate"
    assert VALIDATE_TIP in cited(before) and EVALUATE_TIP not in cited(before)  # Evaluate is no stage yet
    assert cited(before)[0][0] == "processes/process_small.yaml"

    load(runtime, new_map, "--move", "validate=evaluate")  # another process, as an admin would run it

    assert runtime.process.version == 2 and "evaluate" in runtime.process.stage_keys  # no reload called
    after = coach.ask(alice, "what should I do next on Globex?", now=NOW)
    assert after.plan.stage_key == "evaluate"
    assert "Evaluate" in after.text and "Validate" not in after.text
    assert EVALUATE_TIP in cited(after) and VALIDATE_TIP not in cited(after)
    assert cited(after)[0][0] == "processes/evaluate_map.yaml"
    # The index itself: the old map's chunks and the old stage's advice are gone, the new ones are there.
    hits = coach.retriever.search("paid pilot with three named success metrics", k=10, min_relevance=0)
    assert VALIDATE_TIP not in [(p.source, p.section) for p in hits]
    assert not [p for p in hits if p.source == "processes/process_small.yaml"]
    guide = coach.ask(alice, "how do I work the Evaluate stage?", now=NOW)
    assert guide.intent == "stage_guide" and EVALUATE_TIP in cited(guide)
    assert open_store(runtime.settings).built_for() == map_identity(runtime.process)


def test_a_map_loaded_before_start_is_indexed_on_first_use_without_stagecoach_index(setup):
    runtime, floor, new_map = setup
    Coach.from_runtime(runtime).ask(floor.viewer(floor.alice), "what should I do next on Globex?", now=NOW)
    close_stores()  # the worker stops
    load(runtime, new_map, "--move", "validate=evaluate")
    restarted = Runtime(runtime.settings, engine=runtime.engine, clock=runtime.clock)
    answer = Coach.from_runtime(restarted).ask(floor.viewer(floor.alice), "what should I do next on Globex?", now=NOW)
    assert answer.plan.stage_key == "evaluate"
    assert EVALUATE_TIP in cited(answer) and VALIDATE_TIP not in cited(answer)
