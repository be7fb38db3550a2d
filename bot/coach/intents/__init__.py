"""Every intent the coach knows: one module each, found by the ``INTENT`` it defines.

Adding an intent is adding a module here and its examples file beside it (``deal_plan.py`` and
``deal_plan.yaml``); the router learns its examples and the help answer lists it, with nothing
else to edit.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from functools import cache
from importlib import resources

import yaml

from bot.coach.intents.base import Intent


@cache
def all_intents() -> dict[str, Intent]:
    """Intents by name, in module order."""
    found: dict[str, Intent] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        intent = getattr(importlib.import_module(f"{__name__}.{module.name}"), "INTENT", None)
        if isinstance(intent, Intent):
            if intent.name in found:
                raise RuntimeError(f"two intents are named {intent.name!r}")
            found[intent.name] = dataclasses.replace(intent, examples=examples_beside(__name__, module.name))
    return found


def examples_beside(package: str, module: str) -> tuple[str, ...]:
    """The example phrasings in ``<module>.yaml`` beside the intent's module: ``examples:``, a list of strings.

    Raises:
        RuntimeError: the file is missing, is not YAML, or holds no list of phrasings.
    """
    name = f"{module}.yaml"
    try:
        data = yaml.load((resources.files(package) / name).read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise RuntimeError(f"the intent {package}.{module} needs its examples in {name} beside it: {exc}") from exc
    examples = data.get("examples") if isinstance(data, dict) else None
    if not examples or not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
        raise RuntimeError(f"{package}/{name}: 'examples:' must be a list of phrasings, none empty")
    return tuple(examples)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ten times faster
