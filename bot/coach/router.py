"""Which intent a question asks for: nearest examples, by meaning and by spelling.

Each intent brings example phrasings. A question is compared with every example
twice: by sentence embedding (the local model retrieval already loads; it knows
that "where do I start today" and "what should I prioritise" mean the same) and by
character trigrams (they forgive "wich", "shud" and "folow-up", which the model
reads poorly). An intent scores the mean of its three nearest examples under a weighted blend of the two.

The router reports how sure it is: the best score and the margin over the best
other intent. The engine asks a short question instead of guessing when either
is low, so a question the coach does not understand never gets a confident
answer to another question.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Blend and thresholds chosen on the dev phrasings (tests/coach/phrasings.yaml, ``dev``), never on held-out ones.
# Measured leave-one-out over the router's own examples (each routed by all the others), 216 examples at the time:
# right 75% of the time with the best example alone at weight 0.7, 80% with the
# mean of the nearest three.
EMBEDDING_WEIGHT = 0.7
NEAREST = 3
MIN_SCORE = 0.35  # under this the router is unsure: the coach asks which of the nearest two was meant
NOTHING_CLOSE = 0.25  # under this no phrasing is alike at all: the question is taken as outside selling
MIN_MARGIN = 0.02  # under this two intents are equally likely: ask which
TRIGRAM = 3

# Shorthand reps type, spelled out so both the model and the trigrams read it.
_SHORTHAND = {
    "fu": "follow-up", "fus": "follow-ups", "f/u": "follow-up", "opp": "deal", "opps": "deals", "oppty": "deal",
    "tmrw": "tomorrow", "tmr": "tomorrow", "2day": "today", "pls": "please", "plz": "please", "rn": "right now",
    "u": "you", "r": "are", "ur": "your", "wat": "what", "wht": "what", "whats": "what is", "hows": "how is",
    "im": "i am", "w/": "with", "abt": "about", "mtg": "meeting", "q": "quarter", "qtd": "this quarter",
    "mtd": "this month", "pipe": "pipeline", "disco": "discovery", "eod": "end of day", "thx": "thanks",
}
_TOKEN = re.compile(r"[a-z0-9/][a-z0-9'/-]*")

Embed = Callable[[list[str]], np.ndarray]


def normalize(text: str) -> str:
    """Lowercase words with shorthand spelled out; punctuation dropped."""
    words = [_SHORTHAND.get(word, word) for word in _TOKEN.findall(text.lower().replace("’", "'"))]
    return " ".join(words)


@dataclass(frozen=True)
class Route:
    """The router's reading: the intent, how sure it is, and the runner-up."""

    intent: str
    score: float
    runner_up: str | None
    runner_up_score: float

    @property
    def margin(self) -> float:
        return self.score - self.runner_up_score

    @property
    def confident(self) -> bool:
        return self.score >= MIN_SCORE and self.margin >= MIN_MARGIN


class _Trigrams:
    """Character-trigram TF-IDF vectors over the examples' vocabulary, unit length."""

    def __init__(self, texts: Sequence[str]):
        grams = [self._grams(t) for t in texts]
        vocabulary = sorted({g for gs in grams for g in gs})
        self.index = {g: i for i, g in enumerate(vocabulary)}
        counts = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
        for row, gs in enumerate(grams):
            for g in gs:
                counts[row, self.index[g]] += 1
        document_frequency = (counts > 0).sum(axis=0)
        self.idf = np.log((1 + len(texts)) / (1 + document_frequency)).astype(np.float32) + 1
        self.matrix = self._unit(counts * self.idf)

    @staticmethod
    def _grams(text: str) -> list[str]:
        padded = f" {text} "
        return [padded[i:i + TRIGRAM] for i in range(len(padded) - TRIGRAM + 1)]

    @staticmethod
    def _unit(vectors: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def vector(self, text: str) -> np.ndarray:
        vector = np.zeros(len(self.index), dtype=np.float32)
        for g in self._grams(text):
            i = self.index.get(g)
            if i is not None:
                vector[i] += 1
        return self._unit(vector * self.idf)


class Router:
    """Nearest-example intent classification.

    Args:
        examples: each intent's example phrasings.
        embed: texts → unit-length embedding rows; None routes by trigrams alone.
        embed_question: one text → its unit-length embedding (a cached one, when the model offers it).
        cache_dir: where the examples' vectors are kept between processes (keyed by model and
            examples), so a one-shot ``stagecoach ask`` neither waits for them nor holds the
            memory that embedding hundreds of phrasings at once takes.
        model: the embedding model's name, part of the cache key.
    """

    def __init__(self, examples: Mapping[str, Sequence[str]], embed: Embed | None,
                 embed_question: Callable[[str], np.ndarray] | None = None, *, cache_dir: Path | None = None,
                 model: str = ""):
        self.labels: list[str] = []
        texts: list[str] = []
        for intent, phrasings in examples.items():
            for phrasing in phrasings:
                self.labels.append(intent)
                texts.append(normalize(phrasing))
        self.intents = sorted(set(self.labels))
        labels = np.array(self.labels)
        self._rows = [np.flatnonzero(labels == intent) for intent in self.intents]
        self._embed_question = (embed_question or (lambda text: embed([text])[0])) if embed else None
        self._trigrams = _Trigrams(texts)
        self._embeddings = None
        if embed is not None:
            self._embeddings = _cached(texts, model, embed, cache_dir) if cache_dir else embed(texts)

    def route(self, question: str) -> Route:
        scores = self.scores(question)
        order = np.argsort(-scores)
        best, second = int(order[0]), int(order[1]) if len(order) > 1 else None
        return Route(self.intents[best], float(scores[best]),
                     self.intents[second] if second is not None else None,
                     float(scores[second]) if second is not None else 0.0)

    def scores(self, question: str) -> np.ndarray:
        """Each intent's score (in ``self.intents`` order), from its examples' blended similarity."""
        text = normalize(question)
        similarity = self._trigrams.matrix @ self._trigrams.vector(text)
        if self._embeddings is not None and self._embed_question is not None:
            meaning = self._embeddings @ self._embed_question(text)
            similarity = EMBEDDING_WEIGHT * meaning + (1 - EMBEDDING_WEIGHT) * similarity
        # An intent scores the mean of its NEAREST nearest examples: one look-alike example of the wrong
        # intent then outweighs less than it would as the maximum.
        return np.array([np.sort(similarity[rows])[-NEAREST:].mean() for rows in self._rows], dtype=np.float32)


def _cached(texts: list[str], model: str, embed: Embed, cache_dir: Path) -> np.ndarray:
    key = hashlib.sha256("\n".join([model, *texts]).encode()).hexdigest()[:20]
    path = cache_dir / f"router-{key}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    except (OSError, ValueError):
        pass  # absent or unreadable: embed again
    vectors = np.asarray(embed(texts), dtype=np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with open(partial, "wb") as out:
        np.save(out, vectors)
    os.replace(partial, path)  # whole or not at all, whichever process writes last
    return vectors


_ROUTERS: dict[str, Router] = {}
_LOCK = threading.Lock()


def shared_router(key: str, build: Callable[[], Router]) -> Router:
    """One router per process and model: embedding every example takes a second or two."""
    with _LOCK:
        if key not in _ROUTERS:
            _ROUTERS[key] = build()
        return _ROUTERS[key]
