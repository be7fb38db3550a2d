"""Rich text without a surface: the coach's answers as lines of spans, each renderer turning them into its own.

An answer is a ``Doc``: lines, each with a prefix (a bullet, a number, an arrow), spans of which some
are strong, a blank line before it or not, and at most one status ``Mark`` (overdue, due today...).
Nothing here is Slack's or a terminal's syntax: Slack renders strong spans in mrkdwn and marks as
emoji (``bot/slack/blocks.py``), the CLI in bold and colour (``bot/cli/output.py``), and ``plain``
gives the text ``stagecoach ask --json``, the conversation history and the LLM read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum


class Mark(StrEnum):
    """What a line flags; each surface shows it its own way (an emoji in Slack, a colour in a terminal)."""

    OVERDUE = "overdue"  # a promise to the buyer already late
    DUE_TODAY = "due_today"
    READY = "ready"  # done, confirmed, recorded
    HEADS_UP = "heads_up"  # something that may be wrong with the deal
    TIP = "tip"  # a passage from the playbooks
    CELEBRATE = "celebrate"  # nothing left to chase

    @property
    def trails(self) -> bool:
        """Shown after the line's text rather than before it."""
        return self is Mark.CELEBRATE


@dataclass(frozen=True)
class Span:
    """A run of text; ``strong`` ones stand out (a title, a deal's name, a verdict)."""

    text: str
    strong: bool = False


@dataclass(frozen=True)
class Line:
    """One line: ``prefix`` ("•", "1.", "↳") and ``indent`` (spaces) before its spans; ``gap``: a blank line before it."""

    spans: tuple[Span, ...]
    prefix: str = ""
    indent: int = 0
    gap: bool = False
    mark: Mark | None = None

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Doc:
    """An answer's text: its lines in order."""

    lines: tuple[Line, ...] = ()

    def __add__(self, other: Doc) -> Doc:
        return Doc(self.lines + other.lines)

    @property
    def empty(self) -> bool:
        return not self.lines

    def plain(self) -> str:
        """The text without emphasis or marks: what ``ask --json`` shows and the LLM and the history read."""
        return render(self, lambda span: span.text, lambda mark, text: text)


Part = str | Span


def strong(text: str) -> Span:
    return Span(text, strong=True)


def line(*parts: Part, prefix: str = "", indent: int = 0, gap: bool = False, mark: Mark | None = None) -> Line:
    """A line of ``parts`` (plain strings or spans); empty strings are dropped."""
    spans = tuple(part if isinstance(part, Span) else Span(part) for part in parts if part)
    return Line(spans, prefix=prefix, indent=indent, gap=gap, mark=mark)


def bullet(*parts: Part, indent: int = 0) -> Line:
    return line(*parts, prefix="•", indent=indent)


def numbered(number: int, *parts: Part, gap: bool = False) -> Line:
    return line(*parts, prefix=f"{number}.", gap=gap)


def doc(*lines: Line | Iterable[Line]) -> Doc:
    """A document of lines (or iterables of lines, flattened)."""
    out: list[Line] = []
    for item in lines:
        out += [item] if isinstance(item, Line) else list(item)
    return Doc(tuple(out))


def text_lines(text: str, *, gap: bool = False) -> list[Line]:
    """Plain text (perhaps several lines, as a passage's excerpt or an LLM's answer) as lines of one span each."""
    rows = text.split("\n")
    out = []
    blank = gap
    for row in rows:
        if not row.strip():
            blank = True
            continue
        out.append(line(row, gap=blank))
        blank = False
    return out


def text_doc(text: str) -> Doc:
    return Doc(tuple(text_lines(text)))


def joined(docs: Sequence[Doc], separator: str | None = None) -> Doc:
    """``docs`` one after another, a blank line between them (and a ``separator`` line, e.g. "———", when given)."""
    out: list[Line] = []
    for i, part in enumerate(d for d in docs if not d.empty):
        if i and separator:
            out.append(line(separator, gap=True))
        lines = list(part.lines)
        if i:
            lines[0] = replace(lines[0], gap=True)
        out += lines
    return Doc(tuple(out))


def render(document: Doc, span_text, marked) -> str:
    """``document`` as text: ``span_text(span)`` for each span, ``marked(mark, text)`` for a marked line's text.

    Prefixes and indents are written as they are; a ``gap`` is a blank line.
    """
    rows = []
    for item in document.lines:
        body = "".join(span_text(span) for span in item.spans)
        if item.mark is not None:
            body = marked(item.mark, body)
        lead = " " * item.indent + (f"{item.prefix} " if item.prefix else "")
        rows.append(("\n" if item.gap and rows else "") + lead + body)
    return "\n".join(rows)
