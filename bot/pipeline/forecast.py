"""The ``forecast`` report: open deals closing in a period by forecast category, what is already won, and —
with a target for the scope and period — how far the pipeline covers what is left to win.

Categories: ``bot.pipeline.categories`` (the CRM's, else the stage's). Won: deals won in the period
(``closed_at`` in it). Coverage = open pipeline closing in the period (every category but omitted) ÷
(target − won); when won has reached the target, nothing is left to cover. The target is the rep's for a
rep's figures and the team's for a team's (``storage.targets``), set for exactly the period's days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bot.core.text import money, plural
from bot.pipeline.categories import NAMES, RULE, category_of
from bot.pipeline.periods import Period
from bot.pipeline.reports import Column, Report
from bot.pipeline.scope import Scope
from knowledge.process_map import FORECAST_CATEGORIES, ProcessMap
from storage import forecast as store
from storage import targets
from storage.access import Viewer


def forecast_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period,
                    now: datetime) -> Report:
    """The forecast for ``period``: open deals closing in it by category, won so far, and the target's coverage."""
    del now
    assert period.first_day is not None and period.last_day is not None
    totals = store.open_closing_between(session=session, viewer=viewer, scope=scope.filter, first=period.first_day,
                                        last=period.last_day)
    won = store.won_between(session=session, viewer=viewer, scope=scope.filter, start=period.start, end=period.end)
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    by_rep: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for t in totals:
        category = category_of(process, t.stage_key, t.forecast_category)
        counts[category] += t.count
        amounts[category] += t.amount
        by_rep[t.owner_name][category] += float(t.amount)
    for owner, (_, amount) in won.items():
        by_rep[owner]["won"] += float(amount)
    won_count = sum(n for n, _ in won.values())
    won_amount = sum((a for _, a in won.values()), Decimal(0))
    rows = [{"category": key, "label": NAMES[key], "deals": counts[key], "amount": float(amounts[key])}
            for key in FORECAST_CATEGORIES]
    open_amount = sum(amounts[key] for key in FORECAST_CATEGORIES if key != "omitted")
    open_count = sum(counts[key] for key in FORECAST_CATEGORIES if key != "omitted")
    rows.append({"category": "open", "label": "Open pipeline (not omitted)", "deals": open_count,
                 "amount": float(open_amount)})
    rows.append({"category": "won", "label": "Won", "deals": won_count, "amount": float(won_amount)})
    lines = [f"{period.label}: {money(won_amount)} won ({plural(won_count, 'deal')}); open and closing in it "
             + ", ".join(f"{NAMES[key].lower()} {money(amounts[key])}" for key in FORECAST_CATEGORIES if key != "omitted")
             + f" — {money(open_amount)} in {plural(open_count, 'deal')}"
             + (f" (and {money(amounts['omitted'])} omitted)" if counts["omitted"] else "")]
    if len(by_rep) > 1 or (by_rep and scope.kind != "rep"):
        lines.append("By rep: " + "; ".join(
            f"{name} won {money(r['won'])}, commit {money(r['commit'])}, best case {money(r['best_case'])}, "
            f"pipeline {money(r['pipeline'])}" for name, r in sorted(by_rep.items())))
    target = _target(session, viewer, scope, period)
    left = target - won_amount if target is not None else None
    coverage = round(float(open_amount / left), 2) if left is not None and left > 0 else None
    if target is None:
        lines.append(f"No target is set for {scope.label} for {period.label}: a manager can set one in chat "
                     f"(\"set Alice's {period.label} target to 300k\") or with stagecoach import targets.")
    elif left is not None and left <= 0:
        lines.append(f"Target {money(target)} reached: {money(won_amount)} won.")
    else:
        lines.append(f"Target {money(target)}: {money(won_amount)} won, {money(left)} to go; the open pipeline "
                     f"closing in {period.label} ({money(open_amount)}) covers it {coverage:.2f}×")
    notes = [f"Forecast category {RULE}. Won = won in {period.label}. Coverage = open pipeline closing in the "
             "period ÷ (target − won)."]
    columns = [Column("label", "Category"), Column("deals", "Deals", "int"), Column("amount", "Amount", "money")]
    return Report("forecast", scope, period, columns, rows, lines, notes, details={
        "won": float(won_amount), "open": float(open_amount),
        "target": float(target) if target is not None else None,
        "left": float(left) if left is not None else None, "coverage": coverage,
        "by_rep": {name: {k: round(r[k], 2) for k in (*FORECAST_CATEGORIES, "won")} for name, r in sorted(by_rep.items())}})


def _target(session: Session, viewer: Viewer, scope: Scope, period: Period) -> Decimal | None:
    """The rep's or the team's target for exactly the period's days; None for everyone's figures or none set."""
    assert period.first_day is not None and period.last_day is not None
    if scope.kind == "rep" and scope.filter.rep_id is not None:
        holder = {"rep_id": scope.filter.rep_id}
    elif scope.kind == "team" and (scope.filter.team_id or viewer.team_id) is not None:
        holder = {"team_id": scope.filter.team_id or viewer.team_id}
    else:
        return None
    return targets.target_amount(session=session, first_day=period.first_day, last_day=period.last_day, **holder)
