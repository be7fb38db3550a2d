"""Building the knowledge index incrementally.

Each chunk's id is its source and section; its content hash sits in the
metadata. A build embeds only chunks that are new or whose hash changed,
deletes chunks whose source or section is gone, and leaves the rest alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.chunks import Chunk, collect_chunks
from knowledge.embeddings import embedding_identity, make_embeddings
from knowledge.store import open_store

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from knowledge.process_map import ProcessMap
    from knowledge.settings import KnowledgeSettings

# Chunks embedded per call: small enough for steady progress, large enough to batch well.
BATCH = 32

Progress = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks to embed) as a build goes."""


@dataclass(frozen=True)
class IndexStats:
    """What a build changed; ``reindexed`` means the embedding model changed and everything was embedded anew."""

    added: int
    updated: int
    deleted: int
    unchanged: int
    model: str = ""
    reindexed: bool = False

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged

    def __str__(self) -> str:
        text = (f"{self.added} added, {self.updated} updated, {self.deleted} deleted, "
                f"{self.unchanged} unchanged ({self.total} chunks, model {self.model})")
        return text + ("; re-indexed because the embedding model changed" if self.reindexed else "")


def build_index(settings: KnowledgeSettings, process_map: ProcessMap, progress: Progress | None = None, *,
                rebuild: bool = False, embeddings: Embeddings | None = None) -> IndexStats:
    """Bring the index in line with the map and the notes, embedding only what changed.

    Args:
        settings: where the index lives, which notes and which embedding model.
        process_map: the active map (its stage names also place ``## Stage:`` sections).
        progress: optional callback, see ``Progress``.
        rebuild: drop the collection first and embed everything.
        embeddings: embeddings to use instead of the ones the settings name (must be the same model).

    Returns:
        Counts of added, updated, deleted and unchanged chunks.
    """
    store = open_store(settings)
    model = embedding_identity(settings)
    if rebuild:
        store.drop()
    collection, reindexed = store.collection(model)
    chunks = collect_chunks(settings, process_map)
    stored = collection.get(include=["metadatas"])
    stored_hashes = {id_: (meta or {}).get("content_hash") for id_, meta in zip(stored["ids"], stored["metadatas"], strict=True)}

    wanted = {chunk.id: chunk for chunk in chunks}
    todo = [c for c in chunks if stored_hashes.get(c.id) != c.content_hash]
    gone = [id_ for id_ in stored_hashes if id_ not in wanted]
    if todo:
        _embed_and_store(collection, todo, embeddings or make_embeddings(settings), progress)
    if gone:
        collection.delete(ids=gone)
    store.mark_built_for(model, map_identity(process_map))
    updated = sum(1 for c in todo if c.id in stored_hashes)
    return IndexStats(added=len(todo) - updated, updated=updated, deleted=len(gone),
                      unchanged=len(chunks) - len(todo), model=model, reindexed=reindexed)


def map_identity(process_map: ProcessMap) -> str:
    """What the index records of the map it was built from: a new version or any edit reads differently."""
    return f"{process_map.name}@{process_map.version}:{process_map.checksum}"


def _embed_and_store(collection, chunks: list[Chunk], embeddings: Embeddings, progress: Progress | None) -> None:
    if progress:
        progress(0, len(chunks))
    for start in range(0, len(chunks), BATCH):
        batch = chunks[start:start + BATCH]
        vectors = embeddings.embed_documents([c.embed_text for c in batch])
        collection.upsert(ids=[c.id for c in batch], embeddings=vectors,
                          documents=[c.text for c in batch], metadatas=[c.metadata() for c in batch])
        if progress:
            progress(start + len(batch), len(chunks))
