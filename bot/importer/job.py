"""The shape every import kind has: check rows (pass 1), then write them in batches (pass 2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.importer.columns import ColumnMap
from bot.importer.options import ImportOptions
from bot.importer.plausible import LIMITS, DateWindow, control_message, has_control
from bot.importer.report import ImportSummary, RowError
from bot.importer.source import Row, batched
from bot.importer.values import Cells, StageResolver, text_cells


class RowChecker:
    """Reading fields of rows and naming their problems, with the source's own column names.

    ``cells`` reads the source's values (text, or already typed: see ``values.Cells``); ``typed`` says
    values may be other than text. Needs no database, so a single-pass job's checker can run in a
    child process (see ``pipeline``).
    """

    window: DateWindow | None = None  # dates beyond it are errors (set by ``import_from``; None: not checked)

    def __init__(self, columns: ColumnMap, cells: Cells | None = None, typed: bool = False):
        self.columns = columns
        self.cells = cells or text_cells()
        self.typed = typed
        self.limits = tuple(LIMITS.get(columns.kind, {}).items())

    def screen(self, row: Row, errors: list[RowError]) -> None:
        """Add the row's control characters and over-long cells to ``errors`` (see ``plausible``)."""
        values = row.values
        if self.typed:  # only text can hold control characters or be too long
            values = {field: value for field, value in values.items() if value.__class__ is str}
        if row.extra:
            errors.append(RowError(row.number, row.line, "", f"{row.extra} value(s) past the header's last column "
                                                              "(a value with a comma or ';' that is not quoted?)"))
        if has_control("".join(values.values())):
            errors.extend(self.error(row, field, control_message(text))
                          for field, text in values.items() if has_control(text))
        for field, limit in self.limits:
            if len(values.get(field, "")) > limit:
                errors.append(self.error(row, field, f"{field} is {len(values[field])} characters long; "
                                                     f"at most {limit} fit"))

    def plausible(self, row: Row, field: str, value: datetime | date | None, errors: list[RowError], *,
                  future: bool) -> None:
        """Add an error when ``value`` lies outside the import's date window."""
        if value is not None and self.window is not None and (problem := self.window.problem(value, future=future)):
            errors.append(self.error(row, field, problem))

    def given(self, field: str) -> bool:
        """Whether the source gives ``field`` (absent fields leave stored values alone)."""
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


class ImportJob(RowChecker):
    """One import of one source inside one session; subclasses parse and write their kind of row.

    Two-pass jobs: pass 1 calls ``check`` per batch then ``check_end``; only if no error was found,
    pass 2 calls ``prepare``, ``write`` per batch and ``finish``. Single-pass jobs: per batch,
    ``checker.check(rows)`` gives the valid records and the errors, and ``write_records`` writes the
    records until an error shows up; then ``check_end`` and ``finish``. The checker needs no
    database, so it can run in a child process (see ``pipeline``). Between batches a job keeps only key sets.
    """

    kind = ""
    single_pass = False

    def __init__(self, *, session: Session, columns: ColumnMap, stages: StageResolver, now: datetime,
                 cells: Cells | None = None, typed: bool = False, options: ImportOptions | None = None):
        super().__init__(columns, cells, typed)
        self.options = options or ImportOptions()
        self.session = session
        self.stages = stages
        self.now = now
        self.summary = ImportSummary(kind=self.kind)

    checker: RowChecker  # single-pass jobs

    def check(self, rows: list[Row]) -> list[RowError]:
        """Pass 1 of a two-pass job."""
        raise NotImplementedError

    def check_end(self) -> list[RowError]:
        """Errors only knowable once every row was seen (a manager defined later in the source...)."""
        return []

    def prepare(self) -> None:
        """Writes needed before the first batch."""

    def written_batches(self, rows: Callable[[], Iterator[Row]], batch_size: int) -> Iterator[list]:
        """What pass 2 hands ``write``, a batch at a time: the source's rows (``rows()``) read again."""
        return batched(rows(), batch_size)

    def write(self, rows: list[Row]) -> None:
        """Pass 2 of a two-pass job."""
        raise NotImplementedError

    def packer(self) -> Callable[[list, bool], Any] | None:
        """A function, needing no database, of a batch ``checker.check`` found valid and a flag, giving
        what a reader process sends in the batch's place (see ``pipeline``): plain values, cheaper to
        send than the records, and when the flag is true with the writes the job can prepare ahead.
        ``write_records`` takes its result. None: the records are sent as they are."""
        return None

    def packing_ahead(self) -> bool:
        """Whether preparing writes ahead still pays, judging by the batches written so far (``packer``'s flag)."""
        return False

    def write_records(self, records: Any) -> None:
        """Write records ``checker.check`` found valid, as it gave them or as ``packer`` packed them (single-pass jobs)."""
        raise NotImplementedError

    def finish(self) -> ImportSummary:
        return self.summary
