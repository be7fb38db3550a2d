"""The ``changes`` report: how the pipeline closing in a period changed between two moments — a waterfall.

Pipeline closing in the period = open deals whose close date falls in the period's days (in the scope's
timezone) and whose forecast category is not omitted. Between the window's start and its end, every
deal that was in it, is in it, or passed through it lands in exactly one bucket per way it moved:

    at the start + new + pulled in − pushed out ± amount changes − won − lost − moved to omitted = at the end

by count (amount changes move no deal) and by amount. A deal leaves at its amount at the end of the
window, the difference from its amount at the start being an amount change; a deal enters at its amount
at the end. *New*: created in the window. *Pulled in*: there before, not in the period's pipeline then
(a close date elsewhere, closed and reopened, or omitted). *Pushed out*: still open, its close date moved
out of the period. A deal created and closed inside the window (created closed, say) enters and leaves:
new and won. States at the two moments come from the recorded changes (``bot.pipeline.as_of``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.text import money, plural
from bot.pipeline.as_of import Snapshot, snapshot
from bot.pipeline.categories import category_of
from bot.pipeline.periods import Period, PeriodSpec
from bot.pipeline.reports import Column, Report
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap
from storage import forecast as store
from storage.access import Viewer

# Waterfall steps in order, with the sign each moves the pipeline by.
STEPS = (("start", "At the start", 0), ("new", "New", 1), ("pulled_in", "Pulled in", 1),
         ("pushed_out", "Pushed out", -1), ("amount", "Amount changes", 1), ("won", "Won", -1), ("lost", "Lost", -1),
         ("omitted", "Moved to omitted", -1), ("end", "At the end", 0))
LABELS = {key: label for key, label, _ in STEPS}
NAMED_DEALS = 3  # deals named per step in the sentences
DEFAULT_WINDOW = PeriodSpec("days", days=7)
CLOSING = PeriodSpec("relative", unit="quarter", offset=0)


def closing_period(window: Period, timezone: str) -> Period:
    """The quarter the window ends in: the forecast period a "what changed since Monday" is about."""
    end = window.end - timedelta(microseconds=1) if not window.to_now else window.end
    return CLOSING.resolve(end, timezone)


def changes_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period,
                   now: datetime, closing: Period | None = None) -> Report:
    """The waterfall of the pipeline closing in ``closing`` (default: the quarter ``period`` ends in) from
    ``period``'s start to its end, for the scope, per rep and per team."""
    closing = closing or closing_period(period, scope.timezone)
    first, last = closing.first_day, closing.last_day
    t0, t1 = period.start, period.end
    deals = store.deals_open_between(session=session, viewer=viewer, scope=scope.filter, start=t0, end=t1)
    ids = [d.deal_id for d in deals]
    values = store.value_changes(session=session, deal_ids=ids, until=now)
    stages = store.stage_moves(session=session, deal_ids=ids, until=now)

    def counted(deal, snap: Snapshot) -> bool:
        return (snap.exists and snap.status == "open" and snap.close_date is not None
                and first <= snap.close_date <= last
                and category_of(process, snap.stage_key, deal.forecast_category) != "omitted")

    totals = _Buckets()
    by_rep: dict[str, _Buckets] = defaultdict(_Buckets)
    by_team: dict[str, _Buckets] = defaultdict(_Buckets)
    moved: dict[str, list[dict]] = defaultdict(list)
    for deal in deals:
        before = snapshot(deal, t0, values=values[deal.deal_id], stages=stages[deal.deal_id])
        after = snapshot(deal, t1, values=values[deal.deal_id], stages=stages[deal.deal_id])
        steps = _steps(before, after, counted(deal, before), counted(deal, after), first, last,
                       omitted=category_of(process, after.stage_key, deal.forecast_category) == "omitted")
        for buckets in (totals, by_rep[deal.owner_name], by_team[deal.team_name or "(no team)"]):
            for step, count, amount in steps:
                buckets.add(step, count, amount)
        for step, count, amount in steps:
            if step not in ("start", "end") and (count or amount):
                moved[step].append({"deal": deal.name, "owner": deal.owner_name, "amount": float(amount)})
    rows = totals.rows()
    window = f"{period.opening} → {'now' if period.to_now else _moment(t1)}"
    lines = [f"Closing in {closing.label}: {_count_amount(totals, 'start')} at the start ({period.opening}), "
             f"{_count_amount(totals, 'end')} {'now' if period.to_now else 'at the end'}"]
    for key, label, sign in STEPS[1:-1]:
        count, amount = totals.count[key], totals.amount[key]
        if not (count or amount):
            continue
        named = sorted(moved[key], key=lambda d: -abs(d["amount"]))[:NAMED_DEALS]
        what = (f"{label}: {'+' if amount >= 0 else '−'}{money(abs(amount))}" if key == "amount" else
                f"{label}: {plural(abs(count), 'deal')}, {'+' if sign > 0 else '−'}{money(abs(amount))}")
        lines.append(what + " (" + ", ".join(f"{d['deal']} {money(abs(d['amount']))}" for d in named)
                     + (", …" if len(moved[key]) > NAMED_DEALS else "") + ")")
    if len(by_rep) > 1 or scope.kind != "rep":
        lines.append("By rep: " + "; ".join(f"{name} {money(b.amount['start'])} → {money(b.amount['end'])}"
                                            for name, b in sorted(by_rep.items())))
    notes = [f"Pipeline closing in {closing.label} = open deals with a close date in it, not omitted. A deal "
             "leaves at its amount at the end; the difference from its amount at the start is an amount change."]
    columns = [Column("label", "Step"), Column("deals", "Deals", "int"), Column("amount", "Amount", "money")]
    return Report("changes", scope, period, columns, rows, lines, notes, details={
        "window": window, "closing": closing.to_json(),
        "by_rep": {name: b.rows() for name, b in sorted(by_rep.items())},
        "by_team": {name: b.rows() for name, b in sorted(by_team.items())},
        "deals": {key: moved[key] for key in LABELS if key in moved}})


def _steps(before: Snapshot, after: Snapshot, was_in: bool, is_in: bool, first, last, *, omitted: bool):
    """(step, count, signed amount) for one deal; see the module's rules."""
    a0, a1 = before.amount, after.amount
    steps = []
    if was_in:
        steps.append(("start", 1, a0))
    if is_in:
        steps.append(("end", 1, a1))
    entering = "new" if not before.exists else "pulled_in"
    if was_in and is_in:
        if a1 != a0:
            steps.append(("amount", 0, a1 - a0))
    elif was_in:
        steps.append((_leaving(after, first, last, omitted), -1, -a1))
        if a1 != a0:
            steps.append(("amount", 0, a1 - a0))
    elif is_in:
        steps.append((entering, 1, a1))
    elif (after.status in ("won", "lost") and not (before.exists and before.status != "open")
          and after.close_date is not None and first <= after.close_date <= last and not omitted):
        steps += [(entering, 1, a1), (after.status, -1, -a1)]  # came and went inside the window
    return steps


def _leaving(after: Snapshot, first, last, omitted: bool) -> str:
    if after.status in ("won", "lost"):
        return after.status
    if omitted and after.close_date is not None and first <= after.close_date <= last:
        return "omitted"
    return "pushed_out"


class _Buckets:
    def __init__(self):
        self.count: dict[str, int] = defaultdict(int)
        self.amount: dict = defaultdict(int)

    def add(self, step: str, count: int, amount) -> None:
        self.count[step] += count
        self.amount[step] += amount

    def rows(self) -> list[dict]:
        return [{"step": key, "label": label, "deals": self.count[key], "amount": float(self.amount[key])}
                for key, label, _ in STEPS]


def _count_amount(b: _Buckets, step: str) -> str:
    return f"{plural(b.count[step], 'deal')}, {money(b.amount[step])}"


def _moment(at: datetime) -> str:
    return f"{at:%b} {at.day}"
