"""What an import says back: every row error (capped when shown) and the created/updated/unchanged counts."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.errors import InvalidInput

SHOWN_ERRORS = 50
EXAMPLES_PER_KIND = 3  # a problem repeated on many rows is shown this often, then summarised once
_MAX_KINDS = 200
_MAX_VALUES = 1000
_QUOTED = re.compile(r"'[^']*'")
# strptime formats CRM exports write dates in, most common first; day-first ones after their month-first twin.
_DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %I:%M %p",
                 "%d/%m/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%m/%d/%y", "%d/%m/%y",
                 "%d.%m.%Y", "%d.%m.%Y %H:%M", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%d-%m-%Y", "%m-%d-%Y",
                 "%d %b %Y", "%b %d, %Y", "%d-%b-%Y")


@dataclass(frozen=True)
class RowError:
    """One problem in the source; ``row`` is the 1-based data row, ``line`` where it is: the file line it
    starts on, or a place named in text by a source without lines ("deal 12345").

    ``row`` is 0 for problems of the source as a whole (a missing column).
    """

    row: int
    line: int | str
    column: str
    message: str

    def __str__(self) -> str:
        if isinstance(self.line, str):  # a record of a source without lines: "deal 12345, field 'amount': ..."
            where, column = (self.line if self.row else "fields"), f", field {self.column!r}" if self.column else ""
        else:
            where, column = (f"row {self.row} (line {self.line})" if self.row else "header",
                             f", column {self.column!r}" if self.column else "")
        return f"{where}{column}: {self.message}"


@dataclass
class ErrorKind:
    """One problem as it repeats over rows: same column, same message but for the values it quotes."""

    column: str
    pattern: str
    count: int = 0
    examples: list[RowError] = field(default_factory=list)
    values: Counter = field(default_factory=Counter)  # the first value each message quotes -> rows

    def hint(self) -> str | None:
        """The likely fix, for the problems that have one."""
        if self.pattern.startswith("not an ISO 8601 date"):
            return _date_format_hint(list(self.values))
        if self.pattern.startswith("unknown stage"):
            return _stages_snippet(self.values)
        return None


@dataclass
class ErrorLog:
    """Counts every error but keeps only the first few, so a broken million-row file costs no memory.

    Errors are also grouped by kind (``ErrorKind``), so a problem on 15,000 rows is told once, with
    its count and likely fix.
    """

    keep: int = SHOWN_ERRORS
    count: int = 0
    kept: list[RowError] = field(default_factory=list)
    kinds: dict[tuple[str, str], ErrorKind] = field(default_factory=dict)

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.kept) < self.keep:
            self.kept.append(error)
        key = (error.column, _QUOTED.sub("'…'", error.message))
        kind = self.kinds.get(key)
        if kind is None:
            if len(self.kinds) >= _MAX_KINDS:
                return
            kind = self.kinds[key] = ErrorKind(*key)
        kind.count += 1
        if len(kind.examples) < EXAMPLES_PER_KIND:
            kind.examples.append(error)
        quoted = _QUOTED.search(error.message)
        if quoted and (quoted.group() in kind.values or len(kind.values) < _MAX_VALUES):
            kind.values[quoted.group()[1:-1]] += 1

    def problems(self) -> list[str]:
        """What to show: each kind's first few errors, how many more there are like them, and the likely fix."""
        lines: list[str] = []
        shown = 0
        for kind in self.kinds.values():
            lines.extend(str(e) for e in kind.examples)
            shown += len(kind.examples)
            if kind.count > len(kind.examples):
                records = isinstance(kind.examples[0].line, str)  # a source without lines (a CRM's records)
                where = f"{'field' if records else 'column'} {kind.column!r}: " if kind.column else ""
                lines.append(f"... {kind.count} {'records' if records else 'rows'} in all with {where}{kind.pattern}")
            if (hint := kind.hint()) is not None:
                lines.append(hint)
        if self.count > shown and sum(k.count for k in self.kinds.values()) < self.count:
            lines.append(f"... and {self.count - sum(k.count for k in self.kinds.values())} more error(s)")
        return lines

    def extend(self, errors: list[RowError]) -> None:
        for error in errors:
            self.add(error)

    def __bool__(self) -> bool:
        return self.count > 0


class ImportRejected(InvalidInput):
    """The source has errors; nothing was written. ``errors`` holds the first ones, ``error_count`` all."""

    def __init__(self, source: str, log: ErrorLog):
        self.errors = list(log.kept)
        self.error_count = log.count
        super().__init__(f"{source}: {log.count} error(s); nothing was imported", log.problems())


@dataclass
class ImportSummary:
    """Outcome of an import: rows created, updated and unchanged, plus notes (ignored columns...)."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    checked_in_child: bool = False  # rows were read and checked in a child process while this one wrote
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        if self.kind == "history":
            text = f"{self.rows} rows: {self.created} stage changes created, {self.unchanged} already recorded"
        else:
            text = f"{self.rows} rows: {self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return ("dry run, nothing written: " + text) if self.dry_run else text


def _date_format_hint(samples: list[str]) -> str:
    """The --date-format that reads every sample, or how to find one."""
    fits = [fmt for fmt in _DATE_FORMATS if samples and all(_parses(text, fmt) for text in samples[:200])]
    if not fits:
        return "  fix: give the file's date format with --date-format, e.g. --date-format '%m/%d/%Y'"
    if len(fits) > 1 and fits[0].replace("%m/%d", "%d/%m") == fits[1]:
        return (f"  fix: add --date-format '{fits[0]}' (or '{fits[1]}' if the day comes first: "
                "no date in the file says which)")
    return f"  fix: add --date-format '{fits[0]}'"


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text.strip(), fmt)
    except ValueError:
        return False
    return True


def _stages_snippet(names: Counter) -> str:
    """A ``stages:`` section naming every unknown stage, to fill in and pass with --mapping."""
    lines = ["  fix: say what these stages are in a mapping file (--mapping FILE), each as a stage key of the "
             "map, won or lost:", "  stages:"]
    lines += [f"    {json.dumps(name, ensure_ascii=False)}: STAGE_KEY   # {n} row(s)" for name, n in names.most_common()]
    return "\n".join(lines)
