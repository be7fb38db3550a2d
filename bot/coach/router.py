"""Which intent a question asks for: a classifier trained on each intent's example phrasings.

A question is read twice: by sentence embedding (the local model retrieval already
loads; it knows that "where do I start today" and "what should I prioritise" mean
the same) and by character trigrams (they forgive "wich", "shud" and "folow-up",
which the model reads poorly). A logistic regression over both, trained on the
examples, gives each intent a probability. It generalises better than comparing
with the nearest examples (when it replaced them, over the first 890 examples,
5-fold cross-validation put it at 95.3% against 84.4% for the mean of the three
nearest); over 3,754 examples, cross-validation with one author's examples per fold
(bench/router_cv.py, 2026-12-07) puts it at 96.5% (97.0% with the old interleaved folds).

The router reports how sure it is: the best probability and the margin over the
best other intent; and how close the question comes to any example of that intent
at all. The engine asks a short question instead of guessing when it is unsure,
and reads a question like no example as outside selling, so a question the coach
does not understand never gets a confident answer to another question.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

# Chosen by 5-fold cross-validation over the router's own examples, never on held-out phrasings, when there
# were 890 of them: trigram features weigh 0.7 against the embedding's 1 (1.0: 95.1%, 1.4: 94.4%); C=100
# (10: 95.1%, 1000: 95.3%). ``bench/router_cv.py --trigram-weight W --c C`` measures them again.
TRIGRAM_WEIGHT = 0.7
REGULARISATION_C = 100.0
# Out of fold over those 890, answers with a margin under 0.1 were right 57% of the time, and with a best
# probability under 0.3 half the time: there asking which was meant beats guessing. Over 3,742 examples
# (2026-12-07), the router was sure of 98.6% of its out-of-fold answers, 97.7% of those right.
MIN_PROBABILITY = 0.3
MIN_MARGIN = 0.1
# Closeness: the blended similarity of the question to the three nearest examples of the intent chosen.
EMBEDDING_WEIGHT = 0.7
NEAREST = 3
NOTHING_CLOSE = 0.25  # under this no phrasing is alike at all: the question is taken as outside selling
TRIGRAM = 3

# Shorthand reps type, spelled out so both the model and the trigrams read it.
SHORTHAND = {
    "fu": "follow-up", "fus": "follow-ups", "f/u": "follow-up", "opp": "deal", "opps": "deals", "oppty": "deal",
    "tmrw": "tomorrow", "tmr": "tomorrow", "2day": "today", "pls": "please", "plz": "please", "rn": "right now",
    "u": "you", "r": "are", "ur": "your", "wat": "what", "wht": "what", "whats": "what is", "hows": "how is",
    "im": "i am", "w/": "with", "abt": "about", "mtg": "meeting", "q": "quarter", "qtd": "this quarter",
    "mtd": "this month", "pipe": "pipeline", "disco": "discovery", "eod": "end of day", "thx": "thanks",
    # Contractions typed without the apostrophe; "what's" is read as "whats" first, so both say "what is".
    "whos": "who is", "wheres": "where is", "thats": "that is", "dont": "don't", "cant": "can't",
    "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't", "havent": "haven't", "wasnt": "wasn't",
}
_TOKEN = re.compile(r"[a-z0-9/][a-z0-9'/-]*")

Embed = Callable[[list[str]], np.ndarray]


# Sales shorthand the hand rules (a write's kind, its due date, the edge) read spelled out, in the person's own
# text: "fu w/ hooli tmrw re pricing" is "follow-up with hooli tomorrow re pricing".
RULES_SHORTHAND = {"fu": "follow-up", "fus": "follow-ups", "f/u": "follow-up", "tmrw": "tomorrow", "tmr": "tomorrow",
                   "eod": "end of day", "eow": "end of week", "w/": "with", "w": "with", "mtg": "meeting",
                   "mtgs": "meetings", "disco": "discovery", "opp": "deal", "opps": "deals", "rn": "right now",
                   "abt": "about", "wk": "week", "wks": "weeks", "b/c": "because", "bc": "because"}
_SHORT_WORD = re.compile(r"(?<![\w/])(" + "|".join(sorted(map(re.escape, RULES_SHORTHAND), key=len, reverse=True))
                         + r")(?![\w/])", re.I)


def spell_out(text: str) -> str:
    """``text`` with sales shorthand spelled out (``RULES_SHORTHAND``), everything else as typed."""
    return _SHORT_WORD.sub(lambda m: RULES_SHORTHAND[m.group(1).lower()], text)


@lru_cache(maxsize=8192)  # the examples are read twice per process (the cache check, the router); bounded for workers
def normalize(text: str) -> str:
    """Lowercase words with shorthand spelled out; punctuation dropped. "what's" and "whats" read the same."""
    words = [SHORTHAND.get(word) or SHORTHAND.get(word.replace("'", ""), word)
             for word in _TOKEN.findall(text.lower().replace("’", "'"))]
    return " ".join(words)


@dataclass(frozen=True)
class Route:
    """The router's reading: the intent and its probability, the runner-up, and how close the nearest examples are."""

    intent: str
    score: float
    runner_up: str | None
    runner_up_score: float
    closeness: float = 1.0
    text: str = ""  # the question as read (normalized): its embedding is cached, retrieval can reuse it

    @property
    def margin(self) -> float:
        return self.score - self.runner_up_score

    @property
    def confident(self) -> bool:
        return self.score >= MIN_PROBABILITY and self.margin >= MIN_MARGIN


class _Trigrams:
    """Character-trigram TF-IDF vectors over the examples' vocabulary, unit length.

    The examples' matrix is sparse (each phrasing has a few dozen of thousands of trigrams): dense, it
    would be the largest thing the router holds. It is kept as plain CSR arrays, written to the cache with
    the vocabulary, so a process that only routes neither rebuilds it nor imports SciPy (a third of a second
    of a one-shot ``stagecoach ask``); SciPy's matrix is made only to train.
    """

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, data: np.ndarray, indices: np.ndarray,
                 indptr: np.ndarray):
        self.vocabulary = np.asarray(vocabulary, dtype=str)
        self.index = {g: i for i, g in enumerate(vocabulary)}
        self.idf, self.data, self.indices, self.indptr = idf, data, indices, indptr
        self._row_of = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))  # each stored value's row

    @classmethod
    def build(cls, texts: Sequence[str]) -> _Trigrams:
        from scipy.sparse import csr_matrix, diags

        grams = [cls._grams(t) for t in texts]
        vocabulary = sorted({g for gs in grams for g in gs})
        index = {g: i for i, g in enumerate(vocabulary)}
        rows = [row for row, gs in enumerate(grams) for _ in gs]
        columns = [index[g] for gs in grams for g in gs]
        counts = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                            shape=(len(texts), len(vocabulary)))  # repeated trigrams add up
        document_frequency = np.bincount(counts.indices, minlength=len(vocabulary))
        idf = np.log((1 + len(texts)) / (1 + document_frequency)).astype(np.float32) + 1
        weighted = counts @ diags(idf)
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        matrix = (diags(1 / np.where(norms == 0, 1, norms)) @ weighted).tocsr().astype(np.float32)
        matrix.sort_indices()
        return cls(vocabulary, idf, matrix.data, matrix.indices.astype(np.int32), matrix.indptr.astype(np.int64))

    @classmethod
    def cached(cls, texts: Sequence[str], cache_dir: Path | None) -> _Trigrams:
        """Built from ``texts``, or read from the cache kept for exactly these texts and this module's code."""
        path = cls.path(cache_dir, texts) if cache_dir else None
        if path is not None:
            try:
                with np.load(path) as saved:
                    if len(saved["indptr"]) == len(texts) + 1:
                        return cls(saved["vocabulary"].tolist(), saved["idf"], saved["data"], saved["indices"],
                                   saved["indptr"])
            except (OSError, ValueError, KeyError):
                pass  # absent or unreadable: build again
        trigrams = cls.build(texts)
        if path is not None:
            _save(path, vocabulary=trigrams.vocabulary, idf=trigrams.idf, data=trigrams.data,
                  indices=trigrams.indices, indptr=trigrams.indptr)
        return trigrams

    @staticmethod
    def path(cache_dir: Path, texts: Sequence[str]) -> Path:
        return cache_dir / f"router-trigrams-{_key(_CODE, *texts)}.npz"

    @property
    def matrix(self):
        """Every example's vector as a SciPy row matrix (for training)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr), shape=(len(self.indptr) - 1, len(self.index)))

    def similarities(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The cosine similarity to ``vector`` (a unit trigram vector) of each example of ``rows``."""
        first, last = int(rows[0]), int(rows[-1])
        if last - first + 1 == len(rows):  # one intent's examples lie together (they are read intent by intent)
            start, end = self.indptr[first], self.indptr[last + 1]
            return np.bincount(self._row_of[start:end] - first, minlength=len(rows),
                               weights=self.data[start:end] * vector[self.indices[start:end]]).astype(np.float32)
        every = np.bincount(self._row_of, weights=self.data * vector[self.indices], minlength=len(self.indptr) - 1)
        return every[rows].astype(np.float32)

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
    """Intent classification trained on example phrasings.

    Args:
        examples: each intent's example phrasings.
        embed: texts → unit-length embedding rows; None routes by trigrams alone.
        embed_question: one text → its unit-length embedding (a cached one, when the model offers it).
        cache_dir: where the examples' vectors and the trained classifier are kept between processes
            (keyed by model and examples), so a one-shot ``stagecoach ask`` neither waits for them nor
            holds the memory that embedding hundreds of phrasings at once takes.
        model: the embedding model's name, part of the cache key.
    """

    def __init__(self, examples: Mapping[str, Sequence[str]], embed: Embed | None,
                 embed_question: Callable[[str], np.ndarray] | None = None, *, cache_dir: Path | None = None,
                 model: str = ""):
        texts, self.labels = _texts_and_labels(examples)
        self.intents = sorted(set(self.labels))
        labels = np.array(self.labels)
        self._rows = [np.flatnonzero(labels == intent) for intent in self.intents]
        self._embed_question = (embed_question or (lambda text: embed([text])[0])) if embed else None
        self._trigrams = _Trigrams.cached(texts, cache_dir)
        self._embeddings = None
        if embed is not None:
            self._embeddings = _cached(texts, model, embed, cache_dir) if cache_dir else embed(texts)
        self._weights, self._bias = _cached_fit(_fit_key(model, texts, self.labels), cache_dir,
                                                lambda: _fit(self._training_features(), labels, self.intents))

    @staticmethod
    def is_cached(examples: Mapping[str, Sequence[str]], cache_dir: Path, model: str) -> bool:
        """Whether a router on an embedding model would read everything from ``cache_dir`` (its examples'
        vectors, its trigrams, its classifier), embedding and training nothing."""
        texts, labels = _texts_and_labels(examples)
        return all(path.is_file() for path in (cache_dir / f"router-{_key(model, *texts)}.npy",
                                               _Trigrams.path(cache_dir, texts),
                                               cache_dir / f"router-fit-{_fit_key(model, texts, labels)}.npz"))

    def route(self, question: str, *, ruled_out: Collection[str] = ()) -> Route:
        """The likeliest intent; ``ruled_out`` names intents an exact rule has excluded."""
        text = normalize(question)
        trigrams = self._trigrams.vector(text)
        meaning = self._embed_question(text) if self._embeddings is not None and self._embed_question else None
        probabilities = self.probabilities(meaning, trigrams)
        if ruled_out:
            probabilities = probabilities * np.array([intent not in ruled_out for intent in self.intents])
            probabilities = probabilities / max(float(probabilities.sum()), 1e-9)
        order = np.argsort(-probabilities, kind="stable")
        best, second = int(order[0]), (int(order[1]) if len(order) > 1 else None)
        return Route(self.intents[best], float(probabilities[best]),
                     self.intents[second] if second is not None else None,
                     float(probabilities[second]) if second is not None else 0.0,
                     self._closeness(best, meaning, trigrams), text)

    def probabilities(self, meaning: np.ndarray | None, trigrams: np.ndarray) -> np.ndarray:
        """Each intent's probability (in ``self.intents`` order)."""
        if len(self.intents) == 1:
            return np.ones(1, dtype=np.float32)
        logits = self._features(meaning, trigrams) @ self._weights + self._bias
        if logits.shape[-1] == 1:  # two intents: one logit, for the second
            logits = np.concatenate([-logits, logits]) / 2
        logits = logits - logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def _training_features(self):
        """Every example's features, sparse: the trigram part made dense (and copied by the solver) would be
        the largest thing a first ask holds, a hundred megabytes and more."""
        trigrams = self._trigrams.matrix * TRIGRAM_WEIGHT
        return trigrams if self._embeddings is None else _side_by_side(self._embeddings, trigrams)

    def _features(self, meaning: np.ndarray | None, trigrams: np.ndarray) -> np.ndarray:
        return trigrams * TRIGRAM_WEIGHT if meaning is None else np.hstack([meaning, trigrams * TRIGRAM_WEIGHT])

    def _closeness(self, intent: int, meaning: np.ndarray | None, trigrams: np.ndarray) -> float:
        """The blended similarity of the question to the intent's nearest examples: how alike it is to any."""
        rows = self._rows[intent]
        similarity = self._trigrams.similarities(trigrams, rows)
        if meaning is not None:
            similarity = EMBEDDING_WEIGHT * (self._embeddings[rows] @ meaning) + (1 - EMBEDDING_WEIGHT) * similarity
        return float(np.sort(similarity)[-NEAREST:].mean())


def _side_by_side(dense: np.ndarray, sparse):
    """``[dense | sparse]`` as one sparse row matrix, written row by row into arrays of its final size:
    scipy's own conversions pass through copies with 64-bit indices, twice the result's size."""
    from scipy.sparse import csr_matrix

    rows, width = dense.shape
    indptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(width + np.diff(sparse.indptr), out=indptr[1:])
    data = np.empty(indptr[-1], dtype=np.float32)
    indices = np.empty(indptr[-1], dtype=np.int32)
    columns = np.arange(width, dtype=np.int32)
    for row in range(rows):
        start, middle, end = indptr[row], indptr[row] + width, indptr[row + 1]
        first, last = sparse.indptr[row], sparse.indptr[row + 1]
        data[start:middle], indices[start:middle] = dense[row], columns
        data[middle:end], indices[middle:end] = sparse.data[first:last], sparse.indices[first:last] + width
    return csr_matrix((data, indices, indptr), shape=(rows, width + sparse.shape[1]))


def _fit(features: np.ndarray, labels: np.ndarray, intents: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Logistic-regression weights (features × intents) and biases; one intent needs none."""
    if len(intents) == 1:
        return np.zeros((features.shape[1], 1), dtype=np.float32), np.zeros(1, dtype=np.float32)
    from sklearn.linear_model import LogisticRegression  # imported only when a classifier is trained

    model = LogisticRegression(C=REGULARISATION_C, max_iter=5000).fit(features, labels)
    assert list(model.classes_) == intents
    return model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32)


def _texts_and_labels(examples: Mapping[str, Sequence[str]]) -> tuple[list[str], list[str]]:
    """Every example as the router reads it, and its intent."""
    pairs = [(normalize(phrasing), intent) for intent, phrasings in examples.items() for phrasing in phrasings]
    return [text for text, _ in pairs], [intent for _, intent in pairs]


def _fit_key(model: str, texts: Sequence[str], labels: Sequence[str]) -> str:
    return _key(model, *texts, *labels, f"C={REGULARISATION_C}", f"trigrams={TRIGRAM_WEIGHT}")


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def _cached(texts: list[str], model: str, embed: Embed, cache_dir: Path) -> np.ndarray:
    path = cache_dir / f"router-{_key(model, *texts)}.npy"
    try:
        # Mapped, not read: a question touches only its best intent's examples (_closeness), so a one-shot
        # ask reads a few hundred rows of the file, and workers on one machine share the pages.
        vectors = np.load(path, mmap_mode="r")
        if vectors.shape[0] == len(texts):
            return vectors
    except (OSError, ValueError):
        pass  # absent or unreadable: embed again
    vectors = np.asarray(embed(texts), dtype=np.float32)
    _save(path, vectors)
    return vectors


def _cached_fit(key: str, cache_dir: Path | None, fit: Callable[[], tuple[np.ndarray, np.ndarray]]):
    path = cache_dir / f"router-fit-{key}.npz" if cache_dir else None
    if path is not None:
        try:
            with np.load(path) as saved:
                return saved["weights"], saved["bias"]
        except (OSError, ValueError, KeyError):
            pass  # absent or unreadable: train again
    weights, bias = fit()
    if path is not None:
        _save(path, weights=weights, bias=bias)
    return weights, bias


def _save(path: Path, vectors: np.ndarray | None = None, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(partial, "wb") as out:
        if arrays:
            np.savez(out, **arrays)
        else:
            np.save(out, vectors)
    os.replace(partial, path)  # whole or not at all, whichever process writes last


# This module's own code, part of the trigram cache's key: a change to how text is read or weighed rebuilds it.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
_ROUTERS: dict[str, Router] = {}
_LOCK = threading.Lock()


def shared_router(key: str, build: Callable[[], Router]) -> Router:
    """One router per process and model: embedding every example takes a second or two."""
    with _LOCK:
        if key not in _ROUTERS:
            _ROUTERS[key] = build()
        return _ROUTERS[key]
