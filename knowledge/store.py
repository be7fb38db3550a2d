"""The Chroma client and the knowledge collection.

Embedded mode (the default) keeps Chroma under ``<home>/chroma``. Chroma's
embedded client is not safe across processes (two processes on one directory
hang or corrupt the index), so the first process takes an exclusive lock on the
directory for as long as its client lives, and any other process is refused
with a message pointing at ``STAGECOACH_CHROMA_URL``. With that URL set, the
same code talks to a Chroma server over HTTP and takes no lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from knowledge.errors import ConfigError

if TYPE_CHECKING:
    import chromadb

    from knowledge.settings import KnowledgeSettings

COLLECTION = "stagecoach_knowledge"
LOCK_FILE = "stagecoach.lock"
# Cosine distance; in Chroma 1.x index settings go in ``configuration`` (metadata is ours).
COLLECTION_CONFIGURATION: dict[str, Any] = {"hnsw": {"space": "cosine"}}
MODEL_KEY = "embedding_model"
MAP_KEY = "process_map"  # which map (name, version, checksum) the map's chunks were built from

_STORES: dict[str, KnowledgeStore] = {}
_STORES_LOCK = threading.Lock()


class ChromaLocked(ConfigError):
    """Another process has the embedded Chroma directory open."""


class KnowledgeStore:
    """A Chroma client (and, embedded, the directory lock) shared by one process.

    Use ``open_store``; ``close()`` releases the client and the lock.
    """

    def __init__(self, client: chromadb.ClientAPI, location: str, lock_fd: int | None = None):
        self.client = client
        self.location = location
        self._lock_fd = lock_fd

    def collection(self, model: str) -> tuple[chromadb.Collection, bool]:
        """The knowledge collection for vectors of ``model``.

        A collection built with another embedding model is dropped rather than
        mixed with new vectors; the caller must then index everything again.

        Returns:
            The collection and whether it was (re)created empty because the model changed.
        """
        existing = self._existing()
        if existing is not None and (existing.metadata or {}).get(MODEL_KEY) == model:
            return existing, False
        if existing is not None:
            self.client.delete_collection(COLLECTION)
        return self._create(model), existing is not None

    def drop(self) -> None:
        """Delete the collection (``stagecoach index --rebuild``)."""
        if self._existing() is not None:
            self.client.delete_collection(COLLECTION)

    def model(self) -> str | None:
        """The embedding model the collection was built with; None when there is no collection."""
        existing = self._existing()
        return (existing.metadata or {}).get(MODEL_KEY) if existing is not None else None

    def built_for(self) -> str | None:
        """The map (``map_identity``) the collection was last built from; None when unknown or no collection."""
        existing = self._existing()
        return (existing.metadata or {}).get(MAP_KEY) if existing is not None else None

    def mark_built_for(self, model: str, process_map: str) -> None:
        """Record that the collection holds ``process_map``'s chunks (Chroma replaces metadata whole)."""
        existing = self._existing()
        if existing is not None:
            existing.modify(metadata={MODEL_KEY: model, MAP_KEY: process_map})

    def close(self) -> None:
        """Release the client and, in embedded mode, the directory lock."""
        with _STORES_LOCK:
            if _STORES.get(self.location) is self:
                del _STORES[self.location]
        self.client.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    def _existing(self) -> chromadb.Collection | None:
        from chromadb.errors import NotFoundError

        try:
            # embedding_function=None: Chroma's default would be an ONNX model it downloads.
            return self.client.get_collection(COLLECTION, embedding_function=None)
        except NotFoundError:
            return None

    def _create(self, model: str) -> chromadb.Collection:
        # embedding_function=None: Chroma never embeds anything itself; we always pass vectors.
        return self.client.create_collection(
            COLLECTION, configuration=COLLECTION_CONFIGURATION, metadata={MODEL_KEY: model},
            embedding_function=None,
        )


def open_store(settings: KnowledgeSettings) -> KnowledgeStore:
    """The process's store for these settings, opened on first use.

    Raises:
        ChromaLocked: another process holds the embedded directory.
        ConfigError: ``STAGECOACH_CHROMA_URL`` is not an http(s) URL.
    """
    location = settings.chroma_url or str(settings.chroma_path.resolve())
    with _STORES_LOCK:
        store = _STORES.get(location)
        if store is None:
            store = _STORES[location] = _http_store(settings.chroma_url) if settings.chroma_url \
                else _embedded_store(Path(location))
        return store


def close_stores() -> None:
    """Close every store this process opened (tests; a worker shutting down)."""
    with _STORES_LOCK:
        stores = list(_STORES.values())
    for store in stores:
        store.close()


def client_settings() -> chromadb.config.Settings:
    """Chroma client settings: anonymous telemetry off, whatever the environment says."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def _embedded_store(path: Path) -> KnowledgeStore:
    import chromadb

    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ChromaLocked(
            f"the knowledge index at {path} is open in another Stagecoach process; Chroma's embedded mode "
            "serves one process only. To run several workers (or a worker and the digest job), start a "
            "Chroma server (`chroma run --path DIR`) and set STAGECOACH_CHROMA_URL=http://HOST:PORT"
        ) from None
    try:
        client = chromadb.PersistentClient(path=str(path), settings=client_settings())
    except BaseException:
        os.close(fd)
        raise
    return KnowledgeStore(client, str(path), fd)


def _http_store(url: str) -> KnowledgeStore:
    import chromadb

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"STAGECOACH_CHROMA_URL must look like http://host:port, got {url!r}")
    ssl = parts.scheme == "https"
    try:
        client = chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if ssl else 8000), ssl=ssl,
                                     settings=client_settings())
    except ValueError as exc:  # what chromadb raises when nothing answers
        raise ConfigError(f"cannot reach the Chroma server at STAGECOACH_CHROMA_URL={url}: {exc}") from exc
    return KnowledgeStore(client, url)
