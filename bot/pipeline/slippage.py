"""The ``slippage`` report: deals whose close date was pushed out of a period, per deal, rep and team.

A deal *slipped* out of the period when a recorded change moved its close date from a day inside the
period (its local calendar days, in the scope's timezone) to a day after it — whenever the change was
made. For each such deal: how many times its close date was pushed (moved later) in all, and by how
many days in total, over every change recorded so far; moves to earlier days are not pushes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session

from bot.core.text import money, plural
from bot.pipeline.as_of import moves
from bot.pipeline.periods import Period
from bot.pipeline.reports import Column, Report
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap
from storage import forecast as store
from storage.access import Viewer

SLIPPAGE_LIMIT = 25


def slippage_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period,
                    now: datetime, limit: int = SLIPPAGE_LIMIT) -> Report:
    """Deals pushed out of ``period``, largest first, with the pushes behind each; totals per rep and team."""
    del process
    first, last = period.first_day, period.last_day
    assert first is not None and last is not None
    deals = store.deals_pushed_past(session=session, viewer=viewer, scope=scope.filter, after=last, until=now)
    changes = store.value_changes(session=session, deal_ids=[d.deal_id for d in deals], until=now,
                                  properties=("close_date",))
    rows = []
    for deal in deals:
        history = [m for m in moves(changes[deal.deal_id], "close_date") if m.old is not None and m.new is not None]
        out = [m for m in history if first <= m.old <= last < m.new]
        if not out:
            continue
        pushes = [m for m in history if m.new > m.old]
        rows.append({"deal_id": deal.deal_id, "external_id": deal.external_id, "deal": deal.name,
                     "owner": deal.owner_name, "team": deal.team_name, "status": deal.status,
                     "amount": float(deal.amount), "from": out[0].old.isoformat(),
                     "to": history[-1].new.isoformat(), "pushed_out_at": out[-1].at.isoformat(),
                     "pushes": len(pushes), "days": sum((m.new - m.old).days for m in pushes)})
    rows.sort(key=lambda r: (-r["amount"], -r["days"], r["deal"]))
    by_rep = _totals(rows, "owner")
    by_team = _totals(rows, "team")
    total_amount = sum(r["amount"] for r in rows)
    lines = []
    if rows:
        lines.append(f"{plural(len(rows), 'deal')} slipped out of {period.label}, {money(total_amount)}; "
                     f"{plural(sum(r['pushes'] for r in rows), 'push', 'pushes')} in all")
        if len(by_rep) > 1 or scope.kind != "rep":
            lines.append("By rep: " + "; ".join(f"{t['name']} {plural(t['deals'], 'deal')}, {money(t['amount'])}"
                                                 for t in by_rep))
        for r in rows[:limit]:
            lines.append(f"{r['deal']} ({r['owner']}): {_day(r['from'])} → {_day(r['to'])}, pushed "
                         f"{plural(r['pushes'], 'time')}, {plural(r['days'], 'day')} in all"
                         + (f" ({r['status']})" if r["status"] != "open" else ""))
    notes = [f"Slipped = the close date moved from a day in {period.label} to a later one; pushes and days count "
             "every move to a later close date recorded so far."]
    if len(rows) > limit:
        notes.insert(0, f"Showing {limit} of {len(rows)} slipped deals.")
    if not rows:
        notes.insert(0, f"No deal's close date was pushed out of {period.label}.")
    columns = [Column("deal", "Deal"), Column("owner", "Owner"), Column("amount", "Amount", "money"),
               Column("from", "From"), Column("to", "Now"), Column("pushes", "Pushes", "int"),
               Column("days", "Days", "int")]
    return Report("slippage", scope, period, columns, rows[:limit], lines, notes,
                  details={"total": len(rows), "amount": round(total_amount, 2), "by_rep": by_rep, "by_team": by_team})


def _totals(rows: list[dict], key: str) -> list[dict]:
    totals: dict[str, dict] = defaultdict(lambda: {"deals": 0, "amount": 0.0, "pushes": 0, "days": 0})
    for r in rows:
        t = totals[r[key] or "(no team)"]
        t["deals"] += 1
        t["amount"] += r["amount"]
        t["pushes"] += r["pushes"]
        t["days"] += r["days"]
    return sorted(({"name": name, **t, "amount": round(t["amount"], 2)} for name, t in totals.items()),
                  key=lambda t: (-t["amount"], t["name"]))


def _day(iso: str) -> str:
    day = datetime.fromisoformat(iso)
    return f"{day:%b} {day.day}, {day.year}"
