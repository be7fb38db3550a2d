"""Tables in Slack: the ``table`` block where it fits, else aligned monospace columns inside a code block.

Answers carry tables as typed data (``bot.coach.results.Table``: a title, columns
and rows of cells); numbers are right-aligned, text left-aligned. Slack's table block holds at most 100 rows
(the header is one) of at most 20 cells, and one table per message; a bigger table is rendered as before:
code blocks split across section blocks, between rows, the header repeated on each piece.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.coach.results import Table
from bot.slack.mrkdwn import SECTION_LIMIT, escape

CELL_LIMIT = 40  # wider cells are cut so a row stays on one line in Slack's message pane
FENCE = "```"
TABLE_ROWS = 100  # Slack's table block: rows, the header row included
TABLE_COLUMNS = 20  # and cells per row


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
    """Blocks for every table of an answer (none when it has no tables): each a title and a ``table`` block when
    it fits Slack's limits, else code blocks. A message holds one table block; ``blocks._pack`` keeps to it."""
    blocks: list[dict] = []
    for table in tables:
        native = table_block(table)
        if native is not None:
            if table.title:
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(table.title)}*"}})
            blocks.append(native)
        else:
            blocks += code_blocks(table)
    return blocks


def table_block(table: Table) -> dict | None:
    """Slack's ``table`` block for ``table``: raw text cells, numbers right-aligned, text wrapped; None when it
    has more rows or columns than the block holds."""
    columns, rows = list(table.columns), [list(r) for r in table.rows]
    if not columns or len(rows) + 1 > TABLE_ROWS or len(columns) > TABLE_COLUMNS:
        return None
    right = [bool(rows) and all(_numeric(row[i]) for row in rows if i < len(row)) for i in range(len(columns))]
    return {"type": "table",
            "column_settings": [{"align": "right"} if r else {"is_wrapped": True} for r in right],
            "rows": [[_raw(str(c)) for c in columns]] + [[_raw(_cell(v)) for v in row] for row in rows]}


def _raw(text: str) -> dict:
    return {"type": "raw_text", "text": text or "—"}  # Slack refuses an empty cell


def code_blocks(table: Table) -> list[dict]:
    """``table`` as aligned columns in code blocks, split between rows to fit section blocks."""
    blocks: list[dict] = []
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
