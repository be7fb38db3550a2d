"""Loading a process map: a changed map needs its own version, --move names real stages, maps stay map-sized."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.core.errors import InvalidInput
from bot.core.processes import activate
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
    with pytest.raises(InvalidInput) as caught:
        load(runtime, many)
    assert str(caught.value) == (f"{many}: 51 stages; a process map has at most 50 (a sales process has a handful: "
                                 "merge or drop some)")
    huge = tmp_path / "huge.yaml"
    huge.write_text(stages_map(3000, padding=1500))
    with pytest.raises(InvalidInput) as caught:
        load(runtime, huge)
    assert str(caught.value) == (f"{huge}: {huge.stat().st_size / 1024:,.0f} KB; a process map is at most 256 KB "
                                 "(a sales process has a handful of stages, each with a few criteria and activities)")
    fifty = tmp_path / "fifty.yaml"
    fifty.write_text(stages_map(50))
    assert len(load(runtime, fifty)[0].stages) == 50
