"""Where imported rows come from: a *source*, for a file or a CRM alike.

The importer (``bot.importer.import_from``) checks rows and writes them all or none, one import at a
time per database. It does not know where rows come from: a **source** hands them over, with what it
knows about them. A CSV file is one source (``CsvSource`` in ``csvfile``); a CRM connector is another
(``RecordSource`` below, or a class of its own). Every source meets the same checks: required
fields, owners and stages that exist, amounts in the company currency, dates in a plausible window,
no control characters or over-long text, no duplicate ids, then an all-or-nothing write.

What a source gives (the ``Source`` protocol):

- ``name``: how messages name it: the file's path, "HubSpot".
- ``columns(kind, optional)``: which fields of ``kind`` (reps, deals, history: ``columns.FIELDS``) it
  gives, and what it calls each (error messages quote that name). A field it does not give leaves the
  stored value alone; an empty value means what a file's empty cell means. Raises ``ImportRejected``
  when a required field is missing.
- ``rows(columns, on_progress)``: the records, as ``Row(number, line, values, extra)``:
  ``number`` counts rows from 1; ``line`` says where the row is, for errors: a file's line number,
  or a text such as ``"deal 12345"`` (errors then read "deal 12345, field 'closedate': ...");
  ``values`` maps each field of ``columns`` to its value, ``""`` when empty. ``rows`` may be called
  twice (reps and history are checked whole, then written), and must give the same rows each time.
- ``typed``: False when values are text to parse (a file); True when they may already be typed:
  instants as ``datetime`` (aware; naive ones are in ``timezone``), days as ``date``, amounts as
  ``Decimal`` or ``int``. Text fields (ids, names, stages, owners, currency codes) are ``str`` either
  way, and a typed source may give any value as text, read as a file's cell would be.
- ``timezone``, ``date_format``: how to read times without a zone and dates that are not ISO 8601.
- ``stage_names(stage_keys)``: its own stage names -> a stage key of the map, "won" or "lost".
- ``size`` and ``parallel``: the total ``on_progress`` counts to (a file's bytes, a CRM's records),
  and whether ``rows`` may run in a forked child process while the importer writes (files of a few
  MB do: see ``pipeline``).
- ``lacks(field)``: how to say it does not give a field an option needs ("the file has no pipeline
  column ...").

Writing a CRM connector (what to implement):

1. Read the CRM (pages, rate limits, retries: all yours) and map each deal to a dict keyed by the
   deals fields: ``external_id`` (the CRM's id), ``name``, ``owner_email`` (an email, or the owner's
   CRM id, matched to a rep's ``crm_id`` -- bring the CRM's owners in as reps first, with ``crm_id``),
   ``stage`` (the CRM's stage id or label, made known through ``stage_names``), ``amount`` (Decimal)
   and ``currency`` (ISO code; without one an amount is in the company currency), ``created_at``
   (aware datetime), ``close_date`` (date), ``account``, ``next_step``, ``pipeline``... Leave out
   what a deal lacks: None and "" mean empty.
2. Hand them over as ``RecordSource(kind, name, records, fields=..., place=...)``: ``fields`` lists
   what you give, optionally with the CRM's own name of each ({"close_date": "closedate"}), which
   errors quote; ``place`` names a record in errors ("deal {external_id}"). Owners go the same way as
   kind "reps" (``email``, ``name``, ``crm_id``), stage changes as kind "history"
   (``deal_external_id``, ``from_stage``, ``to_stage``, ``changed_at``): a history is authoritative
   for the deals it names, so give each deal's whole stage history.
3. Import: ``import_from(runtime, kind, source, ImportOptions(...))`` for one source, or several in
   one transaction (a page's deals, then their history, then your own cursor in ``batch.session``)::

       with importing(runtime, ImportOptions(now=now, default_owner=...)) as batch:
           batch.run("deals", deals_source)
           batch.run("history", history_source)

   A wrong record raises ``ImportRejected`` (every problem, each naming its record, e.g. "deal 2004,
   field 'dealstage': unknown stage '1234567' ...") and nothing of the block is written; otherwise
   everything is committed and each ``run`` returns its counts. ``ImportOptions(dry_run=True)``
   checks and counts, then writes nothing. Imports wait for each other (one lock per database).
4. Test it with records in memory, as ``tests/importer/test_source_seam.py`` does: no file needed.

A source of another shape (a CRM's bulk export streamed from disk) implements ``Source`` itself;
``CsvSource`` is the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from string import Formatter
from typing import Any, NamedTuple, Protocol

from bot.core.errors import InvalidInput
from bot.importer.columns import FIELDS, ColumnMap
from bot.importer.report import ErrorLog, ImportRejected, RowError

Progress = Callable[[int], None]


class Row(NamedTuple):  # a tuple: cheapest to build 100,000s of times
    """One record: ``number`` is 1-based among the source's rows; ``line`` where it is (see the module's doc)."""

    number: int
    line: int | str  # a file's line number, or a place named in text ("deal 12345")
    values: dict[str, Any]
    extra: int = 0  # values past the header's last column (a ragged row): an error, see ``RowChecker.screen``


class Source(Protocol):
    """Rows for an import, and what the source knows about them (see the module's doc)."""

    name: str
    typed: bool
    timezone: str | None
    date_format: str | None
    size: int
    parallel: bool

    def columns(self, kind: str, optional: tuple[str, ...] = ()) -> ColumnMap: ...

    def rows(self, columns: ColumnMap, on_progress: Progress | None = None) -> Iterator[Row]: ...

    def stage_names(self, stage_keys: Sequence[str]) -> dict[str, str]: ...

    def lacks(self, field: str) -> str: ...


class RecordSource:
    """Typed records held or produced by the caller (a CRM connector, a test): no file, no text round trip.

    Args:
        kind: reps, deals or history.
        name: how messages name the source ("HubSpot").
        records: dicts keyed by field (see the module's doc): a sequence; a function giving a fresh
            iterable each time; or an iterable read once, as it comes (deals only: reps and history
            are read twice, checked whole and then written).
        fields: the fields the records give, as a sequence, or as {field: the CRM's name for it}.
        place: how errors name a record: a format of its values, e.g. "deal {external_id}".
        stage_names: the CRM's stage names or ids -> stage key of the map, "won" or "lost".
        timezone: zone of naive datetimes (None: UTC).
    """

    typed = True
    date_format = None
    parallel = False  # records arrive from the caller's memory: nothing to gain from a reader process

    def __init__(self, kind: str, name: str,
                 records: Sequence[Mapping[str, Any]] | Callable[[], Iterable[Mapping]] | Iterable[Mapping],
                 *, fields: Sequence[str] | Mapping[str, str], place: str = "record {number}",
                 stage_names: Mapping[str, str] | None = None, timezone: str | None = None):
        self.kind, self.name, self.place, self.timezone = kind, name, place, timezone
        self._records = records
        self._fields = dict(fields) if isinstance(fields, Mapping) else {field: field for field in fields}
        self._stage_names = dict(stage_names or {})
        self.size = len(records) if isinstance(records, Sequence) else 0
        self._read = False  # whether rows were read (a one-shot iterable cannot be read again)

    def columns(self, kind: str, optional: tuple[str, ...] = ()) -> ColumnMap:
        required, others = FIELDS[kind]
        problems = [f"{field!r} is not a {kind} field ({', '.join(required + others)})"
                    for field in self._fields if field not in required + others]
        missing = [field for field in required if field not in self._fields and field not in optional]
        named = {name for _, name, _, _ in Formatter().parse(self.place) if name}
        if unknown := sorted(named - set(self._fields) - {"number"}):
            problems.append(f"place {self.place!r} names {', '.join(unknown)}, which the records do not give")
        if missing:
            problems.append(f"{self.name} gives no {', '.join(missing)}; {kind} need them")
        if problems or kind != self.kind:
            problems += [] if kind == self.kind else [f"{self.name} gives {self.kind}, not {kind}"]
            log = ErrorLog()
            log.extend([RowError(0, "", "", problem) for problem in problems])
            raise ImportRejected(self.name, log)
        return ColumnMap(kind, {field: (index, name) for index, (field, name) in enumerate(self._fields.items())}, ())

    def rows(self, columns: ColumnMap, on_progress: Progress | None = None) -> Iterator[Row]:
        fields = tuple(columns.columns)
        place = self.place
        records = self._records() if callable(self._records) else self._records
        if not isinstance(records, Sequence) and self._read and not callable(self._records):
            raise InvalidInput(f"{self.name}: its records can be read only once, and {columns.kind} are read twice; "
                               "give a list, or a function giving them afresh")
        self._read = True
        number = 0
        for number, record in enumerate(records, 1):
            values = {field: "" if (value := record.get(field)) is None else value for field in fields}
            yield Row(number, place.format(number=number, **values), values)
            if on_progress is not None and number % 1000 == 0:
                on_progress(number)
        if on_progress is not None:
            on_progress(number)

    def stage_names(self, stage_keys: Sequence[str]) -> dict[str, str]:
        return self._stage_names

    def lacks(self, field: str) -> str:
        return f"{self.name} gives no {field}"


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Lists of up to ``size`` items, read lazily (itertools.batched arrives in Python 3.12)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
