"""Importing deals: validate each row, then upsert by external id with their history, checks and follow-ups."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

from bot.core.errors import InvalidInput
from bot.importer.columns import ColumnMap
from bot.importer.job import ImportJob, RowChecker
from bot.importer.options import CURRENCY_CODE, ImportOptions
from bot.importer.report import RowError
from bot.importer.snapshot import OPEN, DealRecord, differs, new_deal, plan_deal
from bot.importer.source import Row
from bot.importer.values import (
    CENTS,
    Cells,
    ExtraDecimals,
    StageResolver,
    closed_status,
    forecast_category,
    round_to_currency,
)
from storage import imports as db

SNAPSHOT = "import-snapshot"
IMPORTED = "imported"
CHECK_COLUMNS = ("deal_id", "stage_key", "criterion_key", "met", "evidence", "checked_at", "checked_by_id")
FOLLOWUP_COLUMNS = ("deal_id", "due_at", "note", "done_at", "created_at", "created_by_id")


class Tallies(NamedTuple):
    """What a batch's rows did that the summary counts ({(what, detail): rows}); the last item of a checked
    batch, so it reaches the writer even when a child process checked the rows."""

    counts: dict[tuple[str, str], int]


class OwnerLookup:
    """Owners by email, by CRM user id (Salesforce's OwnerId), or by name when the cell holds one (CRM
    exports often do) and it is unique."""

    def __init__(self, directory: list[Any]):
        self.by_email = {rep.email.lower(): rep.id for rep in directory}
        self.by_crm_id = {rep.crm_id: rep.id for rep in directory if rep.crm_id}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.cache: dict[str, int] = {}
        for rep in directory:
            self.by_name[rep.name.strip().lower()].append(rep.id)

    def resolve(self, text: str) -> int:
        owner = self.cache.get(text)
        if owner is None:
            owner = self.cache[text] = self._lookup(text)  # a file names the same few owners again and again
        return owner

    def _lookup(self, text: str) -> int:
        key = text.strip().lower()
        if key in self.by_email:
            return self.by_email[key]
        if text.strip() in self.by_crm_id:
            return self.by_crm_id[text.strip()]
        ids = [] if "@" in key else self.by_name.get(key, [])
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise ValueError(f"{len(ids)} reps are named {text!r}; give the owner's email")
        raise ValueError(f"unknown owner {text!r} (no rep with that email or CRM id; import reps first, "
                         "or give --default-owner)")


class DealRows(RowChecker):
    """Checks deal rows of any source and turns the valid ones into DealRecords; needs no database.

    Keeps the ids seen so far, so it must see every row of the source, in order.
    """

    def __init__(self, *, columns: ColumnMap, stages: StageResolver, owners: OwnerLookup,
                 cells: Cells | None = None, typed: bool = False, options: ImportOptions | None = None,
                 default_owner: int | None = None):
        super().__init__(columns, cells, typed)
        self.stages = stages
        self.owners = owners
        self.options = options = options or ImportOptions()
        self.default_owner = default_owner
        self.tallies: Counter = Counter()  # what rows did that the summary counts; sent with each batch
        wanted = options.pipeline.strip().lower() if options.pipeline else None
        # HubSpot's default pipeline is "Sales Pipeline" by label and "default" by internal id: either names it.
        self.pipeline = ({"default", "sales pipeline"} if wanted in ("default", "sales pipeline")
                         else {wanted} if wanted else None)
        self.seen: dict[str, int] = {}  # external id -> row number, for duplicates within the file
        self.has_close_date, self.has_next_step = self.given("close_date"), self.given("next_step")
        self.has_category = self.given("forecast_category")
        self.has_last_stage = self.given("last_stage")
        # Salesforce keeps amounts with more decimals than their currency has: rounded to it, and counted.
        self.rounds = columns.preset == "salesforce"
        # Per-row lookups, kept at hand: text -> owner, stage and criteria as parsed before.
        self._owners_known, self._stages_known, self._accounts = owners.cache, stages.cache, self.options.accounts
        self._criteria: dict[str, tuple[str, ...]] = {}

    def parse(self, row: Row, errors: list[RowError]) -> DealRecord | None:
        """The row as a DealRecord, or None with its problems added to ``errors``.

        Runs once per row of files of 100,000s of rows: each cell is read once, usual cells (ISO
        dates in UTC, plain amounts, known stages and statuses) take a fast path giving what the full
        parsers give, and the helpers that name a problem (``required``, ``cell``) only run for
        cells that need them.
        """
        found = len(errors)
        self.screen(row, errors)
        if len(errors) > found:
            return None
        values = row.values
        get = values.get
        cell = self.cell
        cells = self.cells  # the source's readers: the usual cell's fast path, then the full one naming problems
        instant = cells.instant_fast
        external_id = get("external_id") or self.required(row, "external_id", errors)
        name = get("name") or self.required(row, "name", errors)
        owner_text = get("owner_email")
        owner = (self._owners_known.get(owner_text) if owner_text else None) or self._owner(row, owner_text, errors)
        stage_cell = ((self._stages_known.get(text) or cell(row, "stage", self.stages.resolve, errors))
                      if (text := get("stage")) else self.required(row, "stage", errors))
        status = ((_STATUSES.get(text) or cell(row, "status", _parse_status, errors))
                  if (text := get("status")) else None)
        when = cells.instant
        sets: dict[str, Any] = {"name": name}
        if text := get("account"):
            sets["account"] = self._accounts.get(text, text)
        if (text := get("amount")) or text == 0:  # (0: a typed amount of zero)
            amount = None if get("currency") or self.rounds else cells.amount_fast(text)  # (company currency: as is)
            sets["amount"], sets["currency"] = ((amount, self.options.currency) if amount is not None
                                                else self._money(row, errors))
        if text := get("created_at"):
            sets["created_at"] = created = instant(text) or cell(row, "created_at", when, errors)
        else:
            created = None
        if self.has_close_date:
            sets["close_date"] = close = ((cells.day_fast(text) or cell(row, "close_date", cells.day, errors))
                                          if (text := get("close_date")) else None)
        else:
            close = None
        if self.has_next_step:
            sets["next_step"] = values["next_step"] or None
        if self.has_category:
            sets["forecast_category"] = cell(row, "forecast_category", forecast_category, errors)
        entered = ((instant(text) or cell(row, "stage_entered_at", when, errors))
                   if (text := get("stage_entered_at")) else None)
        followup = ((instant(text) or cell(row, "next_followup_at", when, errors))
                    if (text := get("next_followup_at")) else None)
        stage = status_from_stage = None
        if stage_cell:
            kind, key = stage_cell
            stage, status_from_stage = (key, None) if kind == "stage" else (None, key)
        if self.has_last_stage and get("last_stage"):
            stage = self._last_stage(row, stage, status or status_from_stage, errors)
        if status and status_from_stage and status != status_from_stage:
            errors.append(self.error(row, "status", f"status {status!r} contradicts stage {values['stage']!r}"))
        if criteria_text := get("criteria_met"):
            criteria = self._criteria.get(criteria_text)
            if criteria is None:  # a file lists the same few combinations again and again
                if len(self._criteria) >= 10_000:
                    self._criteria.clear()
                criteria = self._criteria[criteria_text] = tuple(
                    dict.fromkeys(filter(None, map(str.strip, criteria_text.split(";")))))
        else:
            criteria = ()
        if criteria and stage_cell and stage is None:
            errors.append(self.error(row, "criteria_met", "criteria need the deal's stage, not only won/lost"))
        elif criteria and stage:
            allowed = self.stages.criteria_of(stage)
            if not allowed.issuperset(criteria):
                errors.extend(
                    self.error(row, "criteria_met", f"{c!r} is not an exit criterion of stage {stage!r} "
                                                    f"({', '.join(sorted(allowed))})")
                    for c in criteria if c not in allowed
                )
        if created and entered and created > entered:
            errors.append(self.error(row, "created_at", "created_at is after stage_entered_at"))
        if (window := self.window) is not None:
            # Most dates lie well inside the window: two comparisons each; ``plausible`` words the others.
            first, now = window.first, window.now
            if created is not None and not first <= created <= now:
                self.plausible(row, "created_at", created, errors, future=False)
            if entered is not None and not first <= entered <= now:
                self.plausible(row, "stage_entered_at", entered, errors, future=False)
            if close is not None and not window.earliest <= close <= window.latest:
                self.plausible(row, "close_date", close, errors, future=True)
            if followup is not None and not first <= followup <= window.last:
                self.plausible(row, "next_followup_at", followup, errors, future=True)
        if len(errors) > found:
            return None
        return _record(DealRecord, (external_id, owner, stage, status or status_from_stage or OPEN, sets, entered,
                                    followup, get("followup_note") or None, criteria))

    def _last_stage(self, row: Row, stage: str | None, status: str | None, errors: list[RowError]) -> str | None:
        """The stage a closed deal closed from, as the ``last_stage`` column says (CRM exports often have it)."""
        resolved = self.cell(row, "last_stage", self.stages.resolve, errors)
        if resolved is None:
            return stage
        kind, key = resolved
        if kind != "stage":
            errors.append(self.error(row, "last_stage", f"last_stage {row.values['last_stage']!r} is not a stage "
                                                        "of the map (the stage the deal was in before it closed)"))
        elif stage is not None and key != stage:
            errors.append(self.error(row, "last_stage", f"last_stage {key!r} contradicts stage {stage!r}"))
        elif status in (None, OPEN):
            errors.append(self.error(row, "last_stage", "last_stage is for closed deals; this deal is open"))
        return key if kind == "stage" else stage

    def _owner(self, row: Row, text: str, errors: list[RowError]) -> int | None:
        """The owner a cell names; the default owner (``--default-owner``), counted, when it is empty or unknown."""
        if self.default_owner is None:
            return self.cell(row, "owner_email", self.owners.resolve, errors) if text else self.required(
                row, "owner_email", errors)
        try:
            return self.owners.resolve(text) if text else self._defaulted("")
        except ValueError as exc:
            if str(exc).startswith("unknown owner"):
                return self._defaulted(text)
            errors.append(self.error(row, "owner_email", str(exc)))
            return None

    def _defaulted(self, why: str) -> int | None:
        self.tallies["owner", why] += 1
        return self.default_owner

    def _money(self, row: Row, errors: list[RowError]) -> tuple[Decimal | None, str | None]:
        """The amount in the company currency, and that currency's code.

        The currency is the currency column's, else the one the amount cell names, else the company's;
        another currency is converted with its rate (``--rates``), and is an error without one.
        """
        try:
            money = self.cells.money(row.values["amount"])
        except ExtraDecimals as exc:
            if not self.rounds:
                errors.append(self.error(row, "amount", str(exc)))
                return None, None
            money = exc.money
        except ValueError as exc:
            errors.append(self.error(row, "amount", str(exc)))
            return None, None
        company = self.options.currency
        code = row.values.get("currency", "").strip().upper()
        if code and not CURRENCY_CODE.match(code):
            errors.append(self.error(row, "currency", f"not a currency code: {row.values['currency']!r} (e.g. USD)"))
            return None, None
        if code and money.currency and not money.sign_only and money.currency != code:
            errors.append(self.error(row, "amount", f"amount {row.values['amount']!r} is in {money.currency} but "
                                                    f"column {self.columns.header_of('currency')!r} says {code}"))
            return None, None
        code = code or money.currency or company
        if self.rounds and (rounded := round_to_currency(money.value, code)) != money.value:
            money = money._replace(value=rounded)
            self.tallies["rounded", code] += 1
        if code == company:
            return money.value, company
        rate = self.options.rates.get(code)
        if rate is None:
            field = "currency" if row.values.get("currency") else "amount"
            errors.append(self.error(row, field, f"amount in {code}, not the company currency {company}: "
                                                 f"give its rate with --rates FILE (columns currency,rate), "
                                                 f"or set STAGECOACH_CURRENCY={code} if every deal is in {code}"))
            return None, None
        self.tallies["rate", code] += 1
        return (money.value * rate).quantize(CENTS, rounding=ROUND_HALF_UP), company

    def check(self, rows: list[Row]) -> tuple[list[DealRecord | Tallies], list[RowError]]:
        """The valid rows' records (then what the summary counts, if anything), and every problem of the others."""
        errors: list[RowError] = []
        records: list[DealRecord | Tallies] = []
        seen = self.seen
        pipeline = self.pipeline
        for row in rows:
            if pipeline is not None and row.values.get("pipeline", "").lower() not in pipeline:
                self.tallies["pipeline", ""] += 1  # another pipeline's deal: not ours to import
                continue
            record = self.parse(row, errors)
            external_id = row.values.get("external_id")
            if external_id:
                first = seen.setdefault(external_id, row.number)
                if first != row.number:
                    errors.append(self.error(row, "external_id", f"duplicate id {external_id!r} (also row {first})"))
                    continue
            if record is not None:
                records.append(record)
        if self.tallies:
            records.append(Tallies(dict(self.tallies)))
            self.tallies.clear()
        return records, errors


class NewDeals(NamedTuple):
    """The writes that create deals (``new_deal``'s plans), a sequence per column, values as the
    database's driver takes them (``db.column_encoders``): prepared where the rows were checked,
    the writer only adds the deals' ids."""

    deals: list[Sequence]  # UPSERT_COLUMNS
    changes: list[Sequence]  # external id, from_stage, to_stage, changed_at
    checks: list[Sequence]  # external id, stage_key, criterion_key
    followups: list[Sequence]  # external id, due_at, note

    def without(self, stored: Container[str]) -> NewDeals:
        """The writes of the deals not in ``stored``."""
        kept = []
        for columns in self:
            rows = [row for row in zip(*columns, strict=True) if row[0] not in stored]
            kept.append([*zip(*rows, strict=True)] or [()] * len(columns))
        return NewDeals(*kept)


# A record's fields as a reader process sends them (see ``DealImport.packer``): DealRecord's, with its
# ``sets`` spread out (MISSING where the row leaves a column alone), datetimes as microseconds since
# 1970 (UTC), dates as ordinals, amounts as text: plain values pickle in a third of the time records
# take, and integers are the cheapest exact form of a datetime to make and to read back.
WIRE_FIELDS = ("external_id", "owner_id", "stage", "status", "stage_entered_at", "next_followup_at", "followup_note",
               "criteria", "name", "account", "amount", "currency", "created_at", "close_date", "next_step",
               "forecast_category")
MISSING = ...  # (pickles as itself)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def wire_records(records: list[DealRecord]) -> list[Sequence]:
    """``records`` as WIRE_FIELDS, a sequence per field (built a field at a time: a third less time)."""
    if not records:
        return [()] * len(WIRE_FIELDS)
    external_id, owner_id, stage, status, sets, entered, followup, note, criteria = zip(*records, strict=True)

    def given(key: str) -> list:
        return [values.get(key, MISSING) for values in sets]

    return [external_id, owner_id, stage, status, _micros(entered), _micros(followup), note, criteria,
            [values["name"] for values in sets], given("account"),
            [amount if amount is MISSING else str(amount) for amount in given("amount")], given("currency"),
            [created if created is MISSING else (created - _EPOCH) // _MICROSECOND for created in given("created_at")],
            [close if close is MISSING or close is None else close.toordinal() for close in given("close_date")],
            given("next_step"), given("forecast_category")]


def _micros(values: Sequence[datetime | None]) -> list[int | None]:
    epoch, micro = _EPOCH, _MICROSECOND
    return [None if value is None else (value - epoch) // micro for value in values]


def unwire_records(columns: list[Sequence], wanted: Container[str] | None = None) -> list[DealRecord]:
    """The records ``wire_records`` gave ``columns`` for, those whose external ids are ``wanted`` (default: all)."""
    epoch, micro, day = _EPOCH, _MICROSECOND, date.fromordinal
    records = []
    for (external_id, owner_id, stage, status, entered, followup, note, criteria, name, account, amount, currency,
         created, close, next_step, category) in zip(*columns, strict=True):
        if wanted is not None and external_id not in wanted:
            continue
        sets: dict[str, Any] = {"name": name}  # in the order ``DealRows.parse`` sets them
        if account is not MISSING:
            sets["account"] = account
        if amount is not MISSING:
            sets["amount"], sets["currency"] = Decimal(amount), currency
        if created is not MISSING:
            sets["created_at"] = epoch + created * micro
        if close is not MISSING:
            sets["close_date"] = None if close is None else day(close)
        if next_step is not MISSING:
            sets["next_step"] = next_step
        if category is not MISSING:
            sets["forecast_category"] = category
        records.append(DealRecord(external_id, owner_id, stage, status, sets,
                                  None if entered is None else epoch + entered * micro,
                                  None if followup is None else epoch + followup * micro, note, criteria))
    return records


class Packed(NamedTuple):
    """A checked batch as a reader process sends it (see ``DealImport.packer``)."""

    records: list[Sequence]  # WIRE_FIELDS
    new: NewDeals | None  # every record's writes as a new deal, when asked for
    tallies: dict[tuple[str, str], int] | None


class DealImport(ImportJob):
    kind = "deals"
    single_pass = True  # files of 100,000s of rows: parse each row once

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        owners = OwnerLookup(db.rep_directory(session=self.session))
        self.checker = DealRows(columns=self.columns, stages=self.stages, owners=owners,
                                cells=self.cells, typed=self.typed, options=self.options,
                                default_owner=self._default_owner(owners))
        self.tallies: Counter = Counter()
        self._check_currency()
        self.last_stage = self.stages.process.stage_keys[-1]
        self._last_batch = self._new_in_last_batch = 0
        dialect = self.session.get_bind().dialect
        self._deal_encoders = db.column_encoders(dialect, db.DEAL_TABLE, db.UPSERT_COLUMNS)
        self._change_encoders = db.column_encoders(dialect, db.CHANGE_TABLE, db.CHANGE_COLUMNS)
        self._check_encoders = db.column_encoders(dialect, db.CHECK_TABLE, CHECK_COLUMNS)
        self._followup_encoders = db.column_encoders(dialect, db.FOLLOWUP_TABLE, FOLLOWUP_COLUMNS)
        self._new_encoders = (*self._deal_encoders, None, *self._change_encoders[1:4], None, *self._check_encoders[1:3],
                              None, *self._followup_encoders[1:3])  # NewDeals' columns
        # The columns every created check and follow-up has alike, encoded once.
        self._check_rest = db.encode_rows(self._check_encoders, [(None, "", "", True, IMPORTED, self.now, None)])[0][3:]
        self._followup_rest = db.encode_rows(self._followup_encoders, [(None, None, "", None, self.now, None)])[0][3:]

    def packer(self) -> Callable[[list, bool], Packed]:
        """Records as plain values, and with the flag the writes that would create their deals (see
        ``ImportJob.packer``): everything a new deal needs is in its row. The writer looks up which
        deals are stored and plans only those."""
        return self._pack

    def _pack(self, records: list, ahead: bool) -> Packed:
        tallies = None
        if records and isinstance(records[-1], Tallies):
            tallies, records = records[-1].counts, records[:-1]
        return Packed(wire_records(records), self._new_deals(records) if ahead else None, tallies)

    def packing_ahead(self) -> bool:
        """Whether the last batch written was mostly new deals: a re-import creates none."""
        return self._new_in_last_batch * 2 >= self._last_batch

    def _default_owner(self, owners: OwnerLookup) -> int | None:
        if self.options.default_owner is None:
            return None
        try:
            return owners.resolve(self.options.default_owner)
        except ValueError as exc:
            raise InvalidInput(f"--default-owner: {exc}") from None

    def _check_currency(self) -> None:
        """Every stored amount is in one currency, so reports never add two."""
        company = self.options.currency
        others = [code for code in db.deal_currencies(session=self.session) if code != company]
        if others:
            raise InvalidInput(f"the database holds deals in {', '.join(others)}, and this import's company currency "
                               f"is {company}: amounts in two currencies cannot be added up. Set STAGECOACH_CURRENCY="
                               f"{others[0]}, or convert them with --rates")

    def finish(self):
        """The summary, with what rows did beyond their counts (skipped, default owner, converted)."""
        counts = self.tallies
        defaulted = {why: n for (kind, why), n in counts.items() if kind == "owner"}
        if defaulted:
            common = sorted(defaulted.items(), key=lambda item: (-item[1], item[0]))
            reasons = ", ".join(f"{why!r} ({n})" if why else f"empty ({n})" for why, n in common[:5])
            reasons += f" and {len(common) - 5} more" if len(common) > 5 else ""
            self.summary.notes.append(f"{sum(defaulted.values())} deal(s) given the default owner "
                                      f"{self.options.default_owner}; owner was: {reasons}")
        if counts["pipeline", ""]:
            self.summary.notes.append(f"{counts['pipeline', '']} row(s) skipped: not in pipeline "
                                      f"{self.options.pipeline!r}")
        if counts["undated", ""]:
            self.summary.notes.append(f"{counts['undated', '']} new open deal(s) without a creation or stage-entry "
                                      "date: in their stage since an unknown date, left out of flow and time in "
                                      "stage until they move")
        rounded = {why: n for (kind, why), n in counts.items() if kind == "rounded"}
        if rounded:
            self.summary.notes.append(f"{sum(rounded.values())} amount(s) with more decimals than their currency "
                                      "rounded (half to even): " + ", ".join(f"{code} {n}" for code, n
                                                                             in sorted(rounded.items())))
        converted = {why: n for (kind, why), n in counts.items() if kind == "rate"}
        if converted:
            self.summary.notes.append(f"{sum(converted.values())} amount(s) converted to {self.options.currency} with "
                                      f"--rates: " + ", ".join(f"{code} {n}" for code, n in sorted(converted.items())))
        return super().finish()

    def _new_deals(self, records: Iterable[DealRecord]) -> NewDeals:
        """The writes creating the deals of ``records`` (needs no database: a reader process prepares them)."""
        now, last_stage = self.now, self.last_stage
        deals: list[tuple] = []
        changes: list[tuple] = []
        checks: list[tuple] = []
        followups: list[tuple] = []
        for record in records:
            row, planned = new_deal(record, now=now, last_stage=last_stage)
            deals.append(row)
            external_id = record.external_id
            for from_stage, to_stage, at in planned:
                changes.append((external_id, from_stage, to_stage, at))
            if record.criteria:
                stage = row[STAGE_KEY]
                for key in record.criteria:
                    checks.append((external_id, stage, key))
            if record.next_followup_at:
                followups.append((external_id, record.next_followup_at, record.followup_note))
        # One encoding of every column at once: an instant recurs across tables (a stage entry is its change's).
        tables = (deals, changes, checks, followups)
        columns = db.encode_columns(self._new_encoders, [column for rows, width in zip(tables, _NEW_WIDTHS, strict=True)
                                                         for column in ([*zip(*rows, strict=True)] or [()] * width)])
        split = []
        for width in _NEW_WIDTHS:
            split.append(columns[:width])
            columns = columns[width:]
        return NewDeals(*split)

    def write_records(self, records: list[DealRecord | Tallies] | Packed) -> None:
        """Write a checked batch: deals not stored yet as created (with the writes a reader process
        may have prepared), stored ones planned against what is stored."""
        session = self.session
        if isinstance(records, Packed):
            if records.tallies:
                self.tallies.update(records.tallies)
            external_ids = records.records[0]
            stored = db.deals_by_external_id(session=session, external_ids=external_ids)
            if records.new is not None:
                new = records.new.without(stored) if stored else records.new
                olds = unwire_records(records.records, stored) if stored else []
            else:
                unpacked = unwire_records(records.records)
                new = self._new_deals(r for r in unpacked if r.external_id not in stored)
                olds = [r for r in unpacked if r.external_id in stored]
        else:
            if records and isinstance(records[-1], Tallies):
                self.tallies.update(records[-1].counts)
                records = records[:-1]
            external_ids = [r.external_id for r in records]  # type: ignore[union-attr]
            stored = db.deals_by_external_id(session=session, external_ids=external_ids)
            new = self._new_deals(r for r in records if r.external_id not in stored)  # type: ignore[union-attr]
            olds = [r for r in records if r.external_id in stored] if stored else []  # type: ignore[union-attr]
        self._write(new, olds, stored, external_ids)

    def _write(self, new: NewDeals, olds: list[DealRecord], stored: dict[str, Any], external_ids: Sequence[str]) -> None:
        session, now = self.session, self.now
        plans = [(record, stored[record.external_id]) for record in olds]
        plans = [(record, old, plan_deal(record, old, now=now)) for record, old in plans]
        values = itemgetter(*db.DEAL_FIELDS)
        updates = [(record.external_id, *values(plan.row)) for record, old, plan in plans if differs(plan, old)]
        # One batch's rows go in the file's order of their deals, new and stored ones alike, as ids always came.
        position = {external_id: i for i, external_id in enumerate(external_ids)} if plans and new.deals[0] else {}
        ids = db.upsert_deals(session=session, encoded=True, rows=_in_order(
            db.Columns(new.deals), db.encode_rows(self._deal_encoders, updates), position))
        updated = {row[0] for row in updates}
        ids.update((external_id, old.id) for external_id, old in stored.items() if external_id not in ids)
        if position:
            position = {ids[external_id]: i for external_id, i in position.items()}

        def created(columns: list[Sequence], *same: Any) -> db.Columns:
            """Rows of new deals: their ids, ``columns`` and the values all rows share."""
            count = len(columns[0])
            return db.Columns([list(map(ids.__getitem__, columns[0])), *columns[1:], *([value] * count for value in same)])

        db.insert_stage_changes(session=session, encoded=True, rows=_in_order(
            created(new.changes, SNAPSHOT),
            db.encode_rows(self._change_encoders, [(ids[record.external_id], *change, SNAPSHOT)
                                                    for record, _, plan in plans for change in plan.changes]),
            position))
        old_checks = self._old_checks(plans, ids)
        db.insert_rows(session=session, table=db.CHECK_TABLE, columns=CHECK_COLUMNS, encoded=True, rows=_in_order(
            created(new.checks, *self._check_rest), db.encode_rows(self._check_encoders, old_checks), position))
        old_followups = self._old_followups(plans, ids)
        db.insert_rows(session=session, table=db.FOLLOWUP_TABLE, columns=FOLLOWUP_COLUMNS, encoded=True, rows=_in_order(
            created(new.followups, *self._followup_rest), db.encode_rows(self._followup_encoders, old_followups),
            position))

        touched = {row[0] for row in old_checks} | {row[0] for row in old_followups}
        summary = self.summary
        new_count = len(new.deals[0])
        summary.created += new_count
        for record, old, _ in plans:
            if record.external_id in updated or old.id in touched:
                summary.updated += 1
            else:
                summary.unchanged += 1
        summary.rows += len(external_ids)
        if undated := sum(1 for flag in new.deals[UNDATED] if flag):
            self.tallies["undated", ""] += undated
        self._last_batch, self._new_in_last_batch = len(external_ids), new_count

    def _old_checks(self, plans, ids: dict[str, int]) -> list[tuple]:
        """Each listed criterion of a stored deal, as met, where its latest check is not already 'met'."""
        latest = db.latest_criterion_states(
            session=self.session, deal_ids=[ids[record.external_id] for record, _, _ in plans if record.criteria])
        now = self.now
        rows: list[tuple] = []
        for record, _, plan in plans:
            if record.criteria:
                deal_id, stage = ids[record.external_id], plan.row["stage_key"]
                rows.extend((deal_id, stage, key, True, IMPORTED, now, None) for key in record.criteria
                            if not latest.get((deal_id, stage, key), False))
        return rows

    def _old_followups(self, plans, ids: dict[str, int]) -> list[tuple]:
        """An open follow-up of a stored deal at next_followup_at, unless the deal already has one due then."""
        # Done ones count too: a follow-up the rep completed must not come back when the same export is re-imported.
        existing = db.followup_dues(session=self.session, deal_ids=[
            ids[record.external_id] for record, _, _ in plans if record.next_followup_at])
        now = self.now
        return [(ids[record.external_id], record.next_followup_at, record.followup_note, None, now, None)
                for record, _, _ in plans
                if record.next_followup_at and (ids[record.external_id], record.next_followup_at) not in existing]


STAGE_KEY, UNDATED = db.UPSERT_COLUMNS.index("stage_key"), db.UPSERT_COLUMNS.index("undated")
_NEW_WIDTHS = (len(db.UPSERT_COLUMNS), 4, 3, 3)  # NewDeals' columns per table


def _in_order(new: db.Columns, old: list[tuple], position: dict[Any, int]) -> db.Columns | list[tuple]:
    """The rows of new deals and of stored ones, in the file's order of their deals (``position`` by the
    rows' first value); each deal's own rows keep their order."""
    if not old:
        return new
    if not new or not new[0]:
        return old
    return sorted(chain(new.rows(), old), key=lambda row: position[row[0]])


_record = tuple.__new__  # a DealRecord without NamedTuple's __new__, a Python function: once per row
_STATUSES = {text: text.lower() for text in ("open", "won", "lost", "Open", "Won", "Lost")}  # as _parse_status gives


@lru_cache(maxsize=256)  # a file spells its statuses a few ways, over and over
def _parse_status(text: str) -> str:
    status = text.strip().lower()
    if status == OPEN:
        return OPEN
    closed = closed_status(text)
    if closed is None:
        raise ValueError(f"unknown status {text!r} (open, won or lost)")
    return closed
