"""Router cross-validation: how well the router's own examples teach it, without any held-out phrasing.

Usage: python bench/router_cv.py [--folds 5] [--extra FILE] [--score FILE] [--trigram-weight W] [--c C] [--smoke]

Splits the examples into folds, trains the router on all folds but one and routes the one left out, for each
fold in turn: the accuracy printed is over every example, each routed by a router that never saw it. This is
where the router's settings are chosen; the held-out phrasing sets (bench/intent_bench.py) are only ever scored.
Two splits are printed. By author (the figure to go by): each fold is one author's examples (the examples
files mark where each author's begin: "# Written by a third author"), so an author's near-paraphrases of one
another are never on both sides of a fold, which flatters the figure. Interleaved (the old split, kept for
comparison): every ``--folds``-th example of each intent, which puts one author's paraphrases on both sides.

``--extra FILE`` (YAML: intent -> phrasings, the deal written as "acme") adds phrasings to every
fold's training, never to what is scored: whether a new author's phrasings teach the router something
the existing authors' phrasings then confirm. ``--score FILE`` routes a file of that shape with the
router trained on every example (before those phrasings become examples, they are an unseen test).
``--smoke`` is the small size the test suite runs.
"""

from __future__ import annotations

import argparse
import re
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

SMOKE_EXAMPLES = 2  # per intent and author, in the smoke run
ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
_AUTHOR = re.compile(r"^\s*# Written by an? (\w+) author")
_EXAMPLE = re.compile(r"^\s*- ")


def authors(intent: str) -> list[str]:
    """Who wrote each of the intent's examples, in order: "first" until an examples file says another began."""
    path = ROOT / "bot" / "coach" / "intents" / f"{intent}.yaml"
    written, author = [], "first"
    for line in path.read_text(encoding="utf-8").splitlines():
        if found := _AUTHOR.match(line):
            author = found.group(1)
        elif _EXAMPLE.match(line):
            written.append(author)
    if len(written) != len(all_intents()[intent].examples):
        raise SystemExit(f"{path}: an example spans several lines; its author can't be read line by line")
    return written


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


def cross_validate(examples: dict[str, list[str]], folds: dict[str, list[int]], extra: dict[str, list[str]],
                   vectors: Vectors) -> list[tuple[str, str, bool]]:
    """Each example routed by a router trained on every fold but its own (``folds``: each example's fold)."""
    results: list[tuple[str, str, bool]] = []
    for fold in sorted({f for fs in folds.values() for f in fs}):
        training = {intent: [p for p, f in zip(ps, folds[intent], strict=True) if f != fold] + extra.get(intent, [])
                    for intent, ps in examples.items()}
        router = train(training, vectors)
        for intent, ps in examples.items():
            for phrasing, f in zip(ps, folds[intent], strict=True):
                if f == fold:
                    route = router.route(phrasing)
                    results.append((intent, route.intent, route.confident))
    return results


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

    written = {name: authors(name) for name in all_intents()}
    examples = {name: list(intent.examples) for name, intent in all_intents().items()}
    if args.smoke:  # a few of each author's, so that every author still makes a fold
        args.folds = 2
        for name in examples:
            picked = [i for i, a in enumerate(written[name]) if written[name][:i].count(a) < SMOKE_EXAMPLES]
            examples[name] = [examples[name][i] for i in picked]
            written[name] = [written[name][i] for i in picked]
    extra, scored = load_phrasings(args.extra), load_phrasings(args.score)
    every = [p for ps in (*examples.values(), *extra.values(), *scored.values()) for p in ps]
    start = time.perf_counter()
    vectors = Vectors(Settings().local_embedding_model, every)
    print(f"{len(every)} phrasings embedded in {time.perf_counter() - start:.1f} s; "
          f"trigram weight {routing.TRIGRAM_WEIGHT}, C {routing.REGULARISATION_C}")

    added = f" (+{sum(map(len, extra.values()))} extra in training)" if extra else ""
    by_author = sorted({a for names in written.values() for a in names}, key=ORDINALS.index)
    folds = {name: [by_author.index(a) for a in written[name]] for name in examples}
    report(f"by author: {len(by_author)}-fold cross-validation, one author's examples per fold, over "
           f"{sum(map(len, examples.values()))} examples{added}", cross_validate(examples, folds, extra, vectors))
    interleaved = {name: [i % args.folds for i in range(len(ps))] for name, ps in examples.items()}
    report(f"interleaved (the old split): {args.folds}-fold cross-validation over "
           f"{sum(map(len, examples.values()))} examples{added}", cross_validate(examples, interleaved, extra, vectors))

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
