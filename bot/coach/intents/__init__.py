"""Every intent the coach knows: one module each, found by the ``INTENT`` it defines.

Adding an intent is adding a module here; the router learns its examples and the
help answer lists it, with nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

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
            found[intent.name] = intent
    return found
