"""The process map loader: typed objects from YAML, and errors that name file, line and field."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.config import DEFAULT_PROCESS_FILE
from knowledge.process_map import ProcessMapError, load_process_map, validate_text

GOOD = """\
name: Mini
version: 2
stages:
  - key: first
    name: First
    expected_days: 5
    probability: 0.2
    exit_criteria:
      - key: pain
        text: "Buyer described the pain"
    activities:
      - key: call
        text: "Ask about the pain"
        supports: [pain]
  - key: second
    name: Second
    exit_criteria:
      - key: budget
        text: "Buyer confirmed budget"
    activities:
      - key: ask_budget
        text: "Ask about budget"
        supports: [budget]
"""


def errors(text: str) -> list:
    process, issues = validate_text(text, "map.yaml")
    assert process is None
    return [i for i in issues if i.level == "error"]


def test_good_map_loads_typed_objects_with_defaults():
    process, issues = validate_text(GOOD, "map.yaml")
    assert issues == []
    assert process.name == "Mini" and process.version == 2
    assert process.stage_keys == ["first", "second"]
    assert process.stage("first").probability == 0.2
    assert process.stage("second").expected_days == 14  # the documented default
    assert process.next_stage("first").key == "second" and process.next_stage("second") is None
    assert [a.key for a in process.stage("first").activities_for("pain")] == ["call"]


def test_unknown_key_names_line_and_field():
    [issue] = errors(GOOD.replace("    expected_days: 5\n", "    expected_days: 5\n    colour: red\n"))
    assert (issue.file, issue.line, issue.field) == ("map.yaml", 7, "stages[0].colour")
    assert "unknown key" in issue.message


def test_supports_naming_no_criterion_is_an_error():
    [issue] = errors(GOOD.replace("supports: [pain]", "supports: [pain, budget]"))
    assert issue.field == "stages[0].activities[0].supports[1]"
    assert issue.line == 14
    assert "'budget' is not an exit criterion of stage 'first'" in issue.message


def test_duplicate_stage_key_and_duplicate_criterion_key():
    text = GOOD.replace("key: second", "key: first").replace("key: budget", "key: budget\n        text: x\n      - key: budget")
    found = {(i.field, i.line) for i in errors(text)}
    assert ("stages[1].key", 15) in found
    assert any(f == "stages[1].exit_criteria[1].key" for f, _ in found)


def test_probability_out_of_range_and_bad_types():
    found = {i.field: i.message for i in errors(GOOD.replace("probability: 0.2", "probability: 1.5").replace("version: 2", "version: two"))}
    assert "out of range" in found["stages[0].probability"]
    assert "whole number" in found["version"]


def test_empty_stage_list_and_stage_without_criteria():
    assert [i.field for i in errors("name: X\nversion: 1\nstages: []\n")] == ["stages"]
    text = GOOD.replace('    exit_criteria:\n      - key: budget\n        text: "Buyer confirmed budget"\n', "    exit_criteria: []\n")
    text = text.replace("        supports: [budget]\n", "")
    assert any(i.field == "stages[1].exit_criteria" and "at least one" in i.message for i in errors(text))


def test_reserved_stage_key_and_bad_slug():
    found = {i.field: i.message for i in errors(GOOD.replace("key: second", "key: won").replace("key: call", "key: Call Now"))}
    assert "reserved" in found["stages[1].key"]
    assert "slug" in found["stages[0].activities[0].key"]


def test_invalid_yaml_reports_its_line():
    [issue] = errors("name: X\nversion: 1\nstages:\n  - key: [unclosed\n")
    assert issue.field == "(yaml)" and issue.line >= 4


def test_warnings_for_seller_activity_criteria_and_unsupported_criteria():
    text = GOOD.replace('"Buyer confirmed budget"', '"Demo done"').replace("        supports: [budget]\n", "")
    process, issues = validate_text(text, "map.yaml")
    assert process is not None  # warnings do not block
    warnings = {i.field: i.message for i in issues if i.level == "warning"}
    assert "seller activity" in warnings["stages[1].exit_criteria[0].text"]
    assert "no activity supports" in warnings["stages[1].exit_criteria[0]"]


@pytest.mark.parametrize("phrase", ["Proposal sent", "Call scheduled", "Sent the quote", "We presented the roadmap"])
def test_seller_phrasings_are_flagged(phrase):
    _, issues = validate_text(GOOD.replace('"Buyer described the pain"', f'"{phrase}"'), "m.yaml")
    assert any("seller activity" in i.message for i in issues)


@pytest.mark.parametrize("phrase", ["Buyer booked a call with their CFO", "Champion shared the evaluation plan"])
def test_buyer_facts_are_not_flagged(phrase):
    _, issues = validate_text(GOOD.replace('"Buyer described the pain"', f'"{phrase}"'), "m.yaml")
    assert not any("seller activity" in i.message for i in issues)


def test_load_raises_with_every_error(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("probability: 0.2", "probability: -1").replace("supports: [budget]", "supports: [nope]"))
    with pytest.raises(ProcessMapError) as caught:
        load_process_map(bad)
    assert len(caught.value.issues) == 2
    assert all(str(bad) in str(i) for i in caught.value.issues)


def test_shipped_default_map_is_clean():
    process, issues = validate_text(DEFAULT_PROCESS_FILE.read_text(), str(DEFAULT_PROCESS_FILE))
    assert issues == []
    assert len(process.stages) >= 5
    for stage in process.stages:
        assert stage.exit_criteria and stage.activities


def test_cli_validate_exits_non_zero_and_names_the_place(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("probability: 0.2", "probability: 7"))
    result = CliRunner().invoke(main, ["process", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:7: error: stages[0].probability" in result.output


def test_cli_validate_accepts_a_good_map(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    result = CliRunner().invoke(main, ["process", "validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "valid — Mini v2, 2 stages" in result.output


def test_a_map_saved_in_latin_1_names_the_real_line_and_how_to_fix_it(tmp_path: Path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(GOOD.replace("Ask about budget", "Ask about the café's budget").encode("latin-1"))
    with pytest.raises(ProcessMapError) as caught:
        load_process_map(latin)
    [issue] = caught.value.issues
    assert (issue.line, issue.field) == (22, "(file)")  # the activity's text, not "line 1, byte 301"
    assert issue.message == (
        "not UTF-8 text: byte 0xe9 at line 22, column 33 is not UTF-8 (the file was probably saved as Latin-1 or "
        f"Windows-1252). Save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 {latin} > latin.utf8.yaml`, and use that file")
    fixed = tmp_path / "latin.utf8.yaml"
    fixed.write_text(latin.read_bytes().decode("latin-1"), encoding="utf-8")  # what iconv writes
    assert load_process_map(fixed).stage("second").activities[0].text == "Ask about the café's budget"


def test_cli_validate_names_the_line_of_a_latin_1_map(tmp_path: Path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(GOOD.replace("Buyer described the pain", "Buyer described the pain (señal)").encode("latin-1"))
    result = CliRunner().invoke(main, ["process", "validate", str(latin)])
    assert result.exit_code == 1
    assert f"{latin}:10: error: (file): not UTF-8 text: byte 0xf1 at line 10, column 44" in result.output


def test_a_map_saved_in_utf_16_is_named_so_and_after_a_utf_8_character_the_column_counts_characters(tmp_path: Path):
    wide = tmp_path / "wide.yaml"
    wide.write_text(GOOD, encoding="utf-16")
    [issue] = errors_of(wide)
    assert issue.message.startswith("not UTF-8 text: byte 0xff at line 1, column 1 is not UTF-8 (the file was saved "
                                    "as UTF-16). Save it as UTF-8, e.g. `iconv -f utf-16 -t utf-8 ")
    mixed = tmp_path / "mixed.yaml"
    mixed.write_bytes(GOOD.replace("Ask about budget", "Ask Zoë about the café").encode("utf-8").replace(
        "café".encode(), "café".encode("latin-1")))
    [issue] = errors_of(mixed)
    assert "byte 0xe9 at line 22, column 37 " in issue.message  # ë is two bytes but one character


def errors_of(path: Path) -> list:
    with pytest.raises(ProcessMapError) as caught:
        load_process_map(path)
    return caught.value.issues
