"""The six reports on the small history of ``history.py``, against figures computed by hand there."""

from __future__ import annotations

import pytest

from bot.pipeline.reports import build_report
from bot.pipeline.scope import resolve_scope
from storage import reports as store
from storage.reports import ReportScope
from tests.pipeline.history import NOW, OCTOBER, at


def run(runtime, history, kind, viewer_rep=None, period=OCTOBER, **scope_args):
    viewer = history.viewer(viewer_rep or history.manager)
    with runtime.session() as s:
        scope = resolve_scope(session=s, viewer=viewer, company_timezone=runtime.settings.timezone, **scope_args)
        resolved = period.resolve(NOW, scope.timezone) if period else None
        return build_report(kind, session=s, viewer=viewer, process=runtime.process, scope=scope, period=resolved,
                            now=NOW)


def by_stage(report, *keys):
    return {r["stage"]: tuple(r[k] for k in keys) for r in report.rows}


def test_status_counts_amounts_and_weighted_for_the_managers_team(runtime, history):
    report = run(runtime, history, "status", period=None)
    assert by_stage(report, "deals", "amount", "weighted") == {
        "discover": (1, 5_000, 500), "validate": (2, 40_000, 16_000), "close": (1, 20_000, 16_000),
        "total": (4, 65_000, 32_500)}
    assert report.lines[1] == "Validate: 2 open deals, 40,000 (16,000 weighted at 40%)"


def test_admin_status_covers_every_team(runtime, history):
    report = run(runtime, history, "status", viewer_rep=history.admin, period=None)
    assert by_stage(report, "deals", "amount")["validate"] == (3, 47_000)
    assert by_stage(report, "deals")["total"] == (5,)


def test_stage_flow_in_october(runtime, history):
    report = run(runtime, history, "flow")
    assert by_stage(report, "start", "entered", "left", "end") == {
        "discover": (2, 3, 5, 0),   # B, H in; C, D, I entered; B, C, D, H, I left
        "validate": (1, 3, 2, 2),   # A in; B, H, I entered; B, I left
        "close": (1, 2, 1, 2),      # E in; D (skipping validate), B entered; E won
    }
    assert report.lines[0] == "Discover: began October with 2, 3 entered, 5 left, ended with 0"


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_flow_reads_the_same_from_either_side_of_the_period(runtime, history, direction):
    """Each direction is checked against the figures computed by hand, not against the code itself."""
    period = OCTOBER.resolve(NOW, "UTC")

    def counts(viewer, way):
        with runtime.session() as s:
            rows = store.flow_counts(session=s, viewer=viewer, scope=ReportScope(), start=period.start,
                                     end=period.end, direction=way)
        return {c.stage_key: (c.at_start, c.entered, c.left, c.at_end) for c in rows}

    manager = counts(history.viewer(history.manager), direction)
    assert {stage: manager[stage] for stage in ("discover", "validate", "close")} == {
        "discover": (2, 3, 5, 0), "validate": (1, 3, 2, 2), "close": (1, 2, 1, 2)}  # as in test_stage_flow_in_october
    admin = counts(history.viewer(history.admin), direction)
    assert (admin["discover"], admin["validate"]) == ((2, 4, 6, 0), (1, 4, 2, 3))  # as in test_admin_flow_...
    # Alice's figures have no hand count: the two directions read disjoint sets of changes, so they must agree.
    other = "backward" if direction == "forward" else "forward"
    alice = counts(history.viewer(history.alice), direction)
    assert alice and alice == counts(history.viewer(history.alice), other)


def test_admin_flow_includes_the_other_team(runtime, history):
    report = run(runtime, history, "flow", viewer_rep=history.admin)
    assert by_stage(report, "start", "entered", "left", "end")["discover"] == (2, 4, 6, 0)
    assert by_stage(report, "start", "entered", "left", "end")["validate"] == (1, 4, 2, 3)


def test_a_teams_timezone_moves_the_period_edges(runtime, history):
    with runtime.session() as s:
        s.get(type(history.east), history.east.id).timezone = "Asia/Tokyo"
    report = run(runtime, history, "flow")
    assert report.period.timezone == "Asia/Tokyo"
    assert report.period.start == at(9, 30, 15)
    # H moved to validate at 08:00 on Nov 1 in Tokyo: after October there.
    assert by_stage(report, "start", "entered", "left", "end") == {
        "discover": (2, 3, 4, 1), "validate": (1, 2, 2, 1), "close": (1, 2, 1, 2)}


def test_time_in_stage_mean_and_median_of_stays_that_ended_in_october(runtime, history):
    report = run(runtime, history, "time")
    rows = {r["stage"]: r for r in report.rows}
    # discover stays: I 6, C 7, D 7, B 25, H 33 days 11 hours
    assert (rows["discover"]["left"], rows["discover"]["median_days"], rows["discover"]["mean_days"]) == (5, 7.0, 15.7)
    assert (rows["validate"]["left"], rows["validate"]["median_days"], rows["validate"]["mean_days"]) == (2, 11.0, 11.0)
    assert (rows["close"]["left"], rows["close"]["median_days"], rows["close"]["mean_days"]) == (1, 27.0, 27.0)
    # open now: A 61.1 and H 19.7 days in validate (A over 20), B 31.1 in close, F 18.1 in discover
    assert (rows["validate"]["open"], rows["validate"]["open_mean_days"], rows["validate"]["over_expected"]) == (2, 40.4, 1)
    assert (rows["close"]["open"], rows["close"]["over_expected"]) == (1, 1)
    assert (rows["discover"]["open"], rows["discover"]["over_expected"]) == (1, 1)


def test_stuck_deals_most_overdue_first_with_unmet_criteria(runtime, history):
    report = run(runtime, history, "stuck", period=None)
    assert [(r["external_id"], r["owner"], r["days_in_stage"], r["days_over"]) for r in report.rows] == [
        ("D-A", "Alice Rep", 61, 41), ("D-B", "Alice Rep", 31, 16), ("D-F", "Bob Rep", 18, 8)]
    assert [r["unmet"] for r in report.rows] == [
        ["technical_fit_confirmed"], ["terms_agreed"],
        ["pain_confirmed", "budget_confirmed", "decision_maker_named"]]  # F's pain check was withdrawn


def test_conversion_of_deals_that_entered_in_october(runtime, history):
    report = run(runtime, history, "conversion")
    assert by_stage(report, "entered", "advanced", "lost", "still", "conversion") == {
        "discover": (3, 2, 1, 0, 0.6667),  # C lost; D skipped to close; I advanced
        "validate": (3, 1, 1, 1, 0.3333),  # B advanced; I lost; H still there
        "close": (2, 1, 0, 1, 0.5),        # D won in November; B still there
    }


def test_bottlenecks_rank_stages_and_name_the_most_unmet_criteria(runtime, history):
    report = run(runtime, history, "bottlenecks")
    rows = {r["stage"]: r for r in report.rows}
    assert rows["validate"]["flags"] == ["low conversion"]
    assert rows["close"]["flags"] == ["slow"]        # median 27 days against 15 expected
    assert rows["discover"]["flags"] == ["slow"]     # its one open deal is over 10 days
    assert report.lines[0].startswith("Validate (low conversion)")
    # Among A (stuck in validate) and I (lost from validate): nobody confirmed technical fit; A agreed success criteria.
    assert rows["validate"]["top_unmet"] == [
        {"criterion": "technical_fit_confirmed", "text": "Buyer's technical team confirmed fit", "deals": 2},
        {"criterion": "success_criteria_agreed", "text": "Buyer agreed on written success criteria", "deals": 1}]
    assert rows["validate"]["stuck_and_lost"] == {"stuck": 1, "lost": 1, "deals": 2}


def test_a_rep_gets_only_their_own_deals(runtime, history):
    report = run(runtime, history, "status", viewer_rep=history.alice, period=None)
    assert report.scope.label == "your deals"
    assert by_stage(report, "deals", "amount")["total"] == (2, 30_000)  # A and B
    flow = run(runtime, history, "flow", viewer_rep=history.alice)
    assert by_stage(flow, "start", "entered", "left", "end")["discover"] == (1, 2, 3, 0)  # B; C, D; B, C, D


def test_one_rep_for_a_manager(runtime, history):
    report = run(runtime, history, "stuck", period=None, rep="Bob")
    assert report.scope.label == "Bob Rep"
    assert [r["external_id"] for r in report.rows] == ["D-F"]
