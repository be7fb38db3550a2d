"""The layers import downwards only.

- ``knowledge/`` and ``storage/`` never import the application (``bot/``).
- The surfaces (``bot/slack``, ``bot/cli``) never query: they call ``bot/service`` (or an engine), which owns
  the transaction. From ``storage`` they may import only the ``Viewer`` type (``storage.access``) and the time
  helpers (``storage.timeutil``), plus the exceptions named in ``SURFACE_EXCEPTIONS``.
- The engines and the service layer never import a surface.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Storage modules every surface may import: a type and pure time helpers, no query.
SURFACE_MAY_IMPORT = {"storage.access", "storage.timeutil"}
# File -> storage module it may import besides those, and why.
SURFACE_EXCEPTIONS = {
    # `stagecoach run` gives each forked HTTP worker its own engine (pooled connections must not cross a
    # fork; the parent has migrated already). It builds the process's wiring and runs no query.
    ("bot/cli/run.py", "storage.db"),
}
SURFACES = ("bot/slack", "bot/cli")
ENGINES = ("bot/coach", "bot/digest", "bot/pipeline", "bot/importer", "bot/sync", "bot/service", "bot/core")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top, in functions and under TYPE_CHECKING alike.

    ``from storage import deals`` counts as ``storage.deals``: the name may be a module.
    """
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _files(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("layer, forbidden", [("knowledge", ("bot",)), ("storage", ("bot", "knowledge"))])
def test_a_lower_layer_never_imports_a_higher_one(layer, forbidden):
    offenders = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _files(layer)
        for module in imported_modules(path)
        if module.split(".")[0] in forbidden
    }
    assert not offenders, sorted(offenders)


def storage_query_imports(path: Path) -> set[str]:
    """The storage modules ``path`` imports that hold queries (or sessions), less the allowed ones."""
    found = set()
    for module in imported_modules(path):
        parts = module.split(".")
        if parts[0] == "storage" and len(parts) > 1 and ".".join(parts[:2]) not in SURFACE_MAY_IMPORT:
            found.add(".".join(parts[:2]))
    return {m for m in found if (str(path.relative_to(ROOT)), m) not in SURFACE_EXCEPTIONS}


def test_the_surfaces_import_no_storage_query_module():
    offenders = sorted(f"{path.relative_to(ROOT)} imports {module}"
                       for path in _files(*SURFACES) for module in storage_query_imports(path))
    assert not offenders, offenders


def test_every_named_exception_is_still_needed():
    for file, module in SURFACE_EXCEPTIONS:
        assert module in imported_modules(ROOT / file), f"{file} no longer imports {module}: drop the exception"


def test_engines_and_the_service_layer_never_import_a_surface():
    surfaces = [folder.replace("/", ".") for folder in SURFACES]
    offenders = sorted({f"{path.relative_to(ROOT)} imports {surface}"
                        for path in _files(*ENGINES)
                        for module in imported_modules(path)
                        for surface in surfaces if _within(module, surface)})
    assert not offenders, offenders
