"""The knowledge index: chunk metadata, incremental builds, deletion, model switches, the Chroma client.

These tests embed through OpenAI's API against a local fake server (fast, and it
counts what was embedded); the local model has its own tests in test_index_local.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.config import Settings
from bot.core.errors import ConfigError
from knowledge.chunks import collect_chunks
from knowledge.index import build_index
from knowledge.process_map import load_process_map
from knowledge.retriever import Retriever
from knowledge.store import COLLECTION, LOCK_FILE, close_stores, open_store
from tests.knowledge.index_helpers import SMALL_PROCESS, chroma_server, embedded_texts, write_notes
from tests.utils.openai_server import FakeOpenAI

PROCESS = load_process_map(SMALL_PROCESS)


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def notes(tmp_path):
    return write_notes(tmp_path / "notes")


@pytest.fixture
def settings(tmp_path, server, notes):
    methodologies, playbooks = notes
    yield Settings(home=tmp_path / "home", process_file=SMALL_PROCESS, methodologies=methodologies, playbooks=playbooks,
                   embeddings="openai", openai_api_key="sk-test", openai_base_url=server.base_url)
    close_stores()


def stored(settings: Settings) -> dict[str, dict]:
    """id -> metadata of everything in the index."""
    collection = open_store(settings).client.get_collection(COLLECTION)
    got = collection.get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"], strict=True))


def test_every_chunk_is_stored_with_its_kind_stage_source_and_section(settings):
    stats = build_index(settings, PROCESS)
    meta = stored(settings)
    assert stats.added == len(meta) == len(collect_chunks(settings, PROCESS))

    assert meta["processes/process_small.yaml#discover"] | {"content_hash": ""} == {
        "kind": "stage", "stage_key": "discover", "source": "processes/process_small.yaml", "section": "discover",
        "title": "Test process", "content_hash": ""}
    assert meta["processes/process_small.yaml#discover/exit_criteria/budget_confirmed"]["kind"] == "criterion"
    assert meta["processes/process_small.yaml#validate/activities/" + PROCESS.stage("validate").activities[0].key][
        "kind"] == "activity"
    process_ids = {i for i in meta if i.startswith("processes/")}
    expected = sum(1 + len(s.exit_criteria) + len(s.activities) for s in PROCESS.stages)
    assert len(process_ids) == expected

    method = {m["section"]: m for m in meta.values() if m["source"] == "methodologies/method.md"}
    assert set(method) == {"Test method", "Stage: Discover", "Handling objections"}
    assert {m["kind"] for m in method.values()} == {"methodology"}
    assert method["Stage: Discover"]["stage_key"] == "discover"
    assert method["Handling objections"]["stage_key"] == ""
    assert {m["title"] for m in method.values()} == {"Test method"}

    playbook = {m["section"]: m for m in meta.values() if m["source"] == "playbooks/pricing.md"}
    assert set(playbook) == {"Too expensive", "Stage: Validate"}
    assert {m["kind"] for m in playbook.values()} == {"playbook"}
    assert playbook["Stage: Validate"]["stage_key"] == "validate"
    assert {m["title"] for m in playbook.values()} == {"Price objections"}


def test_the_playbooks_folder_comes_from_stagecoach_playbooks(tmp_path, monkeypatch, server):
    folder = tmp_path / "our playbooks"
    (folder / "battlecards").mkdir(parents=True)
    (folder / "battlecards" / "acme.md").write_text("# Acme battlecard\n\n## Landmines\n\nAsk about their audit trail.\n")
    (folder / "notes.txt").write_text("not Markdown, not indexed")
    monkeypatch.setenv("STAGECOACH_PLAYBOOKS", str(folder))
    settings = Settings(process_file=SMALL_PROCESS, embeddings="openai", openai_api_key="sk-test",
                        openai_base_url=server.base_url)
    try:
        build_index(settings, PROCESS)
        sources = {m["source"]: m for m in stored(settings).values() if m["kind"] == "playbook"}
    finally:
        close_stores()
    assert list(sources) == ["playbooks/battlecards/acme.md"]
    assert sources["playbooks/battlecards/acme.md"]["section"] == "Landmines"


def test_front_matter_kind_makes_a_note_a_playbook(settings, notes):
    methodologies, _ = notes
    (methodologies / "objections.md").write_text("---\nkind: playbook\ntitle: Objections\n---\n## Budget\n\nAsk who owns it.\n")
    build_index(settings, PROCESS)
    meta = stored(settings)["methodologies/objections.md#Budget"]
    assert (meta["kind"], meta["title"]) == ("playbook", "Objections")


def test_a_rebuild_with_nothing_changed_embeds_nothing(settings, server):
    first = build_index(settings, PROCESS)
    sent = len(embedded_texts(server))
    again = build_index(settings, PROCESS)
    assert sent == first.added > 0
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, first.added)
    assert len(embedded_texts(server)) == sent


def test_only_changed_and_new_chunks_are_embedded_and_removed_ones_are_deleted(settings, server, notes):
    methodologies, playbooks = notes
    first = build_index(settings, PROCESS)
    before = len(embedded_texts(server))

    method = methodologies / "method.md"
    method.write_text(method.read_text().replace("then answer with evidence", "then answer with a customer story"))
    (playbooks / "pricing.md").unlink()
    (playbooks / "security.md").write_text("# Security review\n\n## Questionnaires\n\nSend the SOC 2 report first.\n")
    stats = build_index(settings, PROCESS)

    assert (stats.added, stats.updated, stats.deleted) == (1, 1, 2)
    assert stats.unchanged == first.added - 1 - 2
    new_texts = embedded_texts(server)[before:]
    assert len(new_texts) == 2
    assert any("customer story" in t for t in new_texts) and any("SOC 2" in t for t in new_texts)
    meta = stored(settings)
    assert not [i for i in meta if i.startswith("playbooks/pricing.md")]
    assert "playbooks/security.md#Questionnaires" in meta
    collection = open_store(settings).client.get_collection(COLLECTION)
    assert "customer story" in collection.get(ids=["methodologies/method.md#Handling objections"])["documents"][0]


def test_a_changed_process_map_updates_its_chunks(settings, server, tmp_path):
    changed = tmp_path / "process_small.yaml"
    changed.write_text(SMALL_PROCESS.read_text().replace("Buyer confirmed a budget range", "Buyer confirmed the budget"))
    build_index(settings, PROCESS)
    before = len(embedded_texts(server))
    stats = build_index(settings, load_process_map(changed))
    # The criterion itself, its stage summary and the one activity that supports it mention the text.
    assert stats.updated == len(embedded_texts(server)) - before >= 2 and stats.added == stats.deleted == 0
    assert all("Buyer confirmed the budget" in t for t in embedded_texts(server)[before:])


def test_rebuild_flag_embeds_everything_again(settings, server):
    first = build_index(settings, PROCESS)
    stats = build_index(settings, PROCESS, rebuild=True)
    assert stats.added == first.added and stats.unchanged == 0
    assert len(embedded_texts(server)) == 2 * first.added


def test_switching_embedding_model_reindexes_instead_of_mixing_vectors(settings, tmp_path):
    build_index(settings, PROCESS)
    # Another model with vectors of another length: mixing the two in one collection would fail outright.
    with FakeOpenAI(embedding_dim=8) as other:
        switched = settings.model_copy(update={"openai_embedding_model": "text-embedding-3-large",
                                               "openai_base_url": other.base_url})
        stats = build_index(switched, PROCESS)
        assert stats.reindexed and stats.added == len(collect_chunks(settings, PROCESS)) and stats.unchanged == 0
        assert {r["model"] for r in other.requests} == {"text-embedding-3-large"}
        collection = open_store(switched).client.get_collection(COLLECTION)
        assert collection.metadata["embedding_model"] == "openai:text-embedding-3-large"
        assert len(collection.get(limit=1, include=["embeddings"])["embeddings"][0]) == 8
        # The fake model's vectors are hashes of the text: only a chunk's very text finds it at 1.0, so this
        # hit proves the stored vectors are the new model's, embedded from the chunks' text.
        chunk = next(c for c in collect_chunks(switched, PROCESS) if c.heading)  # embedded with its heading
        hits = Retriever(switched).search(chunk.embed_text, k=1, min_relevance=0)
        assert [(h.source, h.section, h.relevance) for h in hits] == [(chunk.source, chunk.section, 1.0)]

        # Back to the first model: a retriever rebuilds from the map rather than searching a foreign index.
        retriever = Retriever(settings, PROCESS)
        retriever.search("budget", k=1, min_relevance=0)
        assert open_store(settings).client.get_collection(COLLECTION).metadata["embedding_model"] == \
            "openai:text-embedding-3-small"


def test_a_retriever_without_a_map_refuses_an_index_of_another_model(settings):
    build_index(settings, PROCESS)
    other = settings.model_copy(update={"openai_embedding_model": "text-embedding-3-large"})
    with pytest.raises(ConfigError, match="stagecoach index"):
        Retriever(other).search("budget")
    # Refusing leaves the existing index alone.
    collection = open_store(settings).client.get_collection(COLLECTION)
    assert collection.metadata["embedding_model"] == "openai:text-embedding-3-small" and collection.count() > 0


def test_embedded_chroma_lives_under_the_data_directory_with_cosine_distance_and_no_telemetry(settings, monkeypatch):
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "True")
    build_index(settings, PROCESS)
    store = open_store(settings)
    assert (settings.home / "chroma" / LOCK_FILE).exists()
    assert any((settings.home / "chroma").glob("*.sqlite3"))
    assert store.client.get_settings().anonymized_telemetry is False
    assert store.client.get_collection(COLLECTION).configuration["hnsw"]["space"] == "cosine"
    assert open_store(settings) is store  # one client per process and directory


def test_a_second_process_is_refused_with_a_clear_message_not_left_hanging(settings, server):
    store = open_store(settings)  # this process holds the embedded index
    env = {**os.environ, "STAGECOACH_HOME": str(settings.home), "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS),
           "STAGECOACH_METHODOLOGIES": str(settings.methodologies), "STAGECOACH_PLAYBOOKS": str(settings.playbooks),
           "STAGECOACH_EMBEDDINGS": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.base_url}
    command = [str(Path(sys.executable).parent / "stagecoach"), "index"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "open in another Stagecoach process" in refused.stderr and "STAGECOACH_CHROMA_URL" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert embedded_texts(server) == []

    store.close()  # once this process lets go, the other one gets in
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "added" in done.stdout and embedded_texts(server)


def test_stagecoach_chroma_url_talks_to_a_chroma_server_without_a_local_directory(settings, tmp_path):
    with chroma_server(tmp_path / "server-data") as url:
        remote = settings.model_copy(update={"chroma_url": url})
        stats = build_index(remote, PROCESS)
        again = build_index(remote, PROCESS)
        # The fake server's vectors are hashes of the text, so only the very text of a chunk finds it.
        chunk = next(c for c in collect_chunks(remote, PROCESS) if c.id == "playbooks/pricing.md#Too expensive")
        hits = Retriever(remote).search(chunk.embed_text, k=1)
        store = open_store(remote)
        count = store.client.get_collection(COLLECTION).count()
        store.close()
    assert stats.added == count > 0 and again.unchanged == count
    assert (hits[0].source, hits[0].section, hits[0].relevance) == ("playbooks/pricing.md", "Too expensive", 1.0)
    assert not (settings.home / "chroma").exists()


def test_a_chroma_url_that_is_not_http_or_not_answering_is_a_clear_config_error(settings):
    with pytest.raises(ConfigError, match="http://host:port"):
        open_store(settings.model_copy(update={"chroma_url": "chroma.internal:8000"}))
    with pytest.raises(ConfigError, match="cannot reach the Chroma server"):
        open_store(settings.model_copy(update={"chroma_url": "http://127.0.0.1:9"}))


def test_openai_embeddings_without_a_key_is_a_config_error(settings):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_index(settings.model_copy(update={"openai_api_key": None}), PROCESS)


def test_index_command_reports_progress_and_a_summary(monkeypatch, server, notes):
    methodologies, playbooks = notes
    for name, value in {"STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS), "STAGECOACH_METHODOLOGIES": str(methodologies),
                        "STAGECOACH_PLAYBOOKS": str(playbooks), "STAGECOACH_EMBEDDINGS": "openai",
                        "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.base_url}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    try:
        first = runner.invoke(main, ["index"])
        second = runner.invoke(main, ["index"])
        (playbooks / "pricing.md").unlink()
        third = runner.invoke(main, ["index"])
    finally:
        close_stores()
    total = len(embedded_texts(server))
    assert first.exit_code == 0, first.output
    assert "Test process v1" in first.stderr and "openai:text-embedding-3-small" in first.stderr
    assert f"embedded {total}/{total} chunks" in first.stderr
    assert f"index: {total} added, 0 updated, 0 deleted, 0 unchanged" in first.stdout
    assert "embedded" not in second.stderr
    assert f"0 added, 0 updated, 0 deleted, {total} unchanged" in second.stdout
    assert "0 added, 0 updated, 2 deleted" in third.stdout


def test_a_long_section_is_split_into_parts_the_model_can_read_whole(settings, notes):
    _, playbooks = notes
    paragraphs = [" ".join(f"p{p}w{w}" for w in range(70)) for p in range(5)]  # 350 words in one section
    (playbooks / "long.md").write_text("# Long\n\n## Discovery questions\n\n" + "\n\n".join(paragraphs) + "\n")
    build_index(settings, PROCESS)
    collection = open_store(settings).client.get_collection(COLLECTION)
    got = collection.get(where={"source": "playbooks/long.md"}, include=["documents", "metadatas"])
    parts = sorted(zip((m["section"] for m in got["metadatas"]), got["documents"], strict=True))
    assert [section for section, _ in parts] == [f"Discovery questions ({i}/3)" for i in (1, 2, 3)]
    assert all(len(text.split()) <= 180 for _, text in parts)
    assert "\n\n".join(text for _, text in parts) == "\n\n".join(paragraphs)


def test_a_stage_section_naming_no_stage_of_the_map_is_left_out_and_logged(settings, notes, caplog):
    _, playbooks = notes
    (playbooks / "negotiate.md").write_text("# Negotiation\n\n## Stage: Negotiate\n\nTrade, never give.\n\n"
                                           "## Stage: Close\n\nAsk for the signature.\n")
    build_index(settings, PROCESS)
    sections = stored(settings)
    assert "playbooks/negotiate.md#Stage: Negotiate" not in sections  # advice for a stage this map lacks
    assert sections["playbooks/negotiate.md#Stage: Close"]["stage_key"] == "close"
    assert "names no stage of the map" in caplog.text and "Negotiate" in caplog.text
