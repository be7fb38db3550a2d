"""Deal names as CRMs export them: dash-joined codes and accents, found by the word a rep would type."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.coach.resolve import fold_accents, placed_like_a_deal, resolve_deal, unexplained_words
from storage.deals import DealSummary


def summary(i: int, name: str, account: str, status: str = "open") -> DealSummary:
    return DealSummary(i, f"D-{i}", name, account, "discover", status, 1, "Alice Rep")


_NO_STAGES = SimpleNamespace(stages=[])

BOOK = [
    summary(1, "MEX-BACARDI - SEP", "Bacardi México"),
    summary(2, "COL-POSTOBON - NOV", "Postobón S.A."),
    summary(3, "Café Olé relaunch", "Café Olé"),
    summary(4, "Globex platform rollout", "Globex Corporation"),
]


@pytest.mark.parametrize(("question", "expected"), [
    ("whats next on Bacardi?", "D-1"),
    ("prep me for postobon", "D-2"),
    ("why is cafe ole stuck", "D-3"),
    ("why is Café Olé stuck", "D-3"),
    ("MEX-BACARDI - SEP plan", "D-1"),
    ("next on mex bacardi", "D-1"),
])
def test_a_code_or_an_accent_does_not_hide_the_deal(question, expected):
    assert [d.external_id for d in resolve_deal(question, BOOK).matches] == [expected]


def test_the_parts_of_a_code_are_not_matched_to_question_words():
    assert resolve_deal("what should i do next on my biggest deal", BOOK).matches == []
    assert resolve_deal("whats next on sep deals", BOOK).matches == []  # a month code is too short to name one


def test_an_open_deal_is_preferred_to_a_closed_one_of_the_same_name():
    book = [summary(5, "Globex platform rollout", "Globex Corporation", status="lost"), *BOOK]
    assert [d.external_id for d in resolve_deal("next on globex", book).matches] == ["D-4"]
    assert [d.external_id for d in resolve_deal("next on globex", book[:1]).matches] == ["D-5"]


def test_a_deal_named_by_its_accounts_first_word_and_the_rest_of_its_name():
    book = [summary(6, "Vandelay Imports pilot", "Vandelay Imports"),
            summary(7, "Vandelay Imports expansion", "Vandelay Imports"), *BOOK]
    assert [d.external_id for d in resolve_deal("push the vandelay pilot f/u to next tues", book).matches] == ["D-6"]
    assert [d.external_id for d in resolve_deal("prep me for vandelay expansion", book).matches] == ["D-7"]
    assert {d.external_id for d in resolve_deal("whats up with vandelay", book).matches} == {"D-6", "D-7"}


# Names from Spanish, French, German, Nordic and Turkish CRMs, each asked as people type it: with the accents,
# without them, and (German, Nordic) with the mark spelled out.
WORLD = [
    summary(11, "Peñafiel renovación", "Bodegas Peñafiel"),
    summary(12, "Crème Brûlée SAS rollout", "Crème Brûlée SAS"),
    summary(13, "Müller Straße expansion", "Müller Straße GmbH"),
    summary(14, "Ølstykke pilot", "Ølstykke Bryggeri"),
    summary(15, "Ålesund Fisk renewal", "Ålesund Fisk"),
    summary(16, "Işıklar Çağdaş pilot", "Işıklar Çağdaş"),
    summary(17, "İzmir Liman rollout", "İzmir Liman"),
    summary(18, "Bæk onboarding", "Bæk"),
]


@pytest.mark.parametrize(("question", "expected"), [
    ("whats next on Peñafiel", "D-11"), ("whats next on penafiel", "D-11"),
    ("prep me for Crème Brûlée", "D-12"), ("prep me for creme brulee", "D-12"),
    ("why is Müller stuck", "D-13"), ("why is muller stuck", "D-13"), ("why is mueller stuck", "D-13"),
    ("next on muller strasse", "D-13"), ("next on Müller Straße", "D-13"),
    ("plan for Ølstykke", "D-14"), ("plan for olstykke", "D-14"), ("plan for oelstykke", "D-14"),
    ("whats up with Ålesund", "D-15"), ("whats up with alesund", "D-15"), ("whats up with aalesund", "D-15"),
    ("next on Işıklar", "D-16"), ("next on isiklar", "D-16"), ("next on isiklar cagdas", "D-16"),
    ("prep me for İzmir", "D-17"), ("prep me for izmir", "D-17"),
    ("whats next on Bæk", "D-18"), ("whats next on baek", "D-18"),
])
def test_accented_names_are_folded_to_the_letters_people_type_never_dropped(question, expected):
    assert [d.external_id for d in resolve_deal(question, WORLD).matches] == [expected]


def test_folding_keeps_every_letter():
    assert fold_accents("Peñafiel") == "Penafiel"
    assert fold_accents("straße ølstykke æbelø ışık") == "strasse olstykke aebelo isik"
    assert fold_accents("müller ålesund", spelled_out=True) == "mueller aalesund"


def test_a_name_no_deal_has_is_named_back_whole():
    assert unexplained_words("whats next on Peñafiel?", frozenset({"whats", "next", "on"}), _NO_STAGES) == "Peñafiel"
    assert placed_like_a_deal("whats next on Peñafiel?", "Peñafiel") == "peñafiel"
