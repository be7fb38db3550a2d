"""The ``observed`` report and the map revision it proposes, on ``history.py`` plus ``closed.py``.

From July 1 to Nov 20 (every change of the fixtures), everyone:
- Paths: 13 deals have one (M was created won and has none); D and N skipped (D discover → close, N discover →
  won), L moved back (validate → discover); the other 10 followed the map.
- Discover stays that ended: K 5, I 6, C 7, D 7, J 7, L 10, L 10, N 10, A 19, E 19, B 25, H 33.46, G 45 — 13;
  median (7th) 10, 75th percentile (10th of 13) 19. Validate: I 7, K 10, L 10, L 10, B 15, E 26 — 6; median 10,
  75th (5th of 6) 15. Close: K 5, L 20.46, D 21, E 27 — 4, too few.
- Lost: C and G from Discover, I from Validate.
- Closed deals that left Discover: C, D, E, G, I, K, L, N (won: D, E, K, L, N). Pain confirmed before leaving:
  C, E, K, L (3 of 4 won) vs D, G, I, N (2 of 4). Decision maker named: C, G, I, D (1 of 4) vs E, K, L, N (4 of 4).
  Budget: never confirmed (8 deals). Validate (E, I, K, L) and Close (D, E, K, L): no criterion ever confirmed.
"""

from __future__ import annotations

import pytest

from bot.pipeline.observed import observed_report, propose_revision
from bot.pipeline.periods import parse_period
from bot.pipeline.scope import resolve_scope
from knowledge.process_map import validate_text
from tests.conftest import SMALL_PROCESS
from tests.pipeline.history import NOW
from tests.pipeline.test_reports import run

WIDE = parse_period("2026-07-01..2026-11-20")


def observed(runtime, history, min_sample: int):
    viewer = history.viewer(history.admin)
    with runtime.session() as s:
        scope = resolve_scope(session=s, viewer=viewer, company_timezone="UTC")
        return observed_report(session=s, viewer=viewer, process=runtime.process, scope=scope,
                               period=WIDE.resolve(NOW, scope.timezone), now=NOW, min_sample=min_sample)


def test_paths_days_and_losses_per_stage(runtime, closed_history):
    report = run(runtime, closed_history, "observed", viewer_rep=closed_history.admin, period=WIDE)
    assert report.details["paths"] == {"deals": 13, "followed": 10, "skipped": 2, "moved_back": 1}
    rows = {r["stage"]: r for r in report.rows}
    assert [(rows[k]["left"], rows[k]["median_days"], rows[k]["p75_days"], rows[k]["expected_days"],
             rows[k]["proposed_days"], rows[k]["lost"]) for k in ("discover", "validate", "close")] == [
        (13, 10.0, 19.0, 10, 10, 2), (6, 10.0, 15.0, 20, 10, 1), (4, None, None, 15, None, 0)]
    assert report.lines[0] == "Of 13 deals that moved: 10 followed the map (77%), 2 skipped a stage, 1 moved back"
    assert "Most deals are lost from Discover: 2 of 3 lost" in report.lines
    assert "Close: days in stage: too few deals: n=4" in report.lines


def test_exit_criteria_win_rates_confirmed_before_leaving_versus_not(runtime, closed_history):
    criteria = {c["criterion"]: c for c in observed(runtime, closed_history, min_sample=4).details["criteria"]}
    pain, named, budget = criteria["pain_confirmed"], criteria["decision_maker_named"], criteria["budget_confirmed"]
    assert (pain["confirmed"], pain["confirmed_won"], pain["not_confirmed"], pain["not_confirmed_won"]) == (4, 3, 4, 2)
    assert (pain["confirmed_win_rate"], pain["not_confirmed_win_rate"], pain["finding"]) == (0.75, 0.5, "predicts")
    assert (named["confirmed_win_rate"], named["not_confirmed_win_rate"], named["finding"]) == (0.25, 1.0,
                                                                                               "does not predict")
    assert (budget["confirmed"], budget["not_confirmed"], budget["finding"]) == (0, 8, "never confirmed")
    assert criteria["terms_agreed"]["not_confirmed"] == 4
    # At the default minimum of five deals per side nothing is claimed about pain or the decision maker.
    default = {c["criterion"]: c for c in observed(runtime, closed_history, min_sample=5).details["criteria"]}
    assert default["pain_confirmed"]["finding"] is None and default["pain_confirmed"]["confirmed_win_rate"] is None
    assert default["budget_confirmed"]["finding"] == "never confirmed"


def test_a_stage_no_deal_entered_is_named(runtime, closed_history):
    report = run(runtime, closed_history, "observed", viewer_rep=closed_history.admin, period=parse_period("2026-07"))
    assert report.details["unused_stages"] == ["validate", "close"]  # only G entered Discover in July
    assert "No deal entered Validate, Close in this period" in report.lines


def test_the_proposed_revision_is_a_valid_next_version(runtime, closed_history):
    report = observed(runtime, closed_history, min_sample=4)
    current = SMALL_PROCESS.read_text(encoding="utf-8")
    proposed = propose_revision(current, report)
    process, issues = validate_text(proposed, "proposed")
    assert process is not None, issues
    assert process.version == 2
    assert [s.expected_days for s in process.stages] == [10, 10, 21]  # close: median of 20.46 and 21 at n=4
    lines = proposed.splitlines()
    budget = lines.index("      - key: budget_confirmed")
    assert lines[budget - 1] == "      # observed: never confirmed before leaving the stage in 8 closed deals"
    named = lines.index("      - key: decision_maker_named")
    assert lines[named - 1] == ("      # observed: does not predict the outcome: 25% won when confirmed (4) "
                                "vs 100% when not (4)")
    assert "    expected_days: 10  # observed median 10.0 days over 6 stays (75% within 15.0); was 20" in lines
    # Everything else is as written: without the added lines and the changed values, the files agree.
    kept = [line for line in lines if not line.lstrip().startswith("#") and "expected_days" not in line
            and not line.startswith("version")]
    assert kept == [line for line in current.splitlines() if not line.lstrip().startswith("#")
                    and "expected_days" not in line and not line.startswith("version")]


def test_an_invalid_revision_is_refused(runtime, closed_history):
    report = observed(runtime, closed_history, min_sample=4)
    report.rows[0]["proposed_days"] = 0  # below the map's minimum of one day
    with pytest.raises(ValueError, match="not valid"):
        propose_revision(SMALL_PROCESS.read_text(encoding="utf-8"), report)
