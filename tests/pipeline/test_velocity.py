"""The ``velocity`` report on ``history.py`` plus ``closed.py``, against figures computed by hand there.

Closed in October (UTC), everyone: C lost Oct 10, E won Oct 12, I lost Oct 25, K won Oct 21, L won Oct 31 23:00,
M won Oct 15 (created won), N won Oct 12 — 5 won, 2 lost. Won amounts 25k, 50k, 15k, 30k, 20k (mean 28,000).
Cycles (created → won): M 0, N 10, K 20, L 60 days 11 hours, E 72 — median 20, mean 162.4583 / 5 = 32.4917.
Open now: A, B, F, H, J. Velocity per day = 5 × 28,000 × 5/7 ÷ 32.4917 = 100,000 ÷ 32.4917 = 3,077.71 (× 30 = 92,331.37).
"""

from __future__ import annotations

import pytest

from bot.pipeline.periods import PeriodSpec, parse_period
from bot.pipeline.velocity import velocity_report
from tests.pipeline.test_reports import run


def figures(report) -> dict:
    return {r["figure"]: (r["value"], r["n"]) for r in report.rows}


def test_velocity_figures_for_october(runtime, closed_history):
    report = run(runtime, closed_history, "velocity", viewer_rep=closed_history.admin)
    got = figures(report)
    assert got["win_rate"] == (0.7143, 7)
    assert got["average_won_amount"] == (28_000, 5)
    assert got["cycle_median_days"] == (20.0, 5)
    assert got["cycle_mean_days"] == (32.5, 5)
    assert got["open_deals"] == (5, 5)
    assert got["velocity_per_day"] == (3077.71, 5)
    assert got["velocity_per_month"] == (92331.37, 5)
    assert report.lines[0] == "Win rate: 71% (5 won of 7 closed deals)"


def test_win_rate_by_stage_reached_counts_skips_and_leaves_out_deals_created_closed(runtime, closed_history):
    # October: C (discover), I (validate), E, K, L (close), N (discover, won from there); M has no stage.
    october = figures(run(runtime, closed_history, "velocity", viewer_rep=closed_history.admin))
    assert october["win_rate_from:discover"] == (0.6667, 6)
    assert october["win_rate_from:validate"] == (None, 4)
    # July to Nov 20 adds G (lost from discover) and D (skipped validate, won): validate reached by D, E, I, K, L.
    wide = figures(run(runtime, closed_history, "velocity", viewer_rep=closed_history.admin,
                       period=parse_period("2026-07-01..2026-11-20")))
    assert wide["win_rate"] == (0.6667, 9)
    assert wide["win_rate_from:discover"] == (0.625, 8)
    assert wide["win_rate_from:validate"] == (0.8, 5)
    assert wide["win_rate_from:close"] == (None, 4)


def test_below_the_minimum_sample_a_figure_is_not_claimed(runtime, history):
    # Only the base history: in October C and I were lost and E won — three deals.
    report = run(runtime, history, "velocity", viewer_rep=history.admin)
    rows = {r["figure"]: r for r in report.rows}
    assert (rows["win_rate"]["value"], rows["win_rate"]["shown"]) == (None, "too few deals: n=3")
    assert rows["cycle_median_days"]["shown"] == "too few deals: n=1"
    assert rows["velocity_per_day"]["value"] is None
    assert "Win rate: too few deals: n=3" in report.lines
    assert all(r["definition"] for r in report.rows)


def test_a_teams_timezone_moves_deals_closed_at_the_month_edge(runtime, closed_history):
    with runtime.session() as s:
        s.get(type(closed_history.east), closed_history.east.id).timezone = "Asia/Tokyo"
    # East (Alice, Bob) in Tokyo's October: C, I lost; E, K, M won; L's win is on Nov 1 there.
    got = figures(run(runtime, closed_history, "velocity"))
    assert got["win_rate"] == (0.6, 5)
    assert got["average_won_amount"] == (None, 3)


def test_a_smaller_minimum_sample_states_more(runtime, closed_history):
    from bot.pipeline.scope import resolve_scope
    from tests.pipeline.history import NOW
    viewer = closed_history.viewer(closed_history.admin)
    with runtime.session() as s:
        scope = resolve_scope(session=s, viewer=viewer, company_timezone="UTC")
        period = PeriodSpec("month", month=10, year=2026).resolve(NOW, scope.timezone)
        report = velocity_report(session=s, viewer=viewer, process=runtime.process, scope=scope, period=period,
                                 now=NOW, min_sample=3)
    assert figures(report)["win_rate_from:close"] == (1.0, 3)  # E, K, L all won
    assert figures(report)["win_rate_from:validate"] == (0.75, 4)  # E, K, L won; I lost
    with pytest.raises(KeyError):
        figures(report)["win_rate_from:propose"]
