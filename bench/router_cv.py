"""Router cross-validation: how well the router's own examples teach it, without any held-out phrasing.

Usage: python bench/router_cv.py [--folds 5] [--extra FILE] [--score FILE] [--trigram-weight W] [--c C] [--smoke]

Splits every intent's examples into ``--folds`` parts (the same split on every run), trains the router
on all parts but one and routes the one left out, for each part in turn: the accuracy printed is over
every example, each routed by a router that never saw it. This is where the router's settings are
chosen; the held-out phrasing sets (bench/intent_bench.py) are only ever scored.

``--extra FILE`` (YAML: intent -> phrasings, the deal written as "acme") adds phrasings to every
fold's training, never to what is scored: whether a new author's phrasings teach the router something
the existing authors' phrasings then confirm. ``--score FILE`` routes a file of that shape with the
router trained on every example (before those phrasings become examples, they are an unseen test).
``--smoke`` is the small size the test suite runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.coach import router as routing  # noqa: E402
from bot.coach.intents import all_intents  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from knowledge.embeddings import LocalEmbeddings  # noqa: E402

SMOKE_EXAMPLES = 4  # per intent, in the smoke run


def load_phrasings(path: Path | None) -> dict[str, list[str]]:
    if path is None:
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(loaded) - set(all_intents())
    if unknown:
        raise SystemExit(f"{path}: no intent is called {', '.join(sorted(unknown))}")
    return {intent: [str(p) for p in phrasings] for intent, phrasings in loaded.items()}


class Vectors:
    """Every phrasing's embedding, computed once for all folds (the router reads normalized text)."""

    def __init__(self, model: str, texts: list[str]):
        embeddings = LocalEmbeddings(model)
        unique = sorted({routing.normalize(t) for t in texts})
        vectors = np.asarray(embeddings.embed_array(unique), dtype=np.float32)
        self._by_text = dict(zip(unique, vectors, strict=True))

    def documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._by_text[t] for t in texts])

    def query(self, text: str) -> np.ndarray:
        return self._by_text[text]


def train(examples: dict[str, list[str]], vectors: Vectors) -> routing.Router:
    return routing.Router(examples, vectors.documents, vectors.query)


def report(title: str, results: list[tuple[str, str, bool]]) -> None:
    """``results``: (expected, routed, confident) per phrasing."""
    right = sum(expected == got for expected, got, _ in results)
    confident = [(expected, got) for expected, got, sure in results if sure]
    confident_right = sum(expected == got for expected, got in confident)
    print(f"{title}: {right}/{len(results)} = {right / len(results):.1%} right; "
          f"confident on {len(confident) / len(results):.1%}, of which {confident_right / max(len(confident), 1):.1%} right")
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for expected, got, _ in results:
        per[expected][0] += expected == got
        per[expected][1] += 1
    print("  " + ", ".join(f"{intent} {r / n:.0%}" for intent, (r, n) in sorted(per.items())))
    confusions = Counter((expected, got) for expected, got, _ in results if expected != got)
    print("  most confused: " + ", ".join(f"{e}->{g} {n}" for (e, g), n in confusions.most_common(8)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--extra", type=Path, help="phrasings added to every fold's training only")
    parser.add_argument("--score", type=Path, help="phrasings to route with the router trained on every example")
    parser.add_argument("--trigram-weight", type=float, default=routing.TRIGRAM_WEIGHT)
    parser.add_argument("--c", type=float, default=routing.REGULARISATION_C)
    parser.add_argument("--smoke", action="store_true",
                        help="a small size for the test suite: two folds over a few examples of each intent")
    args = parser.parse_args()
    routing.TRIGRAM_WEIGHT, routing.REGULARISATION_C = args.trigram_weight, args.c

    examples = {name: list(intent.examples)[:SMOKE_EXAMPLES if args.smoke else None]
                for name, intent in all_intents().items()}
    if args.smoke:
        args.folds = 2
    extra, scored = load_phrasings(args.extra), load_phrasings(args.score)
    every = [p for ps in (*examples.values(), *extra.values(), *scored.values()) for p in ps]
    start = time.perf_counter()
    vectors = Vectors(Settings().local_embedding_model, every)
    print(f"{len(every)} phrasings embedded in {time.perf_counter() - start:.1f} s; "
          f"trigram weight {routing.TRIGRAM_WEIGHT}, C {routing.REGULARISATION_C}")

    results: list[tuple[str, str, bool]] = []
    for fold in range(args.folds):
        training = {intent: [p for i, p in enumerate(ps) if i % args.folds != fold] + extra.get(intent, [])
                    for intent, ps in examples.items()}
        router = train(training, vectors)
        for intent, ps in examples.items():
            for phrasing in ps[fold::args.folds]:
                route = router.route(phrasing)
                results.append((intent, route.intent, route.confident))
    report(f"{args.folds}-fold cross-validation over {len(results)} examples"
           + (f" (+{sum(map(len, extra.values()))} extra in training)" if extra else ""), results)

    if scored:
        router = train({intent: ps + extra.get(intent, []) for intent, ps in examples.items()}, vectors)
        results = []
        for intent, ps in scored.items():
            for phrasing in ps:
                route = router.route(phrasing)
                results.append((intent, route.intent, route.confident))
        report(f"{args.score.name}, routed by the router trained on every example", results)


if __name__ == "__main__":
    main()
