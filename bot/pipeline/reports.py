"""The six pipeline reports: figures from ``storage.reports``, arranged in map order and phrased for managers.

Each builder returns a ``Report``: columns, rows (plain JSON values), and sentences a
manager would say ("Validate: began October with 4, 3 entered, 1 left, ended with 6").
Rendering as text, Block Kit or a chart happens elsewhere; nothing here is worded by an LLM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.core.text import money, plural
from bot.pipeline.periods import Period
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap
from storage import reports as store
from storage.access import Viewer

REPORTS = ("status", "flow", "time", "stuck", "conversion", "bottlenecks", "velocity", "observed", "warnings",
           "slippage", "changes", "forecast")
TITLES = {"status": "Pipeline by stage", "flow": "Stage flow", "time": "Time in stage", "stuck": "Stuck deals",
          "conversion": "Stage conversion", "bottlenecks": "Bottlenecks", "velocity": "Win rate, cycle and velocity",
          "observed": "The process as it really runs", "warnings": "Deal warnings",
          "slippage": "Slipped deals", "changes": "Forecast changes",
          "forecast": "Forecast"}
STUCK_LIMIT = 15
TOP_CRITERIA = 3
MAX_BOTTLENECKS = 3


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text, int, money, pct, days, ratio


@dataclass
class Report:
    """One report's figures, ready to render: every value in ``rows`` is a JSON scalar."""

    kind: str
    scope: Scope
    period: Period | None
    columns: list[Column]
    rows: list[dict]
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_out: int = 0  # deals closed in the period with no stage history: in no stage figure
    details: dict = field(default_factory=dict)  # figures beyond the table (JSON values), by name

    @property
    def title(self) -> str:
        when = f", {self.period.label}" if self.period else ", now"
        return f"{TITLES[self.kind]} — {self.scope.label}{when}"

    def to_json(self) -> dict:
        return {"report": self.kind, "title": self.title, "scope": self.scope.to_json(),
                "period": self.period.to_json() if self.period else None,
                "columns": [c.key for c in self.columns], "rows": self.rows, "lines": self.lines, "notes": self.notes,
                "left_out": self.left_out, **({"details": self.details} if self.details else {})}


def _ordered(process: ProcessMap, keys) -> list[str]:
    """Every stage of the map in order; stages it no longer has (old history) follow, alphabetically."""
    return process.stage_keys + sorted(set(keys) - set(process.stage_keys))


def _name(process: ProcessMap, key: str) -> str:
    stage = process.stage(key)
    return stage.name if stage else f"{key} (not in map)"


def _expected(process: ProcessMap) -> dict[str, int]:
    return {s.key: s.expected_days for s in process.stages}


def _pct(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _days(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _left_out(report: Report, *, session: Session, viewer: Viewer) -> Report:
    """Say how many deals the period's stage figures leave out: closed, with no known stage before closing."""
    assert report.period is not None
    n = store.closed_without_history(session=session, viewer=viewer, scope=report.scope.filter,
                                     start=report.period.start, end=report.period.end)
    report.left_out = n
    if n:
        report.notes.append(f"Left out: {plural(n, 'deal')} closed in this period with no stage history "
                            "(import their history to count them).")
    undated = store.undated_open_deals(session=session, viewer=viewer, scope=report.scope.filter)
    if undated:
        report.notes.append(f"Left out: {plural(undated, 'open deal')} in their stage since an unknown date "
                            "(imported without dates; they count once they move).")
    return report


def status_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope,
                  now: datetime | None = None) -> Report:
    """Open deals per stage now: count, total amount, amount weighted by the stage's probability.

    With ``now`` (a report for an earlier day), deals created after it are left out.
    """
    totals = {t.stage_key: t for t in store.status_totals(session=session, viewer=viewer, scope=scope.filter,
                                                          now=now)}
    rows, lines = [], []
    for key in _ordered(process, totals):
        t = totals.get(key)
        stage = process.stage(key)
        count, amount = (t.count, t.amount) if t else (0, 0)
        probability = stage.probability if stage else None
        weighted = float(amount) * probability if probability is not None else None
        rows.append({"stage": key, "stage_name": _name(process, key), "deals": count, "amount": float(amount),
                     "probability": probability, "weighted": round(weighted, 2) if weighted is not None else None})
        if count:
            lines.append(f"{_name(process, key)}: {plural(count, 'open deal')}, {money(amount)}"
                         + (f" ({money(weighted)} weighted at {probability:.0%})" if weighted is not None else ""))
    total_deals = sum(r["deals"] for r in rows)
    total_amount = sum(r["amount"] for r in rows)
    weighted_total = sum(r["weighted"] or 0 for r in rows)
    rows.append({"stage": "total", "stage_name": "Total", "deals": total_deals, "amount": round(total_amount, 2),
                 "probability": None, "weighted": round(weighted_total, 2)})
    columns = [Column("stage_name", "Stage"), Column("deals", "Deals", "int"), Column("amount", "Amount", "money"),
               Column("weighted", "Weighted", "money")]
    notes = [] if total_deals else ["No open deals."]
    return Report("status", scope, None, columns, rows, lines, notes)


def flow_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period) -> Report:
    """Per stage: in it at the start, entered, left, in it at the end (start + entered - left = end)."""
    counts = {f.stage_key: f for f in store.flow_counts(session=session, viewer=viewer, scope=scope.filter,
                                                         start=period.start, end=period.end)}
    rows, lines = [], []
    for key in _ordered(process, counts):
        f = counts.get(key) or store.FlowCount(key, 0, 0, 0, 0)
        if key not in process.stage_keys and not (f.at_start or f.entered or f.left or f.at_end):
            continue
        rows.append({"stage": key, "stage_name": _name(process, key), "start": f.at_start, "entered": f.entered,
                     "left": f.left, "end": f.at_end})
        ending = f"{f.at_end} now" if period.to_now else f"ended with {f.at_end}"
        lines.append(f"{_name(process, key)}: began {period.opening} with {f.at_start}, {f.entered} entered, "
                     f"{f.left} left, {ending}")
    columns = [Column("stage_name", "Stage"), Column("start", "Start", "int"), Column("entered", "In", "int"),
               Column("left", "Out", "int"), Column("end", "Now" if period.to_now else "End", "int")]
    return _left_out(Report("flow", scope, period, columns, rows, lines), session=session, viewer=viewer)


def time_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period,
                now: datetime) -> Report:
    """Mean and median days for stays that ended in the period, and the current dwell of open deals."""
    left = {d.stage_key: d for d in store.left_dwell(session=session, viewer=viewer, scope=scope.filter,
                                                       start=period.start, end=period.end)}
    open_ = {o.stage_key: o for o in store.open_dwell(session=session, viewer=viewer, scope=scope.filter, now=now,
                                                       expected_days=_expected(process))}
    rows, lines = [], []
    for key in _ordered(process, left.keys() | open_.keys()):
        d, o, stage = left.get(key), open_.get(key), process.stage(key)
        rows.append({"stage": key, "stage_name": _name(process, key), "left": d.count if d else 0,
                     "mean_days": _days(d.mean_days) if d else None, "median_days": _days(d.median_days) if d else None,
                     "expected_days": stage.expected_days if stage else None, "open": o.count if o else 0,
                     "open_mean_days": _days(o.mean_days) if o else None, "over_expected": o.over_expected if o else 0})
        parts = []
        if d:
            parts.append(f"{d.count} left after a median of {d.median_days:.1f} days (mean {d.mean_days:.1f})")
        if o:
            parts.append(f"{o.count} open for {o.mean_days:.1f} days on average"
                         + (f", {o.over_expected} over the expected {stage.expected_days}" if stage else ""))
        if parts:
            lines.append(f"{_name(process, key)}: " + "; ".join(parts))
    columns = [Column("stage_name", "Stage"), Column("left", "Left", "int"), Column("median_days", "Median", "days"),
               Column("mean_days", "Mean", "days"), Column("expected_days", "Exp", "int"),
               Column("open", "Open", "int"), Column("open_mean_days", "Dwell", "days"),
               Column("over_expected", "Over", "int")]
    return _left_out(Report("time", scope, period, columns, rows, lines), session=session, viewer=viewer)


def stuck_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, now: datetime,
                 limit: int = STUCK_LIMIT) -> Report:
    """Open deals over their stage's expected days, most overdue first, with owner and unmet exit criteria."""
    total, stuck = store.stuck_deals(session=session, viewer=viewer, scope=scope.filter, now=now,
                                     expected_days=_expected(process), limit=limit)
    met = store.met_criteria(session=session, deal_ids=[s.deal_id for s in stuck])
    rows, lines = [], []
    for s in stuck:
        stage = process.stage(s.stage_key)
        unmet = [c for c in stage.exit_criteria if (s.stage_key, c.key) not in met[s.deal_id]] if stage else []
        rows.append({"deal_id": s.deal_id, "external_id": s.external_id, "deal": s.name, "account": s.account,
                     "owner": s.owner_name, "stage": s.stage_key, "stage_name": _name(process, s.stage_key),
                     "amount": float(s.amount), "days_in_stage": int(s.days_in_stage), "days_over": int(s.days_over),
                     "unmet": [c.key for c in unmet], "unmet_text": [c.text for c in unmet]})
        open_criteria = f"unmet: {'; '.join(c.text for c in unmet)}" if unmet else "every exit criterion met: ready to advance"
        lines.append(f"{s.name} ({s.owner_name}) — {_name(process, s.stage_key)}, {int(s.days_in_stage)} days "
                     f"({int(s.days_over)} over); {open_criteria}")
    columns = [Column("deal", "Deal"), Column("owner", "Owner"), Column("stage_name", "Stage"),
               Column("days_in_stage", "Days", "int"), Column("days_over", "Over", "int"),
               Column("amount", "Amount", "money")]
    notes = [f"Showing {len(stuck)} of {total} stuck deals."] if total > len(stuck) else []
    if not total:
        notes.append("No open deal is over its stage's expected days.")
    return Report("stuck", scope, None, columns, rows, lines, notes)


def conversion_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope,
                      period: Period) -> Report:
    """Of the deals that entered each stage in the period, the share that advanced (see ``conversion_counts``)."""
    counts = {c.stage_key: c for c in store.conversion_counts(session=session, viewer=viewer, scope=scope.filter,
                                                               start=period.start, end=period.end,
                                                               stage_order=process.stage_keys)}
    rows, lines = [], []
    for key in process.stage_keys:
        c = counts.get(key) or store.ConversionCount(key, 0, 0, 0, 0, 0)
        target = process.next_stage(key)
        rate = _pct(c.advanced, c.entered)
        rows.append({"stage": key, "stage_name": _name(process, key), "next": target.key if target else "won",
                     "entered": c.entered, "advanced": c.advanced, "lost": c.lost, "still": c.still_in_stage,
                     "other": c.other, "conversion": rate})
        if c.entered:
            arrow = f"{_name(process, key)} → {target.name if target else 'Won'}"
            extra = [f"{c.lost} lost"] + ([f"{c.still_in_stage} still in {_name(process, key)}"] if c.still_in_stage else [])
            extra += [f"{c.other} moved back"] if c.other else []
            lines.append(f"{arrow}: {c.advanced} of {c.entered} advanced ({rate:.0%}), " + ", ".join(extra))
    columns = [Column("stage_name", "Stage"), Column("entered", "In", "int"), Column("advanced", "Adv", "int"),
               Column("lost", "Lost", "int"), Column("still", "Still", "int"), Column("conversion", "Conv", "pct")]
    return _left_out(Report("conversion", scope, period, columns, rows, lines,
                            ["Advanced = moved to a later stage (skips count) or won, at any time since entering."]),
                     session=session, viewer=viewer)


def bottleneck_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period,
                      now: datetime) -> Report:
    """Stages where deals convert least or dwell longest over expectation, and the exit criteria most often
    unmet among each such stage's stuck deals and deals lost from it in the period.

    A stage is flagged for conversion below the mean of the stages' conversions, and for a
    median stay (of deals that left it in the period) longer than its expected days, or more
    than half its open deals over expectation. Flagged stages are ranked by the number of
    flags, then lowest conversion, then the largest dwell ratio; the first three are detailed.
    """
    conv = {r["stage"]: r for r in conversion_report(session=session, viewer=viewer, process=process, scope=scope,
                                                     period=period).rows}
    times = {r["stage"]: r for r in time_report(session=session, viewer=viewer, process=process, scope=scope,
                                               period=period, now=now).rows}
    rates = [r["conversion"] for r in conv.values() if r["conversion"] is not None]
    mean_rate = sum(rates) / len(rates) if rates else None
    rows = []
    for stage in process.stages:
        c, t = conv[stage.key], times.get(stage.key, {})
        ratio = round(t["median_days"] / stage.expected_days, 2) if t.get("median_days") is not None else None
        flags = []
        if c["conversion"] is not None and mean_rate is not None and c["conversion"] < mean_rate:
            flags.append("low conversion")
        if (ratio is not None and ratio > 1) or (t.get("open") and t["over_expected"] * 2 > t["open"]):
            flags.append("slow")
        rows.append({"stage": stage.key, "stage_name": stage.name, "conversion": c["conversion"],
                     "median_days": t.get("median_days"), "expected_days": stage.expected_days, "dwell_ratio": ratio,
                     "stuck": t.get("over_expected", 0), "flags": flags, "top_unmet": []})
    flagged = sorted((r for r in rows if r["flags"]),
                     key=lambda r: (-len(r["flags"]), r["conversion"] if r["conversion"] is not None else 2,
                                    -(r["dwell_ratio"] or 0)))[:MAX_BOTTLENECKS]
    lines = []
    for r in flagged:
        stage = process.stage(r["stage"])
        unmet = store.unmet_among_stuck_and_lost(
            session=session, viewer=viewer, scope=scope.filter, stage_key=stage.key,
            criteria=[c.key for c in stage.exit_criteria], now=now, expected_days=stage.expected_days,
            start=period.start, end=period.end)
        top = sorted(((n, c) for c in stage.exit_criteria if (n := unmet.unmet[c.key])), key=lambda p: -p[0])[:TOP_CRITERIA]
        r["top_unmet"] = [{"criterion": c.key, "text": c.text, "deals": n} for n, c in top]
        r["stuck_and_lost"] = {"stuck": unmet.stuck, "lost": unmet.lost, "deals": unmet.deals}
        lines.append(_bottleneck_line(r, unmet, top))
    columns = [Column("stage_name", "Stage"), Column("conversion", "Conv", "pct"),
               Column("median_days", "Median", "days"), Column("expected_days", "Exp", "int"),
               Column("stuck", "Stuck", "int"), Column("flag", "Flag")]
    for r in rows:
        r["flag"] = ", ".join(r["flags"])
    notes = [] if flagged else ["No stage stands out: conversion and time in stage are in line."]
    return _left_out(Report("bottlenecks", scope, period, columns, rows, lines, notes), session=session, viewer=viewer)


def _bottleneck_line(row: dict, unmet: store.UnmetCount, top: list) -> str:
    facts = []
    if row["conversion"] is not None:
        facts.append(f"{row['conversion']:.0%} advance")
    if row["median_days"] is not None:
        facts.append(f"median {row['median_days']:.1f} days vs {row['expected_days']} expected")
    if row["stuck"]:
        facts.append(f"{row['stuck']} stuck now")
    line = f"{row['stage_name']} ({', '.join(row['flags'])}): " + "; ".join(facts)
    if unmet.deals:
        named = "; ".join(f"{c.text} ({n} of {unmet.deals})" for n, c in top) or "none"
        line += f". Most often unmet among {unmet.stuck} stuck and {unmet.lost} lost: {named}"
    return line


def build_report(kind: str, *, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope,
                 period: Period, now: datetime, closing: Period | None = None) -> Report:
    """Any report by name; ``status``, ``stuck`` and ``warnings`` are as of now and ignore the period.
    ``closing``: for ``changes``, the period whose pipeline is compared (default: the quarter ``period`` ends in)."""
    if kind == "changes":
        from bot.pipeline.changes import changes_report
        return changes_report(session=session, viewer=viewer, process=process, scope=scope, period=period, now=now,
                              closing=closing)
    if kind == "status":
        return status_report(session=session, viewer=viewer, process=process, scope=scope, now=now)
    if kind == "stuck":
        return stuck_report(session=session, viewer=viewer, process=process, scope=scope, now=now)
    if kind in ("time", "bottlenecks"):
        builder = time_report if kind == "time" else bottleneck_report
        return builder(session=session, viewer=viewer, process=process, scope=scope, period=period, now=now)
    if kind == "flow":
        return flow_report(session=session, viewer=viewer, process=process, scope=scope, period=period)
    if kind == "conversion":
        return conversion_report(session=session, viewer=viewer, process=process, scope=scope, period=period)
    if kind in ("velocity", "observed", "warnings", "slippage", "forecast"):
        # Imported here: those modules build on this one's Report and helpers.
        from bot.pipeline.deal_warnings import warnings_report
        from bot.pipeline.forecast import forecast_report
        from bot.pipeline.observed import observed_report
        from bot.pipeline.slippage import slippage_report
        from bot.pipeline.velocity import velocity_report
        builder = {"velocity": velocity_report, "observed": observed_report, "warnings": warnings_report,
                   "slippage": slippage_report, "forecast": forecast_report}[kind]
        return builder(session=session, viewer=viewer, process=process, scope=scope, period=period, now=now)
    raise ValueError(f"unknown report {kind!r}; one of {', '.join(REPORTS)}")
