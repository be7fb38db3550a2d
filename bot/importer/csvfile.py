"""CSV files as an import source: streamed as numbered rows of fields, without holding the file in memory."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path

from bot.core.errors import InvalidInput
from bot.importer.columns import ColumnMap, preset_stages, resolve_columns
from bot.importer.report import ErrorLog, ImportRejected, RowError
from bot.importer.source import Row

DEFAULT_ENCODING = "utf-8-sig"  # spreadsheet exports often start with a byte-order mark


class CsvSource:
    """A CSV file of reps, deals or history, as a ``source.Source``.

    Args:
        path: the file.
        encoding: its text encoding.
        preset: "hubspot" or "salesforce": the usual header names (and stage names) of those CRMs' exports.
        mapping: {file column: field} overriding the header names (and the preset's): ``--map``.
        file_mapping: the same from a mapping file named ``mapping_name``, which ``mapping`` overrides per field.
        stage_names: {stage as written in the file: stage key, won or lost}, for a CRM's own stage names.
        date_format: strptime format tried when a date is not ISO 8601 (e.g. "%m/%d/%Y").
        timezone: IANA zone of times written without one (CRM report exports use the user's zone).
    """

    typed = False
    parallel = True  # rows are read from the file: a forked reader process can read and check them

    def __init__(self, path: Path, *, encoding: str = DEFAULT_ENCODING, preset: str | None = None,
                 mapping: dict[str, str] | None = None, file_mapping: dict[str, str] | None = None,
                 mapping_name: str = "--mapping", stage_names: dict[str, str] | None = None,
                 date_format: str | None = None, timezone: str | None = None):
        self.path = Path(path)
        self.name = str(path)
        self.encoding, self.preset, self.date_format, self.timezone = encoding, preset, date_format, timezone
        self._mapping, self._file_mapping, self._mapping_name = mapping, file_mapping, mapping_name
        self._stage_names = stage_names or {}
        self._header: list[str] = []

    @property
    def size(self) -> int:
        """The file's size in bytes (what progress counts)."""
        return self.path.stat().st_size

    def columns(self, kind: str, optional: tuple[str, ...] = ()) -> ColumnMap:
        """The header matched to ``kind``'s fields (see ``resolve_columns``).

        Raises:
            ImportRejected: a required field has no column, or the mapping is wrong.
            InvalidInput: the file cannot be read.
        """
        self._header = read_header(self.path, encoding=self.encoding)
        columns, problems = resolve_columns(kind, self._header, preset=self.preset, mapping=self._mapping,
                                            file_mapping=self._file_mapping, mapping_name=self._mapping_name,
                                            optional=optional)
        if columns is None:
            log = ErrorLog()
            log.extend([RowError(0, 1, "", problem) for problem in problems])
            raise ImportRejected(self.name, log)
        return columns

    def rows(self, columns: ColumnMap, on_progress: Callable[[int], None] | None = None) -> Iterator[Row]:
        return read_rows(self.path, columns, encoding=self.encoding, on_bytes=on_progress)

    def stage_names(self, stage_keys: Sequence[str]) -> dict[str, str]:
        """The preset's stage names whose stage the map has, then the mapping file's."""
        return preset_stages(self.preset, list(stage_keys)) | self._stage_names

    def lacks(self, field: str) -> str:
        return (f"the file has no {field} column (its header: {', '.join(self._header)}); "
                f"use --map COLUMN={field}")


def read_header(path: Path, *, encoding: str = DEFAULT_ENCODING) -> list[str]:
    """The first row of the file.

    Raises:
        InvalidInput: the file is missing, empty or not text in ``encoding``.
    """
    for header in _records(path, encoding, None):
        return [name.strip() for name in header[1]]
    raise InvalidInput(f"{path}: the file is empty; a header row is needed")


def read_rows(path: Path, columns: ColumnMap, *, encoding: str = DEFAULT_ENCODING,
              on_bytes: Callable[[int], None] | None = None) -> Iterator[Row]:
    """The data rows after the header, each as {field: stripped text}; blank lines are skipped.

    ``on_bytes(position)`` is called now and then with how far into the file reading has got.
    """
    fields = tuple(columns.columns)
    indexes = [index for index, _ in columns.columns.values()]
    pick = itemgetter(*indexes) if len(indexes) > 1 else lambda values: (values[indexes[0]],)
    needed = max(indexes) + 1
    records = _records(path, encoding, on_bytes)
    header = next(records, None)
    width = len(header[1]) if header else 0
    number = 0
    joins = columns.joins
    row = tuple.__new__  # a Row without NamedTuple's __new__, a Python function: once per row
    for line, values in records:
        if not (values and values[0].strip()) and not "".join(values).strip():  # a blank line, or empty cells
            continue
        number += 1
        if len(values) < needed:  # a short row: its missing cells are empty
            values = values + [""] * (needed - len(values))
        cells = dict(zip(fields, map(str.strip, pick(values)), strict=True))
        # (empty trailing cells are harmless)
        extra = len(values) - width if len(values) > width and "".join(values[width:]).strip() else 0
        yield row(Row, (number, line, columns.join(cells) if joins else cells, extra))


def _records(path: Path, encoding: str, on_bytes: Callable[[int], None] | None) -> Iterator[tuple[int, list[str]]]:
    """(first line, values) per CSV record; ``on_bytes`` gets the byte position every 1,000 records."""
    try:
        handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed below, generator-owned)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror})") from None
    except LookupError:  # an unknown codec, or one that is not a text encoding ("hex")
        raise InvalidInput(f"--encoding {encoding}: not a text encoding Python knows; "
                           "try utf-8, cp1252, latin-1 or utf-16") from None
    with handle:
        reader = csv.reader(handle, delimiter=_delimiter(path, handle), strict=True)
        last_line = 0
        try:
            for count, values in enumerate(reader, 1):
                yield last_line + 1, values
                last_line = reader.line_num
                if on_bytes is not None and count % 1000 == 0:
                    on_bytes(handle.buffer.tell())
        except UnicodeDecodeError:
            line = _undecodable_line(path, encoding)
            raise InvalidInput(f"{path}: {f'line {line}' if line else 'the file'} is not {encoding} text; "
                               "say which encoding the file uses with --encoding") from None
        except UnicodeError as exc:  # the codec refused the file as a whole ("UTF-16 stream does not start with BOM")
            raise InvalidInput(f"{path}: not {encoding} text ({exc}); say which encoding the file uses with "
                               "--encoding (utf-8 is the default)") from None
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise InvalidInput(f"{path}: line {last_line + 1}: a quoted value starts here and is never closed "
                                   '(a missing "); close the quote, or double a quote inside a value ("")') from None
            raise InvalidInput(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    if on_bytes is not None:
        on_bytes(path.stat().st_size)


def _delimiter(path: Path, handle) -> str:
    """The file's delimiter: ',' unless its header line holds more ';' (spreadsheets in many locales
    export so) or tabs than commas. Leaves ``handle`` at the start."""
    try:
        first = handle.readline()
    except UnicodeError:
        first = ""  # reported with its line when the rows are read
    handle.seek(0)
    counts = {delimiter: first.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _undecodable_line(path: Path, encoding: str) -> int:
    """The first file line that does not decode (text is decoded in chunks, so the reader cannot say)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return 0

