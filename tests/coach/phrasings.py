"""Scoring the router on labelled phrasings: used by the tests and the intent bench.

Four files by four authors; the first two in two parts each. tests/coach/phrasings.yaml: ``dev`` may be read while
tuning the router's examples and thresholds; ``held_out`` never is, and is only scored.
tests/coach/phrasings_blind.yaml, written later by an author who had seen neither the router's
examples nor the first file: ``blind_tune`` may be read, ``blind_held_out`` never is.
tests/coach/phrasings_blind3.yaml, by a third author who saw only a description of the coach, is all
held out: ``blind3_held_out``. tests/coach/phrasings_blind4.yaml, by a fourth author who saw only a
description of each intent and of the fixture, is all held out too: ``blind4_held_out``.
Each item names its intent and, where it names one, the deal (by external id) and the stage.

Held-out parts are reported as aggregates only (no per-intent figure, no confusion pair, no miss): a figure
that steers changes stops being a held-out figure. The fourth set's confusion counts once did steer a change
(bench/RESULTS.md), so its figure is reported on its own and never pooled with the others. Items that copy a
router example or tuning phrasing as the router reads them were dropped (tests/coach/drop_copies.py).

``frozen``: tests/coach/blind/singles.yaml, single questions by a fresh blind author, scored only when an
issue is resolved (``bench/intent_bench.py --part frozen``), its aggregate alone; never in the default run.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.coach.engine import Coach
from bot.coach.intents import all_intents
from bot.coach.intents.base import DEAL_PLACEHOLDER
from bot.coach.resolve import mask_deals
from bot.coach.router import normalize
from storage.access import Viewer
from storage.deals import DealSummary

PHRASINGS = Path(__file__).with_name("phrasings.yaml")
BLIND = Path(__file__).with_name("phrasings_blind.yaml")
BLIND3 = Path(__file__).with_name("phrasings_blind3.yaml")
BLIND4 = Path(__file__).with_name("phrasings_blind4.yaml")
TUNING_PARTS = ("dev", "blind_tune")  # may be read while improving the router
HELD_OUT_PARTS = ("held_out", "blind_held_out", "blind3_held_out", "blind4_held_out")  # only ever scored
FROZEN = Path(__file__).with_name("blind") / "singles.yaml"
FROZEN_PART = "frozen"  # scored only on request, when an issue is resolved
# What the router may answer instead of the labelled intent without being wrong: asking which of the
# two it meant is honest when a phrasing reads both ways.
CLARIFY = "clarify"
# A held-out item this close (RapidFuzz ratio) to a router example or tuning phrasing, both as the router
# reads them, is a near-copy: it tests recall of that phrasing, not understanding.
NEAR_COPY = 90
# The fixture's deals (tests/bot/coach_fixtures.py build_floor), for masking their names as the engine does.
FIXTURE_DEALS = [DealSummary(i, external_id, name, account, "", "open", 0, "")
                 for i, (external_id, name, account) in enumerate((
                     ("D-GLOBEX", "Globex platform rollout", "Globex Corporation"),
                     ("D-HOOLI", "Hooli analytics", "Hooli"),
                     ("D-INITECH", "Initech renewal", "Initech"),
                     ("D-UMBRELLA", "Umbrella expansion", "Umbrella Corp")))]


def load(part: str) -> list[dict]:
    if part == FROZEN_PART:
        if not FROZEN.exists():
            raise FileNotFoundError(f"{FROZEN} is not written yet: the frozen blind set comes from a new author")
        # Its author names deals by name, as people do; scoring compares external ids.
        ids = {deal.name: deal.external_id for deal in FIXTURE_DEALS}
        return [{**item, "deal": ids.get(item["deal"], item["deal"])} if "deal" in item else item
                for item in yaml.safe_load(FROZEN.read_text(encoding="utf-8"))["frozen"]]
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


def router_reading(text: str) -> str:
    """``text`` as the router reads it: every fixture deal's name masked by the placeholder, then normalized."""
    return normalize(mask_deals(text, FIXTURE_DEALS, DEAL_PLACEHOLDER))


def tuning_readings() -> list[str]:
    """What held-out items must not copy: the router's examples and the tuning parts, as the router reads them."""
    examples = [normalize(e) for intent in all_intents().values() for e in intent.examples]
    return sorted({*examples, *(router_reading(i["text"]) for part in TUNING_PARTS for i in load(part))})


def copies(items: list[dict], readings: list[str]) -> list[tuple[dict, float]]:
    """The items whose reading is within ``NEAR_COPY`` of one of ``readings`` (100: the same), with that score."""
    if not items:
        return []
    scores = process.cdist([router_reading(i["text"]) for i in items], readings, scorer=fuzz.ratio,
                           score_cutoff=NEAR_COPY, workers=1).max(axis=1)
    return [(item, float(best)) for item, best in zip(items, scores, strict=True) if best >= NEAR_COPY]
