"""The ``velocity`` report: win rate (overall and by stage reached), average won amount, sales cycle, velocity.

Every figure is a row with its definition and the number of deals behind it; a figure
resting on fewer than ``MIN_SAMPLE`` deals is not stated ("too few deals: n=3").
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.text import money, plural
from bot.pipeline.periods import Period
from bot.pipeline.reports import Column, Report
from bot.pipeline.samples import MIN_SAMPLE, enough, rate, too_few
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap
from storage import reports as store
from storage.access import Viewer

DAYS_PER_MONTH = 30  # velocity per month is per day × 30

DEFINITIONS = {
    "win_rate": "Deals won ÷ deals won or lost, among deals closed in the period.",
    "win_rate_from": "Of the deals closed in the period that ever reached {stage} (entered it or a later stage), "
                     "the share won.",
    "average_won_amount": "Mean amount of the deals won in the period.",
    "cycle_median_days": "Median days from a won deal's creation to its close, for deals won in the period.",
    "cycle_mean_days": "Mean days from a won deal's creation to its close, for deals won in the period.",
    "open_deals": "Open deals now.",
    "velocity_per_day": "Sales velocity: open deals × average won amount × win rate ÷ mean cycle days — "
                        "the amount the pipeline turns into won business per day at the period's rates.",
    "velocity_per_month": f"Sales velocity per day × {DAYS_PER_MONTH}.",
}


def _row(figure: str, label: str, value: float | None, n: int, shown: str, definition: str) -> dict:
    return {"figure": figure, "label": label, "value": value, "n": n, "shown": shown, "definition": definition}


def velocity_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period,
                    now: datetime, min_sample: int = MIN_SAMPLE) -> Report:
    """Win rate, win rate by stage reached, average won amount, cycle length and sales velocity for ``period``."""
    closed = store.closed_outcomes(session=session, viewer=viewer, scope=scope.filter, start=period.start,
                                   end=period.end)
    reached = store.furthest_stage_of_closed(session=session, viewer=viewer, scope=scope.filter, start=period.start,
                                             end=period.end, stage_order=process.stage_keys)
    open_deals = sum(t.count for t in store.status_totals(session=session, viewer=viewer, scope=scope.filter, now=now))
    decided = closed.won + closed.lost
    rows, lines = [], []

    win_rate = rate(closed.won, decided, min_sample)
    rows.append(_row("win_rate", "Win rate", win_rate, decided,
                     f"{win_rate:.0%}" if win_rate is not None else too_few(decided), DEFINITIONS["win_rate"]))
    lines.append(f"Win rate: {win_rate:.0%} ({closed.won} won of {plural(decided, 'closed deal')})"
                 if win_rate is not None else f"Win rate: {too_few(decided)}")
    for i, stage in enumerate(process.stages):
        deals = sum(r.deals for r in reached if r.furthest >= i)
        won = sum(r.won for r in reached if r.furthest >= i)
        share = rate(won, deals, min_sample)
        rows.append(_row(f"win_rate_from:{stage.key}", f"Win rate from {stage.name}", share, deals,
                         f"{share:.0%}" if share is not None else too_few(deals),
                         DEFINITIONS["win_rate_from"].format(stage=stage.name)))
        if deals:
            lines.append(f"From {stage.name}: " + (f"{share:.0%} won ({won} of {deals} that reached it)"
                                                   if share is not None else too_few(deals)))

    has_won = enough(closed.won, min_sample) and closed.won_amount_mean is not None
    average = round(closed.won_amount_mean, 2) if has_won and closed.won_amount_mean is not None else None
    median = round(closed.cycle_median_days, 1) if has_won and closed.cycle_median_days is not None else None
    mean = round(closed.cycle_mean_days, 1) if has_won and closed.cycle_mean_days is not None else None
    rows.append(_row("average_won_amount", "Average won amount", average, closed.won,
                     money(average) if average is not None else too_few(closed.won), DEFINITIONS["average_won_amount"]))
    rows.append(_row("cycle_median_days", "Sales cycle, median", median, closed.won,
                     f"{median:.1f} days" if median is not None else too_few(closed.won),
                     DEFINITIONS["cycle_median_days"]))
    rows.append(_row("cycle_mean_days", "Sales cycle, mean", mean, closed.won,
                     f"{mean:.1f} days" if mean is not None else too_few(closed.won), DEFINITIONS["cycle_mean_days"]))
    if average is not None and median is not None and mean is not None:
        lines.append(f"Won deals average {money(average)} and take a median of {median:.1f} days from creation to "
                     f"close (mean {mean:.1f}; {plural(closed.won, 'deal')})")
    else:
        lines.append(f"Average won amount and cycle length: {too_few(closed.won)} won")
    rows.append(_row("open_deals", "Open deals", open_deals, open_deals, str(open_deals), DEFINITIONS["open_deals"]))

    per_day = None
    if win_rate is not None and average is not None and closed.cycle_mean_days:
        # Unrounded inputs: the figure does not depend on how the others are shown.
        per_day = open_deals * closed.won_amount_mean * (closed.won / decided) / closed.cycle_mean_days
    missing = min(decided, closed.won)
    for figure, label, value in (("velocity_per_day", "Sales velocity per day", per_day),
                                 ("velocity_per_month", "Sales velocity per month",
                                  per_day * DAYS_PER_MONTH if per_day is not None else None)):
        rows.append(_row(figure, label, round(value, 2) if value is not None else None, missing,
                         money(value) if value is not None else too_few(missing), DEFINITIONS[figure]))
    if per_day is not None:
        lines.append(f"Sales velocity: {money(per_day)} a day, {money(per_day * DAYS_PER_MONTH)} a month "
                     f"({plural(open_deals, 'open deal')})")
    columns = [Column("label", "Figure"), Column("shown", "Value"), Column("n", "n", "int")]
    notes = [f"A figure resting on fewer than {min_sample} deals is not stated; each figure carries its definition "
             "(--explain in a terminal)."]
    return Report("velocity", scope, period, columns, rows, lines, notes)
