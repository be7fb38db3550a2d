"""Targets: ``import targets``, a manager's target set in chat as a confirmed proposal, and coverage in the
forecast ("am I on track for my number?"), on the deals of ``test_forecast.py``.

Q4 2026 as of Nov 20: Alice won 30,000 and has 75,000 open closing in Q4 (F1 40,000 commit, F2 25,000 best case,
F3 10,000 pipeline); the East team 30,000 won and 90,000 open (Bob's F4 15,000; his F5 is omitted).
Alice's target 180,000: 150,000 to go, covered 75,000 ÷ 150,000 = 0.50×. East's 120,000: 90,000 ÷ 90,000 = 1.00×.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.coach.engine import Coach
from bot.importer import ImportRejected
from bot.pipeline.periods import PeriodSpec
from storage.models import Target
from tests.importer.helpers import run, write_csv
from tests.pipeline.test_forecast import NOW, report

Q4 = PeriodSpec("relative", unit="quarter", offset=0)
HEADER = ["rep", "team", "period", "amount"]


def stored(runtime) -> set[tuple]:
    with runtime.session() as s:
        return {(t.holder, t.first_day, t.last_day, t.amount, t.source) for t in s.exec(select(Target))}


def test_import_targets_for_reps_and_teams_and_again_with_new_amounts(runtime, book, tmp_path):
    path = write_csv(tmp_path / "targets.csv", HEADER, [
        ["alice.rep@example.com", "", "2026-Q4", "180000"],
        ["", "East", "Q4", "120,000"],  # no year: the next Q4 not over yet, this one
        ["Bob Rep", "", "Q1", "90000"],  # in November, Q1 is next year's
        ["Alice Rep", "", "2027-01", "50000"]])
    summary = run(runtime, "targets", path, now=NOW)
    assert (summary.created, summary.updated, summary.unchanged) == (4, 0, 0)
    with runtime.session() as s:
        ids = {t.holder for t in s.exec(select(Target))}
    alice, east = sorted(h for h in ids if h.startswith("rep:"))[0], next(h for h in ids if h.startswith("team:"))
    assert (alice, date(2026, 10, 1), date(2026, 12, 31), Decimal("180000.00"), "import") in stored(runtime)
    assert (east, date(2026, 10, 1), date(2026, 12, 31), Decimal("120000.00"), "import") in stored(runtime)
    assert any(first == date(2027, 1, 1) and last == date(2027, 3, 31) for _, first, last, _, _ in stored(runtime))
    again = write_csv(tmp_path / "again.csv", HEADER, [["alice.rep@example.com", "", "2026-Q4", "200000"],
                                                       ["", "East", "Q4", "120000"]])
    summary = run(runtime, "targets", again, now=NOW)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    assert (alice, date(2026, 10, 1), date(2026, 12, 31), Decimal("200000.00"), "import") in stored(runtime)


def test_a_bad_targets_file_is_refused_whole(runtime, book, tmp_path):
    path = write_csv(tmp_path / "targets.csv", HEADER, [
        ["alice.rep@example.com", "", "2026-Q4", "180000"],
        ["nobody@example.com", "", "2026-Q4", "1000"],
        ["Alice Rep", "East", "2026-Q4", "1000"],
        ["", "East", "someday", "1000"],
        ["alice.rep@example.com", "", "2026-Q4", "5"],
        ["", "West", "2026-Q4", "ten"]])
    with pytest.raises(ImportRejected) as caught:
        run(runtime, "targets", path, now=NOW)
    errors = [str(e) for e in caught.value.errors]
    assert "unknown rep 'nobody@example.com'" in errors[0]
    assert "give a rep or a team" in errors[1]
    assert "not a period: 'someday'" in errors[2]
    assert "a second target for the same period (row 1)" in errors[3]
    assert "unknown team 'West'" in errors[4] and "not an amount" in errors[5]
    assert stored(runtime) == set()


def test_the_forecast_states_the_target_and_its_coverage_or_that_there_is_none(runtime, book, tmp_path):
    run(runtime, "targets", write_csv(tmp_path / "t.csv", HEADER, [["Alice Rep", "", "2026-Q4", "180000"],
                                                                  ["", "East", "2026-Q4", "120000"]]), now=NOW)
    alice = report(runtime, book["alice"])
    assert (alice.details["target"], alice.details["left"], alice.details["coverage"]) == (180_000, 150_000, 0.5)
    assert "Target 180,000: 30,000 won, 150,000 to go; the open pipeline closing in Q4 (75,000) covers it 0.50×" \
        in alice.lines
    team = report(runtime, book["maria"])
    assert (team.details["target"], team.details["coverage"]) == (120_000, 1.0)
    bob = report(runtime, book["bob"])
    assert bob.details["target"] is None
    assert any(line.startswith("No target is set for your deals for Q4") for line in bob.lines)


def test_a_manager_sets_a_target_in_chat_once_confirmed_and_the_rep_sees_it(runtime, book):
    coach = Coach(runtime)
    answer = coach.ask(book["maria"], "set Alice's Q4 target to 180k", conversation_key="t1", now=NOW)
    assert answer.proposal is not None and answer.proposal.kind == "target"
    assert "Alice Rep's target for Q4 (Oct 1 – Dec 31, 2026): 180,000" in answer.text
    assert stored(runtime) == set()  # nothing until confirmed
    done = coach.ask(book["maria"], "yes", conversation_key="t1", now=NOW)
    assert done.text.startswith("✅")
    assert {(first, last, amount, source) for _, first, last, amount, source in stored(runtime)} == {
        (date(2026, 10, 1), date(2026, 12, 31), Decimal("180000.00"), "chat")}
    on_track = coach.ask(book["alice"], "am I on track for my number?", now=NOW)
    (forecast,) = on_track.data["reports"]
    assert forecast["report"] == "forecast" and forecast["details"]["coverage"] == 0.5
    assert "Target 180,000" in on_track.text
    refused = coach.ask(book["alice"], "set my Q4 target to 1m", now=NOW)
    assert refused.intent == "pipeline_denied" and "targets are set by managers" in refused.text
    assert len(stored(runtime)) == 1
