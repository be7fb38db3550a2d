"""Retrieval with the real local model over the default knowledge: real questions find the right notes.

The index is built once for the module (the model itself loads once per process).
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.config import DEFAULT_METHODOLOGIES_DIR, DEFAULT_PLAYBOOKS_DIR, DEFAULT_PROCESS_FILE, Settings
from knowledge.chunks import collect_chunks
from knowledge.embeddings import make_embeddings
from knowledge.index import build_index
from knowledge.process_map import load_process_map
from knowledge.retriever import DEFAULT_MIN_RELEVANCE, Retriever
from knowledge.store import close_stores

pytestmark = pytest.mark.model

NOTES = ["methodology", "playbook"]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("retriever"), process_file=DEFAULT_PROCESS_FILE,
                        methodologies=DEFAULT_METHODOLOGIES_DIR, playbooks=DEFAULT_PLAYBOOKS_DIR,
                        embeddings="local", chroma_url=None)
    process = load_process_map(DEFAULT_PROCESS_FILE)
    build_index(settings, process)
    yield Retriever(settings, process)
    close_stores()


def sources(passages) -> list[tuple[str, str]]:
    return [(p.source, p.section) for p in passages]


@pytest.mark.parametrize(("question", "source", "section"), [
    ("pricing objection", "playbooks/objection_handling.md", "Pricing"),
    ("How would a Challenger rep handle a pricing objection?", "methodologies/challenger.md", "Handling objections"),
    ("how do we beat LedgerLoop", "playbooks/competitive_battlecard.md", "How to position"),
    ("security questionnaire from IT", "playbooks/objection_handling.md", "Security review"),
])
def test_a_real_question_finds_the_note_that_answers_it_first(retriever, question, source, section):
    passages = retriever.search(question, kinds=NOTES)
    assert sources(passages)[0] == (source, section)
    assert passages[0].relevance > 0.5


def test_a_methodology_named_in_the_question_supplies_the_passages(retriever):
    passages = retriever.search("What does MEDDIC say about the economic buyer?", kinds=NOTES, k=3)
    assert len(passages) == 3 and {p.source for p in passages} == {"methodologies/meddic.md"}


def test_stage_questions_over_the_map_find_that_stages_criteria(retriever):
    passages = retriever.search("exit criteria for Discover", kinds=["stage", "criterion"], k=4)
    assert len(passages) == 4
    assert {(p.source, p.stage_key) for p in passages} == {("processes/b2b_default.yaml", "discover")}
    assert {p.kind for p in passages} <= {"stage", "criterion"}


def test_kinds_filter_keeps_other_kinds_out(retriever):
    # Without a filter this question's best passages are the map's commit-stage activities.
    assert any(p.kind in ("activity", "criterion") for p in retriever.search("how do I get a mutual close plan signed"))
    passages = retriever.search("how do I get a mutual close plan signed", kinds=NOTES)
    assert passages and {p.kind for p in passages} <= set(NOTES)


def test_off_topic_questions_find_nothing(retriever):
    for question in ["What's the weather like in Paris tomorrow?", "recipe for banana bread",
                     "who won the football match last night"]:
        assert retriever.search(question) == []


def test_the_deals_stage_brings_its_own_passages_into_the_answer(retriever):
    question = "my contact has to ask their manager before deciding"
    assert not [p for p in retriever.search(question, kinds=NOTES, k=3) if p.stage_key == "connect"]
    with_stage = retriever.search(question, stage_key="connect", kinds=NOTES, k=3)
    assert [p for p in with_stage if p.stage_key == "connect"]
    assert all(p.relevance >= DEFAULT_MIN_RELEVANCE for p in with_stage)


def test_relevance_is_a_cosine_similarity_best_first_and_the_threshold_and_k_hold(retriever):
    loose = retriever.search("pricing objection", min_relevance=0, k=10)
    assert len(loose) == 10
    scores = [p.relevance for p in loose]
    assert scores == sorted(scores, reverse=True)
    # Each score is the cosine similarity of the question and the passage, recomputed here from the model.
    chunks = {(c.source, c.section): c for c in collect_chunks(retriever.settings, load_process_map(DEFAULT_PROCESS_FILE))}
    model = make_embeddings(retriever.settings)
    question = np.array(model.embed_query("pricing objection"))
    for passage in loose[:3] + loose[-2:]:
        vector = np.array(model.embed_documents([chunks[(passage.source, passage.section)].embed_text])[0])
        cosine = float(question @ vector / (np.linalg.norm(question) * np.linalg.norm(vector)))
        assert passage.relevance == pytest.approx(cosine, abs=2e-3), passage.section
    strict = retriever.search("pricing objection", min_relevance=0.55, k=10)
    assert strict == [p for p in loose if p.relevance >= 0.55] and 0 < len(strict) < 10
    assert retriever.search("pricing objection", k=0) == [] and retriever.search("   ") == []
