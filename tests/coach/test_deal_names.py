"""Deal names as CRMs export them: dash-joined codes and accents, found by the word a rep would type."""

from __future__ import annotations

import pytest

from bot.coach.resolve import resolve_deal
from storage.deals import DealSummary


def summary(i: int, name: str, account: str, status: str = "open") -> DealSummary:
    return DealSummary(i, f"D-{i}", name, account, "discover", status, 1, "Alice Rep")


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
