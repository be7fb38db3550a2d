"""Every intent the coach knows: one module each, found by the ``INTENT`` it defines.

Adding an intent is adding a module here and its examples file beside it (``deal_plan.py`` and
``deal_plan.yaml``): the router learns its examples, the help answer lists it, the LLM agent is
offered its tool and Slack knows whether its answers may be shown in a channel, all from what the
module declares, with nothing else to edit.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from collections.abc import Iterator, Mapping
from functools import cache, cached_property
from importlib import resources

import yaml

from bot.coach.intents.base import DEAL_PLACEHOLDER, EXAMPLES_DEAL, Intent
from bot.coach.router import SHORTHAND, normalize

# The engine's own answers, outside any intent, that name nothing of anyone's deals: "there's nothing
# waiting for a yes or no" (bot/coach/engine.py). Every other answer the engine gives itself may name deals.
_PUBLIC_REPLIES = frozenset({"nothing_pending"})
_EXAMPLES_DEAL = re.compile(rf"\b{EXAMPLES_DEAL}\b", re.I)


class Intents(Mapping[str, Intent]):
    """The intents of some packages, by name, in module order, each with the examples of its YAML file."""

    def __init__(self, packages: tuple[str, ...], intents: Mapping[str, Intent]):
        self.packages = packages
        self._intents = dict(intents)

    def __getitem__(self, name: str) -> Intent:
        return self._intents[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._intents)

    def __len__(self) -> int:
        return len(self._intents)

    @cached_property
    def examples(self) -> dict[str, tuple[str, ...]]:
        """Each intent's example phrasings: what the router is trained on."""
        return {name: intent.examples for name, intent in self._intents.items()}

    @cached_property
    def example_words(self) -> frozenset[str]:
        """Every word of every example as the router reads it, and the shorthand it spells out ("rn", "fu"):
        words a question shares with them are not a deal's name."""
        words = {w for examples in self.examples.values() for e in examples for w in normalize(e).split()}
        return frozenset((words | SHORTHAND.keys()) - {DEAL_PLACEHOLDER})

    def shown_publicly(self, kind: str) -> bool:
        """Whether an answer of ``kind`` (``CoachAnswer.intent``) may be shown to everyone in a channel."""
        intent = self._intents.get(kind)
        return intent.public if intent is not None else kind in _PUBLIC_REPLIES


@cache
def all_intents() -> Intents:
    """The coach's intents: those of this package."""
    return intents_in(__name__)


def intents_in(*packages: str) -> Intents:
    """The intents of every module of ``packages`` that defines an ``INTENT``, by name, in module order.

    Raises:
        RuntimeError: two intents share a name, or an intent's examples file is missing or malformed.
    """
    found: dict[str, Intent] = {}
    for package in packages:
        for module in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__), key=lambda m: m.name):
            intent = getattr(importlib.import_module(f"{package}.{module.name}"), "INTENT", None)
            if isinstance(intent, Intent):
                if intent.name in found:
                    raise RuntimeError(f"two intents are named {intent.name!r}")
                found[intent.name] = dataclasses.replace(intent, examples=examples_beside(package, module.name))
    return Intents(packages, found)


def examples_beside(package: str, module: str) -> tuple[str, ...]:
    """The example phrasings in ``<module>.yaml`` beside the intent's module: ``examples:``, a list of strings,
    with the word the files write for a deal's name (``acme``) read as the router's placeholder.

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
    return tuple(_EXAMPLES_DEAL.sub(DEAL_PLACEHOLDER, e) for e in examples)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ten times faster
