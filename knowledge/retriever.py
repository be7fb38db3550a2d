"""Finding the passages of the map, the notes and the playbooks that answer a question.

Search goes through langchain-chroma's ``Chroma`` vector store over the
collection ``knowledge.index`` builds. Relevance is cosine similarity in
[0, 1]; passages under ``min_relevance`` are dropped, so an empty result means
"nothing here is about that" and the coach can say it does not know.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from knowledge.embeddings import embedding_identity, make_embeddings
from knowledge.errors import ConfigError
from knowledge.index import build_index, map_identity
from knowledge.store import COLLECTION, COLLECTION_CONFIGURATION, MODEL_KEY, open_store

if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings

    from knowledge.process_map import ProcessMap
    from knowledge.settings import KnowledgeSettings

log = logging.getLogger(__name__)

# Chosen from measured scores of the local model on the default knowledge (bench/startup_bench.py prints
# them): the best passage for on-topic questions scored 0.27-0.73 ("how do I find a champion" 0.271,
# "pricing objection" 0.620), for off-topic ones 0.06-0.23 ("weather in Paris" 0.100, "book a flight to
# London" 0.232). Re-measured when the model moved from PyTorch to NumPy: the same to three decimals.
DEFAULT_MIN_RELEVANCE = 0.25
# Ranking nudge for passages of the deal's stage; the reported relevance stays the true similarity.
STAGE_BONUS = 0.05
CONTEXT_VECTORS_KEPT = 2048  # map texts whose vectors are kept; a map has a few hundred at most


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and how close it is to the question (cosine similarity, 0 to 1)."""

    text: str
    source: str
    section: str
    kind: str
    stage_key: str
    title: str
    relevance: float


class Retriever:
    """Reusable search over the knowledge index; builds nothing until the first search.

    Args:
        settings: where the index lives and which embedding model to use.
        process_map: the active map, or a function returning it; when given, an
            empty index, one built with another embedding model or one built from
            another map is brought up to date on first use. With a function, every
            search asks it for the active map and, when that changed (``process load``
            in another process or this one), updates the index first, incrementally,
            so answers follow a new map without a restart. Without a map such an
            index raises ``ConfigError``.
        embeddings: embeddings to use instead of the ones the settings name.
    """

    def __init__(self, settings: KnowledgeSettings, process_map: ProcessMap | Callable[[], ProcessMap] | None = None, *,
                 embeddings: Embeddings | None = None):
        self.settings = settings
        self._process_map = process_map
        self._embeddings = embeddings
        self._store: Chroma | None = None
        self._built_for: str | None = None  # map_identity of the map the open index holds
        self._lock = threading.Lock()
        self._context_vectors: dict[str, list[float]] = {}  # map text -> its embedding (see ``search``)

    def search(self, query: str, *, context: Sequence[str] = (), stage_key: str | None = None,
               kinds: Sequence[str] | None = None, k: int = 4, min_relevance: float = DEFAULT_MIN_RELEVANCE,
               sources: Sequence[str] | None = None) -> list[Passage]:
        """Up to ``k`` passages about ``query``, best first, none under ``min_relevance``.

        ``context``: texts from the process map that narrow the search (a stage's name, its open
        criteria). Each text and the query are embedded apart and their mean is searched: the
        question's vector is the one the router already computed, and a map text's vector is kept
        for the process (a map has few, and they recur on every deal in that stage), so a deal
        question costs one embedding, not two.

        With ``stage_key``, passages of that stage are searched separately too and
        preferred in the ranking, while passages of no stage (or another) still
        compete, so a stage never hides the one passage that answers the question.
        ``sources``: only passages of these files ("methodologies/challenger.md").
        """
        texts = [t for t in context if t.strip()]
        if k <= 0 or not (query.strip() or texts):
            return []
        store = self._vectorstore()
        self._follow_map(store)
        vector = self._search_vector(store.embeddings, query, texts)
        kind_filter = {"kind": {"$in": list(kinds)}} if kinds else None
        if sources:
            kind_filter = _and({"source": {"$in": list(sources)}}, kind_filter)
        hits = self._query(store, vector, k, kind_filter)
        if stage_key:
            hits += self._query(store, vector, k, _and({"stage_key": stage_key}, kind_filter))
        best: dict[tuple[str, str], Passage] = {}
        for passage in hits:
            best.setdefault((passage.source, passage.section), passage)
        ranked = sorted(best.values(), key=lambda p: p.relevance + (STAGE_BONUS if stage_key and p.stage_key == stage_key else 0),
                        reverse=True)
        return [p for p in ranked if p.relevance >= min_relevance][:k]

    def _search_vector(self, embeddings: Embeddings, query: str, context: list[str]) -> list[float]:
        vectors = [embeddings.embed_query(query)] if query.strip() else []
        for text in context:
            if text not in self._context_vectors:
                if len(self._context_vectors) >= CONTEXT_VECTORS_KEPT:
                    self._context_vectors.clear()  # a map edited many times over: start again
                self._context_vectors[text] = embeddings.embed_query(text)
            vectors.append(self._context_vectors[text])
        if len(vectors) == 1:
            return list(vectors[0])
        mean = [sum(values) / len(vectors) for values in zip(*vectors, strict=True)]
        norm = sum(v * v for v in mean) ** 0.5 or 1.0
        return [v / norm for v in mean]

    def warm(self) -> None:
        """Open the index and load the model now (e.g. at worker start) rather than on the first question."""
        self._vectorstore().embeddings.embed_query("warm up")

    def _current_map(self) -> ProcessMap | None:
        return self._process_map() if callable(self._process_map) else self._process_map

    def _follow_map(self, store: Chroma) -> None:
        """Bring the index in line with the active map when it changed since the index was opened or built."""
        process = self._current_map()
        if process is None or map_identity(process) == self._built_for:
            return
        with self._lock:
            identity = map_identity(process)
            if identity != self._built_for:
                log.info("the active process map changed (%s); updating the knowledge index", identity)
                build_index(self.settings, process, embeddings=store.embeddings)
                self._built_for = identity

    def _query(self, store: Chroma, vector: list[float], k: int, where: dict | None) -> list[Passage]:
        from chromadb.errors import NotFoundError

        try:
            results = store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        except NotFoundError:
            # Another process rebuilt the collection (a Chroma server shared by workers): reopen once.
            log.info("knowledge collection was replaced; reopening it")
            with self._lock:
                self._store = None
            store = self._vectorstore()
            results = store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [_passage(doc.page_content, doc.metadata, distance) for doc, distance in results]

    def _vectorstore(self) -> Chroma:
        if self._store is not None:
            return self._store
        with self._lock:
            if self._store is None:
                self._store = self._open()
            return self._store

    def _open(self) -> Chroma:
        from langchain_chroma import Chroma

        embeddings = self._embeddings or make_embeddings(self.settings)
        model = embedding_identity(self.settings)
        store = open_store(self.settings)
        built_with = store.model()
        # Checked before touching the collection: without a map to rebuild from, an index of
        # another model is left as it is (and not searched).
        if built_with != model or store.collection(model)[0].count() == 0:
            if self._process_map is None:
                raise ConfigError("the knowledge index is empty or was built with another embedding model; "
                                  "run `stagecoach index`")
            process = self._current_map()
            log.info("building the knowledge index (%s)", "empty" if built_with in (None, model) else
                     f"built with {built_with}, now {model}")
            build_index(self.settings, process, embeddings=embeddings)
        process = self._current_map()
        if process is not None:
            # Built by another process or an earlier run, perhaps from another map: bring it up to date now.
            if store.built_for() != map_identity(process):
                build_index(self.settings, process, embeddings=embeddings)
            self._built_for = map_identity(process)
        # Same configuration and metadata as the store creates, so this never makes a second kind of collection.
        return Chroma(client=store.client, collection_name=COLLECTION, embedding_function=embeddings,
                      collection_configuration=COLLECTION_CONFIGURATION, collection_metadata={MODEL_KEY: model})


def _and(first: dict, second: dict | None) -> dict:
    return {"$and": [first, second]} if second else first


def _passage(text: str, meta: dict[str, Any], distance: float) -> Passage:
    return Passage(
        text=text, source=str(meta.get("source", "")), section=str(meta.get("section", "")),
        kind=str(meta.get("kind", "")), stage_key=str(meta.get("stage_key", "")), title=str(meta.get("title", "")),
        relevance=round(min(1.0, max(0.0, 1.0 - float(distance))), 4),
    )
