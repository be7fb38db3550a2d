"""What an import says back: every row error (capped when shown) and the created/updated/unchanged counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.errors import InvalidInput

SHOWN_ERRORS = 50


@dataclass(frozen=True)
class RowError:
    """One problem in the file; ``row`` is the 1-based data row, ``line`` the file line it starts on.

    ``row`` and ``line`` are 0 for problems of the file as a whole (a missing column).
    """

    row: int
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row} (line {self.line})" if self.row else "header"
        column = f", column {self.column!r}" if self.column else ""
        return f"{where}{column}: {self.message}"


@dataclass
class ErrorLog:
    """Counts every error but keeps only the first few, so a broken million-row file costs no memory."""

    keep: int = SHOWN_ERRORS
    count: int = 0
    kept: list[RowError] = field(default_factory=list)

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.kept) < self.keep:
            self.kept.append(error)

    def extend(self, errors: list[RowError]) -> None:
        for error in errors:
            self.add(error)

    def __bool__(self) -> bool:
        return self.count > 0


class ImportRejected(InvalidInput):
    """The file has errors; nothing was written. ``errors`` holds the first ones, ``error_count`` all."""

    def __init__(self, path: str, log: ErrorLog):
        self.errors = list(log.kept)
        self.error_count = log.count
        problems = [str(e) for e in log.kept]
        if log.count > len(log.kept):
            problems.append(f"... and {log.count - len(log.kept)} more error(s)")
        super().__init__(f"{path}: {log.count} error(s); nothing was imported", problems)


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
