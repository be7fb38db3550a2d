"""Tables that read well in Slack: aligned monospace columns inside a code block.

Answers carry tables as typed data (``bot.coach.results.Table``: a title, columns
and rows of cells); numbers are right-aligned, text left-aligned. Long tables split across section blocks,
between rows, each piece its own code block.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.coach.results import Table
from bot.slack.mrkdwn import SECTION_LIMIT, escape

CELL_LIMIT = 40  # wider cells are cut so a row stays on one line in Slack's message pane
FENCE = "```"


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return f"{value:,}"
    text = " ".join(str(value).split())
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"


def _numeric(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def table_lines(columns: list[str], rows: list[list]) -> list[str]:
    """The table as aligned text lines: header, rule, rows."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(str(c))] + [len(r[i]) for r in cells if i < len(r)]) for i, c in enumerate(columns)]
    right = [bool(rows) and all(_numeric(row[i]) for row in rows if i < len(row)) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        padded = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=False)]
        return "  ".join(padded).rstrip()

    return [line([str(c) for c in columns]), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def table_blocks(tables: Sequence[Table]) -> list[dict]:
    """Section blocks for every table of an answer (none when it has no tables)."""
    blocks: list[dict] = []
    for table in tables:
        lines = [escape(line) for line in table_lines(list(table.columns), [list(r) for r in table.rows])]
        title = f"*{escape(table.title)}*\n" if table.title else ""
        chunk: list[str] = []
        budget = SECTION_LIMIT - len(title) - 2 * len(FENCE) - 2
        for line in lines:
            if chunk and sum(len(x) + 1 for x in chunk) + len(line) > budget:
                blocks.append(_code(title, chunk))
                title, chunk = "", lines[:2]  # repeat the header on every piece
            chunk.append(line)
        if chunk:
            blocks.append(_code(title, chunk))
    return blocks


def _code(title: str, lines: list[str]) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"{title}{FENCE}\n" + "\n".join(lines) + f"\n{FENCE}"}}
