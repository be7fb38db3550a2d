"""The ``forecast`` report and forecast categories against figures computed by hand.

Now: Nov 20 2026; Q4 (Oct 1 – Dec 31), UTC. Small map: discover 10% → pipeline, validate 40% → best case,
close 80% → commit (unless the CRM set a category).

    deal  owner  stage     CRM category  close    amount  →
    F1    Alice  close     —             Dec 5    40,000  commit
    F2    Alice  validate  —             Dec 20   25,000  best case
    F3    Alice  discover  —             Nov 30   10,000  pipeline
    F4    Bob    discover  commit        Dec 1    15,000  commit (the CRM's)
    F5    Bob    close     omitted       Dec 10    8,000  omitted (the CRM's)
    F6    Bob    validate  —             Jan 10   50,000  (closes in Q1)
    F7    Alice  won Oct 15                       30,000  won in Q4
    F8    Bob    won Sep 30                       20,000  (won in Q3)
    F9    Bob    lost Nov 1                        5,000  —

Q4: commit 55,000 (2), best case 25,000 (1), pipeline 10,000 (1), omitted 8,000 (1); open (not omitted)
90,000 in 4 deals; won 30,000.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.importer.values import forecast_category
from bot.pipeline.categories import category_of
from bot.pipeline.periods import PeriodSpec
from bot.pipeline.reports import build_report
from bot.pipeline.scope import resolve_scope
from knowledge.process_map import parse_process_map
from storage.access import Viewer
from storage.models import DealStatus, Role
from tests.conftest import SMALL_PROCESS
from tests.utils import factories as f

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
Q4 = PeriodSpec("relative", unit="quarter", offset=0)


@pytest.fixture
def book(runtime):
    runtime.process  # noqa: B018  (activate the small map)
    with runtime.session() as s:
        east = f.team(s, "East")
        maria = f.rep(s, "Maria Manager", team=east, role=Role.manager)
        alice, bob = f.rep(s, "Alice Rep", team=east), f.rep(s, "Bob Rep", team=east)
        for name, owner, stage, category, close, amount, status, closed in (
                ("F1", alice, "close", None, date(2026, 12, 5), 40_000, "open", None),
                ("F2", alice, "validate", None, date(2026, 12, 20), 25_000, "open", None),
                ("F3", alice, "discover", None, date(2026, 11, 30), 10_000, "open", None),
                ("F4", bob, "discover", "commit", date(2026, 12, 1), 15_000, "open", None),
                ("F5", bob, "close", "omitted", date(2026, 12, 10), 8_000, "open", None),
                ("F6", bob, "validate", None, date(2027, 1, 10), 50_000, "open", None),
                ("F7", alice, "close", None, date(2026, 10, 15), 30_000, "won", datetime(2026, 10, 15, 9, tzinfo=UTC)),
                ("F8", bob, "close", None, date(2026, 9, 30), 20_000, "won", datetime(2026, 9, 30, 9, tzinfo=UTC)),
                ("F9", bob, "validate", None, date(2026, 12, 1), 5_000, "lost", datetime(2026, 11, 1, tzinfo=UTC))):
            f.deal(s, owner, name, stage=stage, forecast_category=category, close_date=close, amount=amount,
                   status=DealStatus(status), closed_at=closed, now=NOW)
        return {"maria": Viewer.of(maria), "alice": Viewer.of(alice), "bob": Viewer.of(bob)}


def report(runtime, viewer, period=Q4):
    with runtime.session() as s:
        scope = resolve_scope(session=s, viewer=viewer, company_timezone=runtime.settings.timezone)
        return build_report("forecast", session=s, viewer=viewer, process=runtime.process, scope=scope,
                            period=period.resolve(NOW, scope.timezone), now=NOW)


def categories(result) -> dict[str, tuple]:
    return {r["category"]: (r["deals"], r["amount"]) for r in result.rows}


def test_the_teams_q4_forecast_by_category(runtime, book):
    result = report(runtime, book["maria"])
    assert categories(result) == {"commit": (2, 55_000), "best_case": (1, 25_000), "pipeline": (1, 10_000),
                                  "omitted": (1, 8_000), "open": (4, 90_000), "won": (1, 30_000)}
    assert result.lines[0] == ("Q4: 30,000 won (1 deal); open and closing in it commit 55,000, best case 25,000, "
                               "pipeline 10,000 — 90,000 in 4 deals (and 8,000 omitted)")
    assert result.details["by_rep"]["Bob Rep"] == {"commit": 15_000, "best_case": 0, "pipeline": 0, "omitted": 8_000,
                                                   "won": 0}
    assert result.details["by_rep"]["Alice Rep"] == {"commit": 40_000, "best_case": 25_000, "pipeline": 10_000,
                                                     "omitted": 0, "won": 30_000}


def test_a_rep_gets_their_own_forecast(runtime, book):
    assert categories(report(runtime, book["bob"]))["commit"] == (1, 15_000)
    assert categories(report(runtime, book["alice"]))["won"] == (1, 30_000)


def test_the_map_overrides_the_category_a_stages_probability_gives():
    content = SMALL_PROCESS.read_text(encoding="utf-8").replace(
        "    probability: 0.1\n", "    probability: 0.1\n    forecast_category: omitted\n", 1)
    process = parse_process_map(content, "override.yaml")
    plain = parse_process_map(SMALL_PROCESS.read_text(encoding="utf-8"), Path(SMALL_PROCESS).name)
    assert [category_of(plain, key) for key in ("discover", "validate", "close")] == ["pipeline", "best_case", "commit"]
    assert category_of(process, "discover") == "omitted"
    assert category_of(process, "discover", "best_case") == "best_case"  # the CRM's category wins
    assert category_of(process, "gone") == "pipeline"  # a stage the map no longer has


def test_crm_spellings_of_categories():
    assert [forecast_category(t) for t in ("Commit", "Best Case", "BEST_CASE", "Pipeline", "Omitted", "OMIT",
                                           "Closed", "Most Likely")] == [
        "commit", "best_case", "best_case", "pipeline", "omitted", "omitted", None, "best_case"]
    with pytest.raises(ValueError, match="unknown forecast category 'Maybe'"):
        forecast_category("Maybe")


def test_a_deals_file_sets_each_deals_forecast_category_and_refuses_an_unknown_one(runtime, tmp_path):
    from sqlmodel import select

    from bot.importer import ImportRejected
    from storage.models import Deal
    from tests.importer.helpers import REPS_CSV, run, write_csv

    run(runtime, "reps", REPS_CSV)
    header = ["Opportunity ID", "Opportunity Name", "Owner Email", "Stage", "Forecast Category"]
    good = write_csv(tmp_path / "opps.csv", header, [["O-1", "One", "ann@example.com", "Needs Analysis", "Best Case"],
                                                    ["O-2", "Two", "ann@example.com", "Needs Analysis", "Omitted"],
                                                    ["O-3", "Three", "ann@example.com", "Needs Analysis", ""]])
    run(runtime, "deals", good, preset="salesforce")
    with runtime.session() as s:
        assert {d.external_id: d.forecast_category for d in s.exec(select(Deal))} == {
            "O-1": "best_case", "O-2": "omitted", "O-3": None}
    bad = write_csv(tmp_path / "bad.csv", header, [["O-1", "One", "ann@example.com", "Needs Analysis", "Maybe"]])
    with pytest.raises(ImportRejected) as caught:
        run(runtime, "deals", bad, preset="salesforce")
    assert "unknown forecast category 'Maybe'" in str(caught.value.errors[0])


def test_a_deal_still_open_and_closing_in_the_period_but_now_omitted_moved_to_omitted():
    from decimal import Decimal

    from bot.pipeline.as_of import Snapshot
    from bot.pipeline.changes import _steps

    first, last = date(2026, 10, 1), date(2026, 12, 31)
    before = Snapshot(True, "open", "close", date(2026, 12, 1), Decimal(5_000))
    after = Snapshot(True, "open", "close", date(2026, 12, 1), Decimal(6_000))
    assert _steps(before, after, True, False, first, last, omitted=True) == [
        ("start", 1, Decimal(5_000)), ("omitted", -1, Decimal(-6_000)), ("amount", 0, Decimal(1_000))]
    assert _steps(before, after, False, True, first, last, omitted=False) == [
        ("end", 1, Decimal(6_000)), ("pulled_in", 1, Decimal(6_000))]  # taken out of omitted
