"""Charts for the status and stage-flow reports, as PNG bytes for Slack to upload.

matplotlib with the Agg backend (no display); each chart is drawn on its own Figure
object, not pyplot's global state, so threads answering at once do not share one.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: servers have no display

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

from bot.pipeline.reports import Report  # noqa: E402

CHARTED = ("status", "flow")
DPI = 120
COLOURS = {"deals": "#4C78A8", "amount": "#9ECAE9", "weighted": "#F58518", "start": "#9ECAE9", "entered": "#54A24B", "left": "#E45756",
           "end": "#4C78A8"}


def chart_png(report: Report | dict) -> bytes | None:
    """A PNG of a status or flow report (a ``Report`` or its ``to_json()``); None for other reports or no data."""
    data = report.to_json() if isinstance(report, Report) else report
    kind, rows = data.get("report"), [r for r in data.get("rows", []) if r.get("stage") != "total"]
    if kind not in CHARTED or not rows:
        return None
    figure = Figure(figsize=(8, 3.6), dpi=DPI)
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
    figure.suptitle(data.get("title", ""), fontsize="medium")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


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
