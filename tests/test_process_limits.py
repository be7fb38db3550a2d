"""Loading a process map: a changed map needs its own version, --move names real stages, maps stay map-sized,
and ``process validate`` refuses exactly what ``process load`` refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from bot.cli import main
from bot.core.errors import InvalidInput
from bot.core.processes import activate
from knowledge.process_map import ProcessMapError
from storage.models import ProcessVersion
from tests.conftest import SMALL_PROCESS


def load(runtime, path: Path, **moves: str):
    with runtime.session() as s:
        return activate(session=s, path=path, moves=moves, now=runtime.now())


def versions(runtime) -> list[tuple[str, int, bool]]:
    with runtime.session() as s:
        return sorted((v.name, v.version, v.active) for v in s.exec(select(ProcessVersion)).all())


def stages_map(n: int, *, padding: int = 0) -> str:
    lines = ["name: Big", "version: 1", "stages:"]
    for i in range(n):
        lines += [f"  - key: s{i}", f"    name: Stage {i}", "    exit_criteria:",
                  f"      - key: c{i}", f"        text: \"Buyer confirmed point {i} {'x' * padding}\"",
                  "    activities:", f"      - key: a{i}", f"        text: \"Ask about point {i}\"",
                  f"        supports: [c{i}]"]
    return "\n".join(lines) + "\n"


def test_the_same_name_and_version_with_other_content_is_refused(runtime, tmp_path):
    runtime.process  # noqa: B018  (the small map, v1, is active)
    edited = tmp_path / "edited.yaml"
    edited.write_text(SMALL_PROCESS.read_text().replace("expected_days: 10", "expected_days: 12"))
    with pytest.raises(InvalidInput) as caught:
        load(runtime, edited)
    assert str(caught.value) == (f"{edited}: 'Test process' version 1 is already loaded with different content; "
                                 "give this map its own version (version: 2) to load it")
    assert versions(runtime) == [("Test process", 1, True)]
    # The same content again is fine, and so is the edit as version 2.
    load(runtime, SMALL_PROCESS)
    edited.write_text(edited.read_text().replace("version: 1", "version: 2"))
    assert load(runtime, edited)[0].version == 2
    assert versions(runtime) == [("Test process", 1, False), ("Test process", 2, True)]


def test_a_move_from_a_stage_nobody_has_is_refused(runtime, tmp_path):
    runtime.process  # noqa: B018
    v2 = tmp_path / "v2.yaml"
    v2.write_text(SMALL_PROCESS.read_text().replace("version: 1", "version: 2"))
    with pytest.raises(InvalidInput) as caught:
        load(runtime, v2, bogus="discover")
    assert str(caught.value) == (f"{v2}: not loaded\n--move bogus=discover: 'bogus' is not a stage of the active map "
                                 "(close, discover, validate) nor one that open deals are in")
    assert versions(runtime) == [("Test process", 1, True)]


def test_a_map_far_bigger_than_a_sales_process_is_refused(runtime, tmp_path):
    runtime.process  # noqa: B018
    many = tmp_path / "many.yaml"
    many.write_text(stages_map(51))
    with pytest.raises(ProcessMapError) as caught:
        load(runtime, many)
    assert str(caught.value) == (f"{many}:4: error: stages: 51 stages; a process map has at most 50 (a sales process "
                                 "has a handful: merge or drop some)")
    huge = tmp_path / "huge.yaml"
    huge.write_text(stages_map(3000, padding=1500))
    with pytest.raises(ProcessMapError) as caught:
        load(runtime, huge)
    assert str(caught.value) == (f"{huge}:1: error: (file): {huge.stat().st_size / 1024:,.0f} KB; a process map is at "
                                 "most 256 KB (a sales process has a handful of stages, each with a few criteria and "
                                 "activities)")
    assert versions(runtime) == [("Test process", 1, True)]
    fifty = tmp_path / "fifty.yaml"
    fifty.write_text(stages_map(50))
    assert len(load(runtime, fifty)[0].stages) == 50


@pytest.mark.parametrize("stages, padding", [(51, 0), (3000, 1500), (50, 0)], ids=["51 stages", "huge", "50 stages"])
def test_process_validate_and_process_load_give_the_same_verdict(runtime, tmp_path, stages, padding):
    runtime.process  # noqa: B018
    path = tmp_path / "map.yaml"
    path.write_text(stages_map(stages, padding=padding))
    env = {"STAGECOACH_DATABASE_URL": runtime.settings.database_url, "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
    validated = CliRunner().invoke(main, ["process", "validate", str(path)], env=env)
    loaded = CliRunner().invoke(main, ["process", "load", str(path)], env=env)
    assert validated.exit_code == loaded.exit_code == (0 if stages <= 50 and not padding else 1), (validated.output,
                                                                                                   loaded.output)
    if loaded.exit_code:
        [problem] = [line.removeprefix("Error: ") for line in loaded.output.splitlines() if str(path) in line]
        assert problem in validated.output.splitlines()  # the same finding, word for word
        assert versions(runtime) == [("Test process", 1, True)]
    else:
        assert "valid — Big v1, 50 stages" in validated.output and "(50 stages)" in loaded.output
