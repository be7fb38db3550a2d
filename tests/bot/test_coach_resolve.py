"""Resolving a deal forgives typos and partial names, and never reaches a deal the asker may not see."""

import pytest

from bot.coach.resolve import resolve_deal
from storage import deals as deal_store


def names_for(runtime, floor, rep, question):
    with runtime.session() as s:
        summaries = deal_store.visible_deal_summaries(session=s, viewer=floor.viewer(rep))
    return [d.external_id for d in resolve_deal(question, summaries).matches]


@pytest.mark.parametrize("question", [
    "what should I do next on Globex?", "GLOBEX", "next steps for globx", "what about Globex Corp",
    "plan for the globex platform rollout", "D-GLOBEX status",
])
def test_forgiving_case_typos_and_partial_names(runtime, floor, question):
    assert names_for(runtime, floor, floor.alice, question) == ["D-GLOBEX"]


def test_no_deal_named_means_no_match(runtime, floor):
    assert names_for(runtime, floor, floor.alice, "which of my deals need attention?") == []


@pytest.mark.parametrize("question", ["what should I do next on Initech?", "initech renewal", "Umbrella", "umbrela corp"])
def test_a_rep_cannot_reach_another_reps_deal_by_any_phrasing(runtime, floor, question):
    assert names_for(runtime, floor, floor.alice, question) == []


def test_manager_reaches_the_team_but_not_another_team(runtime, floor):
    assert names_for(runtime, floor, floor.manager, "initech") == ["D-INITECH"]
    assert names_for(runtime, floor, floor.manager, "umbrella") == []
    assert names_for(runtime, floor, floor.admin, "umbrella") == ["D-UMBRELLA"]


def test_several_matches_are_all_returned(runtime, floor):
    from tests.utils import factories as f
    with runtime.session() as s:
        f.deal(s, s.get(type(floor.alice), floor.alice.id), "Globex support contract", account="Globex Corporation",
               external_id="D-GLOBEX-2")
    assert sorted(names_for(runtime, floor, floor.alice, "globex")) == ["D-GLOBEX", "D-GLOBEX-2"]
    # naming more of one deal picks it
    assert names_for(runtime, floor, floor.alice, "next on globex support contract") == ["D-GLOBEX-2"]
    assert names_for(runtime, floor, floor.alice, "globex platform rolout") == ["D-GLOBEX"]
