"""Charts for the status, stage-flow and forecast-changes reports, as PNG bytes for Slack to upload.

matplotlib with the Agg backend (no display); each chart is drawn on its own Figure
object, not pyplot's global state, so threads answering at once do not share one.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: servers have no display

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

from bot.pipeline.reports import Report  # noqa: E402

CHARTED = ("status", "flow", "changes")
DPI = 120
COLOURS = {"deals": "#4C78A8", "amount": "#9ECAE9", "weighted": "#F58518", "start": "#9ECAE9", "entered": "#54A24B", "left": "#E45756",
           "end": "#4C78A8", "up": "#54A24B", "down": "#E45756"}


def chart_png(report: Report | dict) -> bytes | None:
    """A PNG of a status, flow or changes report (a ``Report`` or its ``to_json()``); None for other reports or no data."""
    data = report.to_json() if isinstance(report, Report) else report
    kind, rows = data.get("report"), [r for r in data.get("rows", []) if r.get("stage") != "total"]
    if kind not in CHARTED or not rows:
        return None
    figure = Figure(figsize=(8, 3.6), dpi=DPI)
    if kind == "changes":
        if not any(r["amount"] for r in rows):
            return None
        _waterfall(figure.subplots(), rows)
        return _png(figure, data)
    names = [r["stage_name"] for r in rows]
    positions = list(range(len(rows)))
    if kind == "status":
        counts, money = figure.subplots(1, 2)
        _bars(counts, positions, [("deals", "Open deals", [r["deals"] for r in rows])], names, "Open deals")
        _bars(money, positions, [("amount", "Amount", [r["amount"] for r in rows]),
                                 ("weighted", "Weighted", [r["weighted"] or 0 for r in rows])], names, "Amount",
              counts=False)
        money.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")
    else:
        axes = figure.subplots()
        series = [(key, label, [r[key] for r in rows]) for key, label in
                  (("start", "At start"), ("entered", "Entered"), ("left", "Left"), ("end", "At end"))]
        _bars(axes, positions, series, names, "Deals")
    return _png(figure, data)


def _png(figure: Figure, data: dict) -> bytes:
    figure.suptitle(data.get("title", ""), fontsize="medium")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _waterfall(axes, rows: list[dict]) -> None:
    """The first and last steps as whole bars, each step between floating from where the one before ended."""
    level, positions = 0.0, list(range(len(rows)))
    for i, row in enumerate(rows):
        amount = row["amount"]
        if i in (0, len(rows) - 1):
            bottom, height, colour = 0.0, amount, COLOURS["end"]
            level = amount
        else:
            bottom, height = (level, amount) if amount >= 0 else (level + amount, -amount)
            colour = COLOURS["up" if amount >= 0 else "down"]
            level += amount
        bar = axes.bar([i], [height], 0.6, bottom=[bottom], color=colour)
        axes.bar_label(bar, labels=[f"{amount:+,.0f}" if 0 < i < len(rows) - 1 else f"{amount:,.0f}"],
                       fontsize="x-small")
    axes.set_xticks(positions, [r["label"] for r in rows], fontsize="x-small", rotation=20)
    axes.set_ylabel("Amount")
    axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")
    axes.margins(y=0.15)
    axes.spines[["top", "right"]].set_visible(False)


def _bars(axes, positions: list[int], series: list[tuple[str, str, list]], names: list[str], ylabel: str, *,
          counts: bool = True) -> None:
    """Grouped bars, one group per stage, each labelled with its value."""
    width = 0.8 / len(series)
    for i, (key, label, values) in enumerate(series):
        xs = [p - 0.4 + width * (i + 0.5) for p in positions]
        bars = axes.bar(xs, values, width, label=label, color=COLOURS[key])
        axes.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize="x-small")
    axes.set_xticks(positions, names, fontsize="small")
    axes.set_ylabel(ylabel)
    axes.margins(y=0.15)  # room for the value labels
    if counts:  # deal counts get whole-number ticks; money does not
        axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        axes.legend(loc="upper left", frameon=False, fontsize="x-small")
