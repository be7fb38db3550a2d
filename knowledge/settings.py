"""What the knowledge layer reads from the application's settings (``bot.core.config.Settings`` has all of it).

A protocol, so that this layer names what it needs without importing the application.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class KnowledgeSettings(Protocol):
    embeddings: str  # "local" or "openai"
    local_embedding_model: str
    openai_api_key: str | None
    openai_base_url: str | None
    openai_embedding_model: str
    chroma_url: str | None
    methodologies: Path
    playbooks: Path

    @property
    def chroma_path(self) -> Path: ...
