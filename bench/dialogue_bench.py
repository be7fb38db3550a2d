"""Dialogue bench: declines and redirects, multi-turn conversations, and writes asked for in words.

Usage: python bench/dialogue_bench.py [--part tune|held_out] [--misses] [--smoke]

Asks ``Coach.ask`` every item of the three blind sets of tests/coach/blind/ (tests/coach/dialogue.py
says how they are scored) on the coach tests' sales floor, offline. Prints, per set, accuracy and
(tuning part only) accuracy per label; for the held-out part only the aggregates: its items are never
printed, not even the misses. Aims (held out): declines and redirects >= 95%, conversation turns >= 95%,
write kind, deal and due date >= 98% with no message that is not news proposed as a write.
Exits non-zero, printing no figure, when an ask raises (a broken engine). ``--smoke`` is the small size
the test suite runs: the first few items of each tuning set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from tests.coach import dialogue  # noqa: E402

SMOKE_ITEMS = 4  # of each tuning set, in the smoke run
TITLES = {"declines": "declines and redirects", "conversations": "conversation turns",
          "writes": "write kind, deal and due date"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=dialogue.PARTS, default="tune")
    parser.add_argument("--misses", action="store_true", help="List every miss (tuning part only).")
    parser.add_argument("--smoke", action="store_true", help=f"the first {SMOKE_ITEMS} items of each tuning set")
    args = parser.parse_args()
    if args.smoke:
        args.part = "tune"
    held_out = args.part == "held_out"
    floors = dialogue.Floors()
    scores: dict[str, dialogue.Score] = {}
    started = time.perf_counter()
    try:
        for name in dialogue.SETS:
            items = dialogue.load(name, args.part)[:SMOKE_ITEMS if args.smoke else None]
            scores[name] = dialogue.SCORERS[name](floors, items)
    except Exception:  # a broken engine: no figure over a broken run
        traceback.print_exc()
        print("FAILED: an ask raised; no figures", file=sys.stderr)
        return 1
    finally:
        floors.close()
    print(f"part {args.part}{' (smoke)' if args.smoke else ''}: {time.perf_counter() - started:.0f} s")
    for name, score in scores.items():
        print(f"\n== {name}: {TITLES[name]}: {score.accuracy:.1%} ({score.right}/{score.total})")
        if name == "writes":
            print(f"not news proposed as a write: {score.not_news_proposed}")
        if held_out:
            continue
        for label, (right, total) in sorted(score.per_label.items()):
            print(f"  {label:<18} {right}/{total}")
        if args.misses:
            for text, expected, got in score.misses:
                print(f"  MISS [{expected}] {text!r}\n        -> {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
