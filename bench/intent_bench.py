"""Intent bench: how well the coach understands questions typed the way people type them.

Usage: python bench/intent_bench.py [--part dev|blind_tune|held_out|blind_held_out|blind3_held_out|blind4_held_out|all|frozen] [--smoke]

Scores ``Coach.understand`` on the labelled phrasings of tests/coach/ (phrasings.py says which
parts may be read while tuning; the held-out ones are never used as router examples or for tuning) on the coach tests' sales floor (a rep and a
manager, four deals, the small process map) in a temp SQLite database, offline.
Prints accuracy, deal and stage slot accuracy, and routing latency: the router alone (the question's
embedding included), the router given that embedding (what routing adds to an ask, whose retrieval reuses
the embedding), and all of ``understand`` (deal resolution included). Per intent and the confusion pairs
only for the tuning parts: a held-out part is reported as its aggregate alone, each set on its own (never
pooled). ``--part all`` is the tuning and held-out parts; the frozen blind set is scored only by
``--part frozen``, when an issue is resolved. Aims: each held-out set >= 95%, routing p50 <= 10 ms.
``--smoke`` is the small size the test suite runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bot.coach.engine import Coach  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.runtime import Runtime  # noqa: E402
from knowledge.embeddings import forget_queries  # noqa: E402
from tests.bot.coach_fixtures import build_floor  # noqa: E402
from tests.coach import phrasings  # noqa: E402
from tests.conftest import SMALL_PROCESS  # noqa: E402

SMOKE_PHRASINGS = 20  # of the dev part, in the smoke run


def ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def print_per_intent(per_intent: dict[str, list[int]]) -> None:
    for intent in sorted(per_intent):
        right, total = per_intent[intent]
        flag = "" if right / total >= 0.9 else "   <- under 90%"
        print(f"  {intent:<14} {right / total:6.1%} ({right}/{total}){flag}")


def report(name: str, result: phrasings.Score, router_seconds: list[float], classifier_seconds: list[float]) -> None:
    print(f"\n== {name}: {result.total} phrasings ==")
    print(f"intent accuracy: {result.accuracy:.1%} ({result.right}/{result.total}); "
          f"{result.clarified} of the misses asked a clarifying question instead of answering")
    if name in phrasings.TUNING_PARTS:  # a held-out or frozen part: its aggregate alone, which can't steer a change
        print_per_intent(result.per_intent)
        if result.confusions:
            print("confusions (expected -> got: count):")
            for (expected, got), count in result.confusions.most_common():
                print(f"  {expected} -> {got}: {count}")
    print(f"deal named: {result.deal_right}/{result.deal_total} right (hidden deals must stay unmatched); "
          f"stage named: {result.stage_right}/{result.stage_total}")
    print(f"latency, router alone: p50 {statistics.median(router_seconds) * 1000:.1f} ms, "
          f"p95 {ms(router_seconds, 0.95):.1f} ms; router given the question's embedding: "
          f"p50 {statistics.median(classifier_seconds) * 1000:.1f} ms; understand (deal resolution included): "
          f"p50 {statistics.median(result.seconds) * 1000:.1f} ms, p95 {ms(result.seconds, 0.95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parts = [*phrasings.TUNING_PARTS, *phrasings.HELD_OUT_PARTS]
    parser.add_argument("--part", choices=[*parts, "all", phrasings.FROZEN_PART], default="all",
                        help="all: the tuning and held-out parts; frozen only when named")
    parser.add_argument("--misses", action="store_true", help="List every misrouted phrasing (tuning parts only).")
    parser.add_argument("--smoke", action="store_true",
                        help=f"a small size for the test suite: the first {SMOKE_PHRASINGS} phrasings of the dev part")
    args = parser.parse_args()
    if args.smoke:
        args.part = "dev"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db", process_file=SMALL_PROCESS)
        runtime = Runtime(settings)
        floor = build_floor(runtime)
        coach = Coach(runtime)
        started = time.perf_counter()
        coach.router  # noqa: B018  (model load and example embedding, timed apart)
        print(f"router ready in {time.perf_counter() - started:.1f} s "
              f"({len(coach.router.labels)} examples, {len(coach.router.intents)} intents)")
        viewers = {"rep": floor.viewer(floor.alice), "manager": floor.viewer(floor.manager)}
        deal_ids = {d.id: d.external_id for d in (floor.globex, floor.initech, floor.umbrella, floor.hooli)}
        for part in parts if args.part == "all" else [args.part]:
            items = phrasings.load(part)[:SMOKE_PHRASINGS if args.smoke else None]
            forget_queries()  # every question embedded afresh, as a new question would be
            router_seconds, classifier_seconds = [], []
            for seconds in (router_seconds, classifier_seconds):  # the second time, every embedding is cached
                for item in items:
                    started = time.perf_counter()
                    coach.router.route(item["text"])
                    seconds.append(time.perf_counter() - started)
            forget_queries()
            with runtime.session() as session:
                result = phrasings.score(coach, session, viewers, items, deal_ids)
            report(part, result, router_seconds, classifier_seconds)
            if args.misses and part in phrasings.TUNING_PARTS:
                for text, expected, got in result.misses:
                    print(f"  miss: {text!r}: {expected} -> {got}")
        print(f"\npeak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
