"""Terminal output shared by the commands: Slack-style *bold* rendered as bold, progress on stderr."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

_BOLD = re.compile(r"\*([^*\n]+)\*")

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def print_answer(text: str) -> None:
    """Print a coach answer; markup-free so tags like [S1] or deal names with brackets print as they are."""
    out = Text()
    position = 0
    for match in _BOLD.finditer(text):
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


def interactive() -> bool:
    return sys.stdin.isatty()
