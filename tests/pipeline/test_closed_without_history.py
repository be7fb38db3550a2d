"""Closed deals imported with no history: only their close is recorded, and reports leave them out and say so.

Imported through the CSV importer (reps, deals, then a history for some deals), October 2026,
process tests/data/process_small.yaml: discover (10 days) → validate (20) → close (15).

    deal  history file                                              deals file only
    K     discover Oct 1, won Oct 11 (skips validate and close)
    L     discover Oct 2, validate Oct 6, won Oct 20 (skips close)
    M     discover Oct 3, close Oct 13 (skips validate), lost Oct 23
    N     discover Oct 5                                             (open on Nov 20: 46 days, over 10)
    P                                                               "Closed Won", closed Oct 15
    Q                                                               stage close, lost, closed Oct 20
    R                                                               won, last_stage validate, closed Oct 25
    S                                                               "Closed Won", closed Sep 10 (before October)

By hand, for October. Conversion (entries in October, then their next change):
    discover: K→won, L→validate, M→close advanced; N still: 3 of 4 (75%)
    validate: L→won: 1 of 1 (100%)
    close:    M→lost: 0 of 1 (0%), 1 lost
P, Q and R closed in October without any known stage entry: left out (3); S closed in September.
Bottlenecks: mean conversion (75% + 100% + 0%) / 3 = 58.3%; close is below it ("low conversion").
Medians of stays that ended in October: discover 10 days (K 10, L 4, M 10) vs 10 expected, not over;
but N, discover's one open deal, is over its 10 days: more than half, so discover is "slow".
validate 14 days (L) vs 20; close 10 days (M) vs 15.  Flagged: close (0%), then discover (75%).
Before the fix, P, Q and R were recorded as having entered close: close would read 4 entered, 2 advanced.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.pipeline.reports import build_report
from bot.pipeline.scope import resolve_scope
from storage.access import Viewer
from storage.models import DealStatus, Rep
from tests.importer.helpers import DEALS_HEADER, HISTORY_HEADER, REPS_CSV, at, deal, run, timeline, write_csv
from tests.pipeline.history import NOW, OCTOBER

LEFT_OUT = "Left out: 3 deals closed in this period with no stage history (import their history to count them)."


@pytest.fixture
def imported(runtime, tmp_path):
    run(runtime, "reps", REPS_CSV)
    owner = {"owner_email": "ann@example.com"}
    write_csv(tmp_path / "deals.csv", [*DEALS_HEADER, "last_stage"], [
        {"external_id": "K", "name": "K", "stage": "won", "created_at": "2026-10-01", "close_date": "2026-10-11", **owner},
        {"external_id": "L", "name": "L", "stage": "won", "created_at": "2026-10-02", "close_date": "2026-10-20", **owner},
        {"external_id": "M", "name": "M", "stage": "lost", "created_at": "2026-10-03", "close_date": "2026-10-23", **owner},
        {"external_id": "N", "name": "N", "stage": "discover", "created_at": "2026-10-05", **owner},
        {"external_id": "P", "name": "P", "stage": "Closed Won", "created_at": "2026-10-01",
         "close_date": "2026-10-15", **owner},
        {"external_id": "Q", "name": "Q", "stage": "close", "status": "lost", "created_at": "2026-10-02",
         "close_date": "2026-10-20", **owner},
        {"external_id": "R", "name": "R", "stage": "won", "last_stage": "Validate", "created_at": "2026-10-03",
         "close_date": "2026-10-25", **owner},
        {"external_id": "S", "name": "S", "stage": "Closed Won", "created_at": "2026-08-01",
         "close_date": "2026-09-10", **owner},
    ])
    write_csv(tmp_path / "history.csv", HISTORY_HEADER, [
        ["K", "", "discover", "2026-10-01"], ["K", "discover", "won", "2026-10-11"],
        ["L", "", "discover", "2026-10-02"], ["L", "discover", "validate", "2026-10-06"],
        ["L", "validate", "won", "2026-10-20"],
        ["M", "", "discover", "2026-10-03"], ["M", "discover", "close", "2026-10-13"],
        ["M", "close", "lost", "2026-10-23"],
        ["N", "", "discover", "2026-10-05"],
    ])
    run(runtime, "deals", tmp_path / "deals.csv")
    run(runtime, "history", tmp_path / "history.csv")
    return runtime


def report(runtime, kind):
    with runtime.session() as s:
        viewer = Viewer.of(s.exec(select(Rep).where(Rep.email == "zed@example.com")).one())
        scope = resolve_scope(session=s, viewer=viewer, company_timezone="UTC")
        return build_report(kind, session=s, viewer=viewer, process=runtime.process, scope=scope,
                            period=OCTOBER.resolve(NOW, scope.timezone), now=NOW)


def test_a_deal_imported_closed_records_only_its_close(imported):
    runtime = imported
    # No stage is known: only the close. The stage it closed from, when the file says so.
    assert timeline(runtime, "P") == [(None, "won", at(2026, 10, 15), "import-snapshot")]
    assert timeline(runtime, "Q") == [("close", "lost", at(2026, 10, 20), "import-snapshot")]
    assert timeline(runtime, "R") == [("validate", "won", at(2026, 10, 25), "import-snapshot")]
    r = deal(runtime, "R")
    assert (r.status, r.stage_key, r.closed_at) == (DealStatus.won, "validate", at(2026, 10, 25))
    # A history replaces what the deals file said.
    assert [t[:2] for t in timeline(runtime, "L")] == [(None, "discover"), ("discover", "validate"), ("validate", "won")]


def test_conversion_counts_known_moves_and_says_how_many_deals_it_left_out(imported):
    conversion = report(imported, "conversion")
    assert {r["stage"]: (r["entered"], r["advanced"], r["lost"], r["still"], r["conversion"])
            for r in conversion.rows} == {"discover": (4, 3, 0, 1, 0.75), "validate": (1, 1, 0, 0, 1.0),
                                          "close": (1, 0, 1, 0, 0.0)}
    assert conversion.left_out == 3
    assert LEFT_OUT in conversion.notes


def test_bottlenecks_blame_only_stages_deals_were_seen_in(imported):
    bottlenecks = report(imported, "bottlenecks")
    rows = {r["stage"]: r for r in bottlenecks.rows}
    assert {k: (r["conversion"], r["median_days"], r["flags"]) for k, r in rows.items()} == {
        "discover": (0.75, 10.0, ["slow"]), "validate": (1.0, 14.0, []), "close": (0.0, 10.0, ["low conversion"])}
    assert [line.split(" (")[0] for line in bottlenecks.lines] == ["Close", "Discover"]
    assert LEFT_OUT in bottlenecks.notes


@pytest.mark.parametrize("kind", ["flow", "time"])
def test_stage_flow_and_time_say_what_they_left_out(imported, kind):
    result = report(imported, kind)
    assert result.left_out == 3 and LEFT_OUT in result.notes
    if kind == "flow":
        # Nothing entered or left close in October but M: P, Q and R add nothing.
        assert {r["stage"]: (r["entered"], r["left"]) for r in result.rows}["close"] == (1, 1)
