"""Importing stage history: authoritative for the deals it names (see the stage-history contract).

For each deal the file names, its 'import-snapshot' changes go, the file's rows come in as
'import-history', a deal whose earliest change starts from a stage gets an 'import-origin' entry
into it, and the deal's stage, status and times are re-derived from its latest change.

CRM histories are read as exported: a row whose stage did not change (Salesforce's OpportunityHistory
has one for every amount or close-date edit) is skipped and counted, and a row without a from-stage
after the deal's first gets it from the deal's previous row (by time), so a won -> lost move or a
deal's stage before "Closed Won" is kept. A deal's first row that closes it without a from-stage
closes it from the stage the deals file named, when it named one (a stage is never guessed).

Close-date and amount changes come in beside stage changes and go where the CRM sync keeps them
(``DealPropertyChange``, for slippage and forecast changes): a row whose ``field`` column names
``close_date`` or ``amount`` with its ``old_value`` and ``new_value``, or ``close_date``/``amount``
columns carrying the value after each row's edit (Salesforce's OpportunityHistory has CloseDate and
Amount on every row): a deal's first value is recorded, then each value that differs from the deal's
previous row. They are checked with the rest of the file, all of it or none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.errors import InvalidInput
from bot.importer.job import ImportJob
from bot.importer.report import RowError
from bot.importer.source import Row, batched
from bot.importer.timeline import derive_state, origin_for
from storage import imports as db
from storage import sync as property_store
from storage.models import CLOSED_STAGES

HISTORY, ORIGIN, SNAPSHOT = "import-history", "import-origin", "import-snapshot"
ID_BATCH = 2000
SKIP = "-"  # a row number's decision: the row changes no stage (no stage key is "-")
PROPERTIES = ("close_date", "amount")
PROPERTY_SOURCE = "import"
# What a ``field`` cell may say, as CRMs and people write it.
FIELD_NAMES = {"close_date": "close_date", "closedate": "close_date", "close date": "close_date",
               "amount": "amount", "stage": "stage", "stagename": "stage", "dealstage": "stage", "deal stage": "stage"}


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    deal_external_id: str
    from_stage: str | None
    to_stage: str | None  # None: the row changes only a close date or an amount
    changed_at: datetime
    # (property, old value or None, new value), values as stored: ISO dates, amounts to the cent
    edits: tuple[tuple[str, str | None, str], ...] = ()
    values: tuple[tuple[str, str], ...] = ()  # (property, value after this row's edit): close_date/amount columns


class HistoryImport(ImportJob):
    kind = "history"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.deal_ids: dict[str, int] = {}  # every deal the file names
        self.events: dict[tuple, int] = {}  # event -> first row, for duplicates; dropped before pass 2
        self.deals_updated = 0
        self.moves: dict[str, list[tuple[datetime, int, str | None, str]]] = defaultdict(list)
        self.decided: dict[int, str] = {}  # row number -> inferred from-stage, or SKIP
        # (row number, record) of every row checked, when the source's records are in memory anyway (a CRM
        # page): pass 2 writes them instead of reading and parsing every row a second time
        self.kept: list[tuple[int, HistoryRecord]] | None = [] if self.typed else None
        self.skipped = self.inferred = 0
        self._stages_known: dict[str, str] = {}  # stage text -> stage key: the same few recur on every row
        # deal -> [(changed_at, row, property, value)]: values after each row's edit, compared in time order
        self.values: dict[str, list[tuple[datetime, int, str, str]]] = defaultdict(list)
        self.property_rows: dict[tuple, dict[str, Any]] = {}  # (deal, property, changed_at) -> the change

    def _stage(self, text: str) -> str:
        key = self._stages_known.get(text)
        if key is None:
            kind, key = self.stages.resolve(text)
            self._stages_known[text] = key
        return key

    def _value(self, prop: str, text: str) -> str:
        """A close date or amount as stored: an ISO date, an amount to the cent."""
        if prop == "close_date":
            return self.cells.day(text).isoformat()
        return str(self.cells.money(text).value)

    def _field(self, row: Row, errors: list[RowError]) -> str | None:
        text = row.values.get("field", "").strip()
        if not text:
            return None
        name = FIELD_NAMES.get(text.lower())
        if name is None:
            errors.append(self.error(row, "field", f"unknown field {text!r}: stage, close_date or amount"))
        return name

    def parse(self, row: Row, errors: list[RowError]) -> HistoryRecord | None:
        found = len(errors)
        self.screen(row, errors)
        if len(errors) > found:
            return None
        external_id = self.required(row, "deal_external_id", errors)
        field = self._field(row, errors)
        edits: tuple = ()
        values = tuple((prop, value) for prop in PROPERTIES if row.values.get(prop)
                       and (value := self.cell(row, prop, lambda text, p=prop: self._value(p, text), errors)))
        if field in PROPERTIES:
            new = self.required(row, "new_value", errors) and self.cell(
                row, "new_value", lambda text: self._value(field, text), errors)
            old = self.cell(row, "old_value", lambda text: self._value(field, text), errors)
            edits = ((field, old, new),) if new else ()
        stage_row = field == "stage" or (field is None and (row.values.get("to_stage") or not values))
        from_stage = to_stage = None
        if stage_row:  # a field=stage row may give its stages as old_value and new_value
            from_field = "from_stage" if row.values.get("from_stage") or field != "stage" else "old_value"
            to_field = "to_stage" if row.values.get("to_stage") or field != "stage" else "new_value"
            from_stage = self.cell(row, from_field, self._stage, errors)
            to_stage = self.required(row, to_field, errors) and self.cell(row, to_field, self._stage, errors)
        changed_at = ((self.cells.instant_fast(value) or self.cell(row, "changed_at", self.cells.instant, errors))
                      if (value := row.values.get("changed_at")) else self.required(row, "changed_at", errors))
        self.plausible(row, "changed_at", changed_at or None, errors, future=False)
        if len(errors) > found:
            return None
        return HistoryRecord(external_id, from_stage, to_stage or None, changed_at, edits, values)

    def check(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        parsed = [(row, self.parse(row, errors)) for row in rows]
        unknown = {r.values["deal_external_id"] for r, _ in parsed if r.values.get("deal_external_id")} - set(self.deal_ids)
        found = db.deals_by_external_id(session=self.session, external_ids=sorted(unknown))
        self.deal_ids.update({ext: deal.id for ext, deal in found.items()})
        for row, record in parsed:
            external_id = row.values.get("deal_external_id")
            if external_id and external_id not in self.deal_ids:
                errors.append(self.error(row, "deal_external_id", f"unknown deal {external_id!r} (import deals first)"))
            if record is not None and record.to_stage is not None:
                first = self.events.setdefault(_event_key(record), row.number)
                if first != row.number:
                    errors.append(self.error(row, "changed_at", f"duplicate change (same as row {first})"))
                else:
                    self.moves[record.deal_external_id].append(
                        (record.changed_at, row.number, record.from_stage, record.to_stage))
            if record is not None:
                for prop, old, new in record.edits:
                    first = self.events.setdefault((record.deal_external_id, prop, record.changed_at), row.number)
                    if first != row.number:
                        errors.append(self.error(row, "changed_at", f"duplicate {prop} change (same as row {first})"))
                    else:
                        self._property(record.deal_external_id, prop, old, new, record.changed_at)
                for prop, value in record.values:
                    self.values[record.deal_external_id].append((record.changed_at, row.number, prop, value))
                if self.kept is not None:
                    self.kept.append((row.number, record))
        return sorted(errors, key=lambda e: e.row)

    def _property(self, external_id: str, prop: str, old: str | None, new: str, changed_at: datetime) -> None:
        self.property_rows.setdefault((external_id, prop, changed_at), {
            "external_id": external_id, "property": prop, "old_value": old, "value": new, "changed_at": changed_at})

    def _values_to_changes(self) -> None:
        """Each deal's close_date/amount column values as changes: its first value, then each that differs."""
        for external_id, seen in self.values.items():
            previous: dict[str, str] = {}
            for changed_at, _, prop, value in sorted(seen):
                if previous.get(prop) != value:
                    self._property(external_id, prop, previous.get(prop), value, changed_at)
                    previous[prop] = value
        self.values.clear()

    def check_end(self) -> list[RowError]:
        """Decide, deal by deal in time order, which rows change no stage and which from-stages to infer."""
        closing_first: dict[str, int] = {}  # deal -> its first row, which closes it from no stage
        for external_id, moves in self.moves.items():
            previous: str | None = None
            for _, number, from_stage, to_stage in sorted(moves):
                if to_stage == (from_stage or previous):
                    self.decided[number] = SKIP  # an amount or close-date edit: the stage stayed
                    continue
                if from_stage is None:
                    if previous is not None:
                        self.decided[number] = previous
                    elif to_stage in CLOSED_STAGES:
                        closing_first[external_id] = number
                previous = to_stage
        self.moves.clear()
        self._values_to_changes()
        for external_ids in batched(sorted(closing_first), ID_BATCH):
            timelines = db.stage_changes(session=self.session, deal_ids=[self.deal_ids[e] for e in external_ids])
            for external_id in external_ids:
                stage = _known_stage(timelines[self.deal_ids[external_id]])
                if stage is not None:  # created closed: it closed from the stage the deals file named
                    self.decided[closing_first[external_id]] = stage
        return []

    def prepare(self) -> None:
        self.events.clear()
        for ids in batched(sorted(self.deal_ids.values()), ID_BATCH):
            db.delete_stage_changes(session=self.session, deal_ids=ids, source=SNAPSHOT)

    def written_batches(self, rows: Callable[[], Iterator[Row]], batch_size: int) -> Iterator[list]:
        if self.kept is None:
            yield from super().written_batches(rows, batch_size)
            return
        kept, self.kept = self.kept, []
        for start in range(0, len(kept), batch_size):
            yield kept[start:start + batch_size]

    def write(self, rows: list[Row] | list[tuple[int, HistoryRecord]]) -> None:
        """Pass 2: rows read again, or the (row number, record) pairs ``check`` kept (``written_batches``)."""
        errors: list[RowError] = []
        checked = rows if self.kept is not None else [(row.number, self.parse(row, errors)) for row in rows]
        if errors:
            raise InvalidInput(f"the file changed while importing: {errors[0]}")
        records = []
        for number, record in checked:
            decision = self.decided.get(number)
            if record is not None and record.to_stage is None:
                self.summary.rows += 1  # a close-date or amount change only: written in ``finish``
                continue
            if decision == SKIP:
                self.skipped += 1
                self.summary.rows += 1
                continue
            if decision is not None and record is not None:
                record = HistoryRecord(record.deal_external_id, decision, record.to_stage, record.changed_at)
                self.inferred += 1
            records.append(record)
        ids = sorted({self.deal_ids[r.deal_external_id] for r in records})
        stored = {(row.deal_id, row.from_stage, row.to_stage, row.changed_at)
                  for timeline in db.stage_changes(session=self.session, deal_ids=ids).values() for row in timeline}
        deal_ids = self.deal_ids
        events = [(deal_ids[r.deal_external_id], r.from_stage, r.to_stage, r.changed_at) for r in records]
        new = [(*event, HISTORY) for event in dict.fromkeys(events) if event not in stored]  # db.CHANGE_COLUMNS
        db.insert_stage_changes(session=self.session, rows=new)
        self.summary.rows += len(records)
        self.summary.created += len(new)
        self.summary.unchanged += len(records) - len(new)

    def finish(self):
        """Give each named deal its origin entry and re-derive its current state from the timeline;
        record the close-date and amount changes."""
        self._write_property_changes()
        for ids in batched(sorted(self.deal_ids.values()), ID_BATCH):
            timelines = db.stage_changes(session=self.session, deal_ids=ids)
            deals = db.deals_by_id(session=self.session, deal_ids=ids)
            stale, origins, states = [], [], []
            for deal_id, timeline in timelines.items():
                deal = deals[deal_id]
                keep, drop, add = origin_for(timeline, created_at=deal.created_at, origin_source=ORIGIN)
                stale += drop
                if add is not None:
                    origins.append({"deal_id": deal_id, **add, "source": ORIGIN})
                    keep = [_Change(**add), *keep]
                state = derive_state(keep, current=deal)
                if state != {name: _plain(getattr(deal, name)) for name in state}:
                    states.append({"did": deal_id, **state})
            db.delete_stage_changes(session=self.session, change_ids=stale)
            db.insert_stage_changes(session=self.session, rows=origins)
            db.update_deal_states(session=self.session, rows=states)
            self.deals_updated += len(states)
        if self.skipped:
            self.summary.notes.append(f"{self.skipped} row(s) skipped: the stage did not change "
                                      "(amount or close-date edits)")
        if self.inferred:
            self.summary.notes.append(f"{self.inferred} missing from-stage(s) taken from the deal's previous row "
                                      "or its imported stage")
        self.summary.notes.append(f"{len(self.deal_ids)} deal(s) re-derived from their history, "
                                  f"{self.deals_updated} changed")
        return self.summary


    def _write_property_changes(self) -> None:
        rows = [{"deal_id": self.deal_ids[change.pop("external_id")], **change, "source": PROPERTY_SOURCE}
                for change in self.property_rows.values()]
        self.property_rows.clear()
        new = sum(property_store.add_property_changes(session=self.session, rows=batch)
                  for batch in batched(rows, ID_BATCH))
        if rows:
            self.summary.notes.append(f"{new} close-date/amount change(s) recorded, {len(rows) - new} already recorded")


@dataclass(frozen=True, slots=True)
class _Change:
    from_stage: str | None
    to_stage: str
    changed_at: datetime
    source: str = ORIGIN


def _known_stage(timeline: list[Any]) -> str | None:
    """The last stage a stored timeline says the deal was in, None when it names none (never guessed)."""
    for change in reversed(timeline):
        if change.to_stage not in CLOSED_STAGES:
            return change.to_stage
        if change.from_stage is not None and change.from_stage not in CLOSED_STAGES:
            return change.from_stage
    return None


def _event_key(record: HistoryRecord) -> tuple:
    return record.deal_external_id, record.from_stage, record.to_stage, record.changed_at


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
