"""The shape every import kind has: check rows (pass 1), then write them in batches (pass 2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.importer.columns import ColumnMap
from bot.importer.report import ImportSummary, RowError
from bot.importer.source import Row
from bot.importer.values import StageResolver


class ImportJob:
    """One import of one file inside one session; subclasses parse and write their kind of row.

    Two-pass jobs: pass 1 calls ``check`` per batch then ``check_end``; only if no error was found,
    pass 2 calls ``prepare``, ``write`` per batch and ``finish``. Single-pass jobs: ``check`` keeps the
    batch's valid records and ``write_checked`` writes them, until an error shows up; then
    ``check_end`` and ``finish``. Between batches a job keeps only key sets.
    """

    kind = ""
    single_pass = False

    def __init__(self, *, session: Session, columns: ColumnMap, stages: StageResolver, now: datetime,
                 date_format: str | None = None):
        self.session = session
        self.columns = columns
        self.stages = stages
        self.now = now
        self.date_format = date_format
        self.summary = ImportSummary(kind=self.kind)

    def given(self, field: str) -> bool:
        """Whether the file has a column for ``field`` (absent columns leave stored values alone)."""
        return field in self.columns.columns

    def error(self, row: Row, field: str, message: str) -> RowError:
        return RowError(row.number, row.line, self.columns.header_of(field), message)

    def cell(self, row: Row, field: str, parse: Callable[[str], Any], errors: list[RowError]) -> Any:
        """The parsed cell, None when empty; a parse failure is added to ``errors`` (and gives None)."""
        text = row.values.get(field, "")
        if not text:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            errors.append(self.error(row, field, str(exc)))
            return None

    def required(self, row: Row, field: str, errors: list[RowError]) -> str:
        text = row.values.get(field, "")
        if not text:
            errors.append(self.error(row, field, f"{field} is required"))
        return text

    def check(self, rows: list[Row]) -> list[RowError]:
        raise NotImplementedError

    def check_end(self) -> list[RowError]:
        """Errors only knowable once every row was seen (a manager defined later in the file...)."""
        return []

    def prepare(self) -> None:
        """Writes needed before the first batch."""

    def write(self, rows: list[Row]) -> None:
        """Pass 2 of a two-pass job."""
        raise NotImplementedError

    def write_checked(self) -> None:
        """Write the records the last ``check`` found valid (single-pass jobs)."""
        raise NotImplementedError

    def finish(self) -> ImportSummary:
        return self.summary
