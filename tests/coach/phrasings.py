"""Scoring the router on labelled phrasings: used by the tests and the intent bench.

Four files by four authors; the first two in two parts each. tests/coach/phrasings.yaml: ``dev`` may be read while
tuning the router's examples and thresholds; ``held_out`` never is, and is only scored.
tests/coach/phrasings_blind.yaml, written later by an author who had seen neither the router's
examples nor the first file: ``blind_tune`` may be read, ``blind_held_out`` never is.
tests/coach/phrasings_blind3.yaml, by a third author who saw only a description of the coach, is all
held out: ``blind3_held_out``. tests/coach/phrasings_blind4.yaml, by a fourth author who saw only a
description of each intent and of the fixture, is all held out too: ``blind4_held_out``.
Each item names its intent and, where it names one, the deal (by external id) and the stage.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.coach.engine import Coach
from storage.access import Viewer

PHRASINGS = Path(__file__).with_name("phrasings.yaml")
BLIND = Path(__file__).with_name("phrasings_blind.yaml")
BLIND3 = Path(__file__).with_name("phrasings_blind3.yaml")
BLIND4 = Path(__file__).with_name("phrasings_blind4.yaml")
TUNING_PARTS = ("dev", "blind_tune")  # may be read while improving the router
HELD_OUT_PARTS = ("held_out", "blind_held_out", "blind3_held_out", "blind4_held_out")  # only ever scored
# What the router may answer instead of the labelled intent without being wrong: asking which of the
# two it meant is honest when a phrasing reads both ways.
CLARIFY = "clarify"


def load(part: str) -> list[dict]:
    if part.startswith("blind4_"):
        return yaml.safe_load(BLIND4.read_text(encoding="utf-8"))[part.removeprefix("blind4_")]
    if part.startswith("blind3_"):
        return yaml.safe_load(BLIND3.read_text(encoding="utf-8"))[part.removeprefix("blind3_")]
    if part.startswith("blind_"):
        return yaml.safe_load(BLIND.read_text(encoding="utf-8"))[part.removeprefix("blind_")]
    return yaml.safe_load(PHRASINGS.read_text(encoding="utf-8"))[part]


@dataclass
class Score:
    """Accuracy of one part: per intent, the confusions, deal and stage slots, routing time."""

    total: int = 0
    right: int = 0
    clarified: int = 0
    per_intent: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # [right, total]
    confusions: Counter = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (text, expected, got)
    deal_right: int = 0
    deal_total: int = 0
    stage_right: int = 0
    stage_total: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    def intent_accuracy(self, intent: str) -> float:
        right, total = self.per_intent[intent]
        return right / total if total else 0.0


def score(coach: Coach, session, viewers: dict[str, Viewer], items: list[dict],
          deal_ids: dict[int, str]) -> Score:
    """Run ``understand`` on every item as its role's viewer; ``deal_ids`` maps deal ids to external ids."""
    result = Score()
    for item in items:
        viewer = viewers[item["role"]]
        start = time.perf_counter()
        understood = coach.understand(session, viewer, item["text"])
        result.seconds.append(time.perf_counter() - start)
        got = understood.intent
        if understood.unsure:
            got = CLARIFY
        expected = item["intent"]
        result.total += 1
        result.per_intent[expected][1] += 1
        if got == expected:
            result.right += 1
            result.per_intent[expected][0] += 1
        else:
            result.clarified += got == CLARIFY
            result.confusions[(expected, got)] += 1
            result.misses.append((item["text"], expected, got))
        if "deal" in item:
            result.deal_total += 1
            named = [deal_ids[d.id] for d in understood.deals]
            # A deal the asker may not see must not be matched: the reply then says it can't find it.
            visible = item["deal"] in set(deal_ids.values()) and _visible(item, viewer)
            result.deal_right += (named == [item["deal"]]) if visible else (not named and bool(understood.mentioned))
        if "stage" in item:
            result.stage_total += 1
            result.stage_right += bool(understood.stage and understood.stage.key == item["stage"])
    return result


def _visible(item: dict, viewer: Viewer) -> bool:
    owners = {"D-GLOBEX": "Alice Rep", "D-HOOLI": "Alice Rep", "D-INITECH": "Bob Rep", "D-UMBRELLA": "Carol Rep"}
    if item["role"] == "manager":
        return owners.get(item["deal"]) in ("Alice Rep", "Bob Rep")
    return owners.get(item["deal"]) == viewer.name
