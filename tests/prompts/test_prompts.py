"""Every prompt renders, and every place that renders one passes exactly the variables it uses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from prompts import load_prompt, prompt_names, render_prompt

ROOT = Path(__file__).resolve().parents[2]


def _render_calls() -> list[tuple[str, str, set[str]]]:
    """(where, prompt name, keyword names) of every ``render_prompt("name", ...)`` call in the application."""
    calls = []
    for path in sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "knowledge").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "render_prompt"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                calls.append((where, node.args[0].value, {k.arg for k in node.keywords if k.arg}))
    return calls


CALLS = _render_calls()


def test_the_application_renders_prompts():
    assert {name for _, name, _ in CALLS} == set(prompt_names())  # no template unused, none missing


@pytest.mark.parametrize(("where", "name", "passed"), CALLS, ids=[where for where, _, _ in CALLS])
def test_each_call_passes_exactly_the_templates_variables(where, name, passed):
    assert passed == set(load_prompt(name).get_identifiers()), where


@pytest.mark.parametrize("name", prompt_names())
def test_each_prompt_renders_and_refuses_a_missing_variable(name):
    variables = {v: f"<{v}>" for v in load_prompt(name).get_identifiers()}
    text = render_prompt(name, **variables)
    assert all(f"<{v}>" in text for v in variables)
    if variables:
        with pytest.raises(KeyError):
            render_prompt(name, **dict(list(variables.items())[1:]))
