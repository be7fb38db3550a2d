"""Terminal output shared by the commands: the CLI renderer of an answer's words, progress on stderr."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

from bot.coach.rich import Doc, Mark

_MRKDWN_BOLD = re.compile(r"\*([^*\n]+)\*")

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)

# A status mark as a terminal shows it: a sign before the line (after it for CELEBRATE) and the line's colour.
MARKS = {Mark.OVERDUE: ("!", "bold red"), Mark.DUE_TODAY: ("›", "yellow"), Mark.READY: ("✓", "green"),
         Mark.HEADS_UP: ("?", "magenta"), Mark.TIP: ("›", "cyan"), Mark.CELEBRATE: ("✓", "green")}


def answer_text(document: Doc) -> Text:
    """An answer's words as styled terminal text: strong spans in bold, marked lines in colour.

    Built span by span (never parsed as markup), so tags like [S1] or deal names with brackets print as they are.
    """
    out = Text()
    for i, item in enumerate(document.lines):
        if i:
            out.append("\n\n" if item.gap else "\n")
        sign, colour = MARKS[item.mark] if item.mark else ("", None)
        out.append(" " * item.indent + (f"{item.prefix} " if item.prefix else ""))
        if sign and not item.mark.trails:
            out.append(f"{sign} ", style=colour)
        for span in item.spans:
            out.append(span.text, style=" ".join(s for s in ("bold" if span.strong else "", colour or "") if s) or None)
        if sign and item.mark.trails:
            out.append(f" {sign}", style=colour)
    return out


def print_answer(answer: Doc | str, freshness: str | None = None) -> None:
    """Print a coach answer's words (or a plain message, such as what a confirmed write recorded), then its
    ``freshness`` line ("deal data last synced 3 h ago"), dim, when there is one."""
    out = answer_text(answer) if isinstance(answer, Doc) else Text(answer)
    if freshness:
        out.append("\n" + freshness, style="dim")
    console.print(out)


def print_mrkdwn(text: str) -> None:
    """Print a Slack message's mrkdwn as the terminal's preview of it (the digest's dry run): ``*bold*`` in bold.

    Coach answers never come this way: they are typed, and ``print_answer`` renders their words.
    """
    out = Text()
    position = 0
    for match in _MRKDWN_BOLD.finditer(text):
        out.append(text[position:match.start()])
        out.append(match.group(1), style="bold")
        position = match.end()
    out.append(text[position:])
    console.print(out)


@contextmanager
def step(message: str) -> Iterator[None]:
    """A 'doing X… done' line on stderr for long work."""
    err_console.print(f"[cyan]›[/cyan] {message}…")
    yield


@contextmanager
def progress_on_stderr(label: str, line: Callable[[int, int], str]) -> Iterator[Callable[[int, int], None]]:
    """A progress callback (done, total): a bar labelled ``label`` in a terminal, else a plain ``line(done,
    total)`` per call (logs, CI, pipes). Always on stderr, so stdout stays the command's result (``--json``)."""
    if not err_console.is_terminal:
        yield lambda done, total: err_console.print(line(done, total), markup=False, soft_wrap=True)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def interactive() -> bool:
    return sys.stdin.isatty()
