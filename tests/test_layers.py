"""The layers import downwards only: knowledge/ and storage/ never import the application (bot/)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top, in functions and under TYPE_CHECKING alike."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer, forbidden", [("knowledge", ("bot",)), ("storage", ("bot", "knowledge"))])
def test_a_lower_layer_never_imports_a_higher_one(layer, forbidden):
    offenders = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] in forbidden
    }
    assert not offenders, sorted(offenders)
