"""Open deals a file does not date are not entered at the import's time as if new: they are in their stage
since an unknown date, left out of flow and time in stage (counted and said), and no report counts them
before they existed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.pipeline.periods import PeriodSpec
from bot.pipeline.reports import build_report
from bot.pipeline.scope import resolve_scope
from storage import reports as store
from storage.access import Viewer
from storage.models import Role
from storage.reports import ReportScope
from tests.importer.helpers import REPS_CSV, at, deal, run, timeline, write_csv
from tests.utils.factories import NOW

ADMIN = Viewer(rep_id=0, name="Admin", role=Role.admin, team_id=None)
HEADER = ["external_id", "name", "owner_email", "stage", "stage_entered_at"]
NOVEMBER = PeriodSpec("month", month=11, year=2026)  # NOW is 2026-11-20


@pytest.fixture
def imported(runtime, tmp_path):
    run(runtime, "reps", REPS_CSV)
    rows = [[f"U-{i}", f"Undated {i}", "ann@example.com", "discover", ""] for i in range(5)]
    rows.append(["D-1", "Dated", "ann@example.com", "discover", "2026-11-10"])
    summary = run(runtime, "deals", write_csv(tmp_path / "deals.csv", HEADER, rows))
    return runtime, summary


def _report(runtime, kind: str, now=NOW):
    with runtime.session() as session:
        scope = resolve_scope(session=session, viewer=ADMIN, company_timezone="UTC")
        return build_report(kind, session=session, viewer=ADMIN, process=runtime.process, scope=scope,
                            period=NOVEMBER.resolve(now, "UTC"), now=now)


def test_undated_deals_are_recorded_without_an_entry_and_counted(imported):
    runtime, summary = imported

    assert "5 new open deal(s) without a creation or stage-entry date: in their stage since an unknown date, " \
           "left out of flow and time in stage until they move" in summary.notes
    assert timeline(runtime, "U-0") == []
    assert deal(runtime, "U-0").undated is True and deal(runtime, "D-1").undated is None


def test_flow_counts_only_the_dated_deal_and_says_what_it_left_out(imported):
    runtime, _ = imported

    flow = _report(runtime, "flow")

    # Only D-1 entered discover in November; the 5 undated deals are not "5 entered this month".
    assert [(r["stage"], r["start"], r["entered"], r["left"], r["end"]) for r in flow.rows if r["stage"] == "discover"] \
        == [("discover", 0, 1, 0, 1)]
    assert "Left out: 5 open deals in their stage since an unknown date (imported without dates; they count " \
           "once they move)." in flow.notes
    with runtime.session() as session:  # read from the other side of the period, the same
        backward = store.flow_counts(session=session, viewer=ADMIN, scope=ReportScope(), start=at(2026, 11, 1),
                                     end=at(2026, 12, 1), direction="backward")
    assert [(f.stage_key, f.at_start, f.entered, f.left, f.at_end) for f in backward] == [("discover", 0, 1, 0, 1)]


def test_time_in_stage_is_never_negative_for_an_earlier_day(imported):
    runtime, _ = imported
    earlier = NOW - timedelta(days=332)

    with runtime.session() as session:
        now_dwell = store.open_dwell(session=session, viewer=ADMIN, scope=ReportScope(), now=NOW, expected_days={})
        then_dwell = store.open_dwell(session=session, viewer=ADMIN, scope=ReportScope(), now=earlier,
                                      expected_days={})

    # Today: only D-1, in discover since 2026-11-10 00:00 UTC; NOW is the 20th at 15:00: 10 days 15 hours.
    assert [(d.stage_key, d.count, round(d.mean_days, 3)) for d in now_dwell] == [("discover", 1, 10.625)]
    # 332 days earlier no deal was in its stage yet: none is counted, none with negative days.
    assert then_dwell == []


def test_status_for_an_earlier_day_counts_no_deal_that_did_not_exist_yet(imported):
    runtime, _ = imported

    assert [(r["stage"], r["deals"]) for r in _report(runtime, "status").rows if r["deals"]] == [
        ("discover", 6), ("total", 6)]
    # 2026-11-15: D-1 (created 11-10) existed; the undated deals were first seen on the 20th, at the import.
    assert [(r["stage"], r["deals"]) for r in _report(runtime, "status", now=at(2026, 11, 15)).rows if r["deals"]] \
        == [("discover", 1), ("total", 1)]


def test_an_undated_deal_that_moves_counts_from_its_move(imported, tmp_path):
    runtime, _ = imported
    run(runtime, "deals", write_csv(tmp_path / "move.csv", HEADER, [
        ["U-0", "Undated 0", "ann@example.com", "validate", "2026-11-18"]]))

    assert deal(runtime, "U-0").undated is None
    flow = {r["stage"]: (r["start"], r["entered"], r["left"], r["end"]) for r in _report(runtime, "flow").rows}
    # It entered validate on the 18th; its discover stay (of unknown start) is in no figure, so no exit either.
    assert flow["validate"] == (0, 1, 0, 1)
    assert flow["discover"] == (0, 1, 0, 1)
    assert "Left out: 4 open deals in their stage since an unknown date (imported without dates; they count " \
           "once they move)." in _report(runtime, "flow").notes
