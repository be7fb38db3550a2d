"""The ``warnings`` report on ``history.py`` plus ``closed.py``, as of Nov 20 15:00 UTC, against figures by hand.

The team's usual stays (the last 180 days, from May 24: every stay of the fixtures; everyone): Discover's 75th percentile 19 days (13 stays), Validate's 15
(6 stays), Close too few (4). Open deals: A in Validate 61 days, H in Validate 19 days 16 hours, J in Validate
42 days (all over 15: stalled), B in Close (no percentile: never stalled), F in Discover 18 days (under 19).
Added here: B's close date Nov 1 (passed); activity on A Nov 1 (19 days quiet) and F Nov 15 (5 days); J has met
every Discover criterion. No other deal has an activity, so each is quiet since its creation.
"""

from __future__ import annotations

from datetime import date

from storage.models import Deal
from tests.pipeline.history import at
from tests.pipeline.test_reports import run
from tests.utils import factories as f


def test_warnings_with_their_reasons(runtime, closed_history):
    deals = closed_history.deals
    with runtime.session() as s:
        s.get(Deal, deals["B"].id).close_date = date(2026, 11, 1)
        f.activity(s, s.get(Deal, deals["A"].id), at(11, 1))
        f.activity(s, s.get(Deal, deals["F"].id), at(11, 15))
        for criterion in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
            f.check(s, s.get(Deal, deals["J"].id), criterion, stage="discover", at=at(10, 8))
    report = run(runtime, closed_history, "warnings", viewer_rep=closed_history.admin, period=None)
    assert [(r["external_id"], r["warnings"]) for r in report.rows] == [
        ("D-H", ["stalled", "no activity", "unmet criteria"]),            # 30,000
        ("D-B", ["close date passed", "no activity", "unmet criteria"]),  # 20,000
        ("D-A", ["stalled", "no activity", "unmet criteria"]),            # 10,000
        ("D-J", ["stalled", "no activity"]),                              # 7,000; F has no warning
    ]
    a = report.rows[2]
    assert a["reasons"] == [
        "61 days in Validate; the team's deals usually leave it within 15 (75th percentile of 6 stays)",
        "no activity for 19 days",
        "left Discover without: Buyer described the pain in their own words; Buyer confirmed a budget range; "
        "Buyer named who signs off"]
    b = report.rows[1]
    assert b["reasons"][:2] == ["close date Nov 01 has passed", "no activity recorded in the 71 days since it was created"]
    assert b["unmet"] == ["discover.pain_confirmed", "discover.budget_confirmed", "discover.decision_maker_named",
                          "validate.success_criteria_agreed", "validate.technical_fit_confirmed"]
    assert "Close too few deals: n=4" in report.notes[-1]


def test_a_rep_sees_warnings_on_their_own_deals_only(runtime, closed_history):
    # Alice's own stays: Discover K 5, C 7, D 7, A 19, B 25 (75th percentile 19); Validate and Close too few,
    # so neither of her open deals (A in Validate, B in Close) is called stalled.
    report = run(runtime, closed_history, "warnings", viewer_rep=closed_history.alice, period=None)
    assert [(r["external_id"], r["warnings"]) for r in report.rows] == [
        ("D-B", ["no activity", "unmet criteria"]), ("D-A", ["no activity", "unmet criteria"])]
    assert "Discover 19 days, Validate too few deals: n=2" in report.notes[-1]
