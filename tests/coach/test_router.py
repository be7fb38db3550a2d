"""The router on its own: blending, confidence, and the example vectors kept between processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.coach.router import MIN_MARGIN, Router, normalize

EXAMPLES = {"deal_plan": ["what should i do next on acme", "next steps for acme"],
            "focus": ["where do i start today", "which deal should i focus on"]}


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A stand-in embedding (the real one is the local model): word counts hashed into 64 dimensions."""
    rows = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.split():
            rows[i, sum(map(ord, word)) % 64] += 1
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def test_shorthand_is_spelled_out_before_comparing():
    assert normalize("Whats next on the OPP tmrw, pls?") == "what is next on the deal tomorrow please"


def test_a_contraction_reads_the_same_with_or_without_its_apostrophe():
    for typed, bare in (("what's", "whats"), ("who’s", "whos"), ("don't", "dont"), ("i'm", "im")):
        assert normalize(f"{typed} up with it") == normalize(f"{bare} up with it"), typed
    assert normalize("globex's buyer") == "globex's buyer"  # a possessive is not a contraction


def test_typos_still_find_their_intent_and_confidence_reports_a_tie():
    router = Router(EXAMPLES, bag_of_words)
    route = router.route("wat shud i do nxt on acme")
    assert route.intent == "deal_plan" and route.runner_up == "focus" and route.margin > MIN_MARGIN
    tie = Router({"a": ["same words"], "b": ["same words"]}, None).route("same words")
    assert tie.margin == 0 and not tie.confident


def test_example_vectors_are_computed_once_per_model_and_examples(tmp_path):
    calls: list[int] = []

    def counting(texts: list[str]) -> np.ndarray:
        if len(texts) > 1:  # the examples, not a question
            calls.append(len(texts))
        return bag_of_words(texts)

    first = Router(EXAMPLES, counting, cache_dir=tmp_path, model="m")
    again = Router(EXAMPLES, counting, cache_dir=tmp_path, model="m")
    assert calls == [4]  # the second router read the vectors from disk
    assert again.route("where do i start").intent == first.route("where do i start").intent == "focus"
    Router(EXAMPLES, counting, cache_dir=tmp_path, model="other")
    Router({**EXAMPLES, "help": ["what can you do"]}, counting, cache_dir=tmp_path, model="m")
    assert calls == [4, 4, 5]  # another model or other examples: embedded afresh
    assert not list(tmp_path.glob("*.tmp"))
    assert len(list(tmp_path.glob("router-fit-*.npz"))) == 3  # a classifier per model and examples


def test_the_trained_classifier_is_kept_per_examples_and_labels(tmp_path):
    Router(EXAMPLES, bag_of_words, cache_dir=tmp_path, model="m")
    (saved,) = tmp_path.glob("router-fit-*.npz")
    written = saved.stat().st_mtime_ns
    again = Router(EXAMPLES, bag_of_words, cache_dir=tmp_path, model="m")
    assert saved.stat().st_mtime_ns == written and len(list(tmp_path.glob("router-fit-*.npz"))) == 1
    assert again.route("where do i start").intent == "focus"
    relabelled = {"deal_plan": EXAMPLES["focus"], "focus": EXAMPLES["deal_plan"]}  # same texts, other labels
    assert Router(relabelled, bag_of_words, cache_dir=tmp_path, model="m").route("where do i start").intent == "deal_plan"
    assert len(list(tmp_path.glob("router-fit-*.npz"))) == 2


def test_training_features_are_the_embedding_and_the_weighted_trigrams_side_by_side():
    from scipy.sparse import csr_matrix, hstack

    from bot.coach.router import TRIGRAM_WEIGHT

    examples = {**EXAMPLES, "help": ["what can you do", "help"]}
    router = Router(examples, bag_of_words)
    built = router._training_features()
    expected = hstack([csr_matrix(router._embeddings), router._trigrams.matrix * TRIGRAM_WEIGHT]).toarray()
    assert built.shape == expected.shape == (6, 64 + router._trigrams.matrix.shape[1])
    assert np.array_equal(built.toarray(), expected)


def test_a_router_read_from_the_cache_routes_as_the_one_that_built_it_without_scipy(tmp_path):
    built = Router(EXAMPLES, bag_of_words, cache_dir=tmp_path, model="m")
    assert len(list(tmp_path.glob("router-trigrams-*.npz"))) == 1
    questions = ["wat shud i do nxt on acme", "where do i start", "tell me a joke", "focus"]
    # In a fresh interpreter, as a one-shot ask starts: same routes and closeness, and SciPy never loaded.
    script = (
        "import json, sys\n"
        "from tests.coach.test_router import EXAMPLES, bag_of_words\n"
        "from bot.coach.router import Router\n"
        f"router = Router(EXAMPLES, bag_of_words, cache_dir=__import__('pathlib').Path({str(tmp_path)!r}), model='m')\n"
        f"routes = [router.route(q) for q in {questions!r}]\n"
        "print(json.dumps([[r.intent, r.score, r.closeness] for r in routes]))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'sklearn'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 0, done.stderr
    routes, heavy = (json.loads(line) for line in done.stdout.splitlines()[-2:])
    assert heavy == []
    for question, (intent, score, closeness) in zip(questions, routes, strict=True):
        expected = built.route(question)
        assert intent == expected.intent
        assert abs(score - expected.score) < 1e-6 and abs(closeness - expected.closeness) < 1e-6


def test_the_trigram_cache_is_kept_per_examples(tmp_path):
    Router(EXAMPLES, bag_of_words, cache_dir=tmp_path, model="m")
    Router(EXAMPLES, bag_of_words, cache_dir=tmp_path, model="other")  # the trigrams depend on the texts alone
    assert len(list(tmp_path.glob("router-trigrams-*.npz"))) == 1
    Router({**EXAMPLES, "help": ["what can you do"]}, bag_of_words, cache_dir=tmp_path, model="m")
    assert len(list(tmp_path.glob("router-trigrams-*.npz"))) == 2
