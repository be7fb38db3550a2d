"""Reports as compact text tables (terminal, Slack code blocks) and as Block Kit messages within Slack's limits."""

from __future__ import annotations

from bot.pipeline.reports import Report

CELL_WIDTH = 22           # long stage or deal names are cut so a table fits a phone screen
SECTION_LIMIT = 3000      # Slack's limit on a section's text
HEADER_LIMIT = 150        # Slack's limit on a header's text
LINES_IN_BLOCKS = 12
FENCE = "`" * 3


def cell(value, kind: str) -> str:
    """One value as shown in a table: counts plain, money with separators, shares as percentages."""
    if value is None:
        return "–"
    if kind == "int":
        return str(int(value))
    if kind == "money":
        return f"{float(value):,.0f}"
    if kind == "pct":
        return f"{float(value):.0%}"
    if kind == "days":
        return f"{float(value):.1f}"
    text = str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def table_text(report: Report, max_rows: int | None = None) -> str:
    """The report's rows as a monospace table, numbers right-aligned."""
    rows = report.rows if max_rows is None else report.rows[:max_rows]
    grid = [[c.header for c in report.columns]] + [[cell(r.get(c.key), c.kind) for c in report.columns] for r in rows]
    widths = [max(len(line[i]) for line in grid) for i in range(len(report.columns))]

    def render(line: list[str]) -> str:
        parts = [v.ljust(w) if c.kind == "text" else v.rjust(w) for v, w, c in zip(line, widths, report.columns, strict=True)]
        return "  ".join(parts).rstrip()

    out = [render(grid[0]), "  ".join("-" * w for w in widths)] + [render(line) for line in grid[1:]]
    if max_rows is not None and len(report.rows) > max_rows:
        out.append(f"… {len(report.rows) - max_rows} more")
    return "\n".join(out)


def report_text(report: Report) -> str:
    """Title, table, the manager's sentences and notes: what the terminal and a plain chat answer show."""
    parts = [report.title, "", table_text(report)]
    if report.lines:
        parts += [""] + [f"• {line}" for line in report.lines]
    if report.notes:
        parts += [""] + report.notes
    return "\n".join(parts)


def definitions_text(report: Report) -> str:
    """How each figure of the report is defined and how many deals it rests on (rows that carry a definition)."""
    lines = [f"{row.get('label', row.get('figure'))} (n={row['n']}): {row['definition']}"
             for row in report.rows if row.get("definition")]
    return "\n".join(["Definitions:"] + lines) if lines else "This report's figures carry no separate definitions."


def report_blocks(report: Report, intro: str | None = None) -> list[dict]:
    """A Block Kit message: header, the table as a code block, the sentences, and a context line."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": _cut(report.title, HEADER_LIMIT)}}]
    if intro:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(_mrkdwn(intro), SECTION_LIMIT)}})
    rows = len(report.rows)
    table = _mrkdwn(table_text(report))
    while len(table) + 6 > SECTION_LIMIT and rows > 1:  # drop rows until the code block fits
        rows -= 1
        table = _mrkdwn(table_text(report, max_rows=rows))
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"{FENCE}{table}{FENCE}"}})
    if report.lines:
        shown = report.lines[:LINES_IN_BLOCKS]
        text = "\n".join(f"• {_mrkdwn(line)}" for line in shown)
        if len(report.lines) > len(shown):
            text += f"\n… and {len(report.lines) - len(shown)} more"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}})
    context = list(report.notes)
    if report.period is not None:
        context.append(f"Period in {report.period.timezone}.")
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(_mrkdwn(" ".join(context)), SECTION_LIMIT)}]})
    return blocks


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> str:
    """Slack's control characters escaped, so a deal named "A<B>" cannot become a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(FENCE, "'" * 3)
