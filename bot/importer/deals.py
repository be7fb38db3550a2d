"""Importing deals: validate each row, then upsert by external id with their history, checks and follow-ups."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any, NamedTuple

from bot.errors import InvalidInput
from bot.importer.columns import ColumnMap
from bot.importer.job import ImportJob, RowChecker
from bot.importer.options import CURRENCY_CODE, ImportOptions
from bot.importer.report import RowError
from bot.importer.snapshot import OPEN, DealPlan, DealRecord, differs, plan_deal
from bot.importer.source import Row
from bot.importer.values import CENTS, StageResolver, closed_status, parse_day, parse_money, parse_when
from storage import imports as db
from storage.timeutil import zone

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
    """Checks deals-CSV rows and turns the valid ones into DealRecords; needs no database.

    Keeps the ids seen so far, so it must see every row of the file, in order.
    """

    def __init__(self, *, columns: ColumnMap, stages: StageResolver, owners: OwnerLookup,
                 date_format: str | None = None, options: ImportOptions | None = None,
                 default_owner: int | None = None):
        super().__init__(columns)
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
        self.has_last_stage = self.given("last_stage")
        self._when = partial(parse_when, date_format=date_format,
                             tz=zone(options.timezone) if options.timezone else None)
        self._day = partial(parse_day, date_format=date_format)

    def parse(self, row: Row, errors: list[RowError]) -> DealRecord | None:
        """The row as a DealRecord, or None with its problems added to ``errors``.

        Runs once per row of files of 100,000s of rows: each cell is read once, and the helpers
        that name a problem (``required``, ``cell``) only run for cells that need them.
        """
        found = len(errors)
        self.screen(row, errors)
        if len(errors) > found:
            return None
        values = row.values
        get = values.get
        cell = self.cell
        external_id = get("external_id") or self.required(row, "external_id", errors)
        name = get("name") or self.required(row, "name", errors)
        owner_text = get("owner_email")
        owner = (self.owners.cache.get(owner_text) if owner_text else None) or self._owner(row, owner_text, errors)
        stage_cell = (cell(row, "stage", self.stages.resolve, errors) if get("stage")
                      else self.required(row, "stage", errors))
        status = cell(row, "status", _parse_status, errors)
        when = self._when
        sets: dict[str, Any] = {"name": name}
        if text := get("account"):
            sets["account"] = self.options.accounts.get(text, text)
        if get("amount"):
            sets["amount"], sets["currency"] = self._money(row, errors)
        if get("created_at"):
            sets["created_at"] = cell(row, "created_at", when, errors)
        if self.has_close_date:
            sets["close_date"] = cell(row, "close_date", self._day, errors)
        if self.has_next_step:
            sets["next_step"] = values["next_step"] or None
        entered = cell(row, "stage_entered_at", when, errors)
        followup = cell(row, "next_followup_at", when, errors)
        stage = status_from_stage = None
        if stage_cell:
            kind, key = stage_cell
            stage, status_from_stage = (key, None) if kind == "stage" else (None, key)
        if self.has_last_stage and get("last_stage"):
            stage = self._last_stage(row, stage, status or status_from_stage, errors)
        if status and status_from_stage and status != status_from_stage:
            errors.append(self.error(row, "status", f"status {status!r} contradicts stage {values['stage']!r}"))
        criteria_text = get("criteria_met")
        criteria = tuple(dict.fromkeys(filter(None, map(str.strip, criteria_text.split(";"))))) if criteria_text else ()
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
        created = sets.get("created_at")
        if created and entered and created > entered:
            errors.append(self.error(row, "created_at", "created_at is after stage_entered_at"))
        if (window := self.window) is not None:
            problem = window.problem
            for field, value, future in (("created_at", created, False), ("stage_entered_at", entered, False),
                                         ("close_date", sets.get("close_date"), True),
                                         ("next_followup_at", followup, True)):
                if value is not None and (text := problem(value, future=future)):
                    errors.append(self.error(row, field, text))
        if len(errors) > found:
            return None
        return DealRecord(
            external_id=external_id, owner_id=owner, stage=stage, status=status or status_from_stage or OPEN,
            sets=sets, stage_entered_at=entered, next_followup_at=followup,
            followup_note=get("followup_note") or None, criteria=criteria,
        )

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
        money = self.cell(row, "amount", parse_money, errors)
        company = self.options.currency
        if money is None:
            return None, None
        code = row.values.get("currency", "").strip().upper()
        if code and not CURRENCY_CODE.match(code):
            errors.append(self.error(row, "currency", f"not a currency code: {row.values['currency']!r} (e.g. USD)"))
            return None, None
        if code and money.currency and not money.sign_only and money.currency != code:
            errors.append(self.error(row, "amount", f"amount {row.values['amount']!r} is in {money.currency} but "
                                                    f"column {self.columns.header_of('currency')!r} says {code}"))
            return None, None
        code = code or money.currency or company
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


class DealImport(ImportJob):
    kind = "deals"
    single_pass = True  # files of 100,000s of rows: parse each row once

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        owners = OwnerLookup(db.rep_directory(session=self.session))
        self.checker = DealRows(columns=self.columns, stages=self.stages, owners=owners,
                                date_format=self.date_format, options=self.options,
                                default_owner=self._default_owner(owners))
        self.tallies: Counter = Counter()
        self._check_currency()
        self.last_stage = self.stages.process.stage_keys[-1]
        self._last_batch = self._new_in_last_batch = 0

    def encoder(self) -> Callable[[list[DealRecord]], Any] | None:
        """Work for the writer that needs no database, to be done where the rows are checked (see
        ``ImportJob.encoder``): the stored form of the records' datetimes, on SQLite."""
        encode = db.datetime_encoder(session=self.session)
        if encode is None:
            return None

        def encode_datetimes(records: list[DealRecord]) -> tuple[list, list[str]]:
            deals = records[:-1] if records and isinstance(records[-1], Tallies) else records
            values = list({value for r in deals for value in (r.stage_entered_at, r.next_followup_at,
                                                                 r.sets.get("created_at")) if value is not None})
            return values, encode(values)

        return encode_datetimes

    def encoding_helps(self) -> bool:
        """Whether the last batch written was mostly new deals: a re-import writes few datetimes."""
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
        converted = {why: n for (kind, why), n in counts.items() if kind == "rate"}
        if converted:
            self.summary.notes.append(f"{sum(converted.values())} amount(s) converted to {self.options.currency} with "
                                      f"--rates: " + ", ".join(f"{code} {n}" for code, n in sorted(converted.items())))
        return super().finish()

    def write_records(self, records: list[DealRecord], encoded: Any = None) -> None:
        if records and isinstance(records[-1], Tallies):
            self.tallies.update(records[-1].counts)
            records = records[:-1]
        if encoded is not None:
            db.remember_datetime_texts(*encoded)
        session, now, last_stage = self.session, self.now, self.last_stage
        stored = db.deals_by_external_id(session=session, external_ids=[r.external_id for r in records])
        plans: list[tuple[DealRecord, Any, DealPlan]] = []
        deal_values = itemgetter(*db.DEAL_FIELDS)
        upserts: list[tuple] = []
        for record in records:
            old = stored.get(record.external_id)
            plan = plan_deal(record, old, now=now, last_stage=last_stage)
            if old is None or differs(plan, old):
                upserts.append((record.external_id, *deal_values(plan.row)))
            plans.append((record, old, plan))
            if old is None and plan.row["undated"]:
                self.tallies["undated", ""] += 1
        ids = db.upsert_deals(session=session, rows=upserts)
        changed = set(ids)
        ids.update({ext: old.id for ext, old in stored.items() if ext not in ids})
        db.insert_stage_changes(session=session, rows=[
            (ids[rec.external_id], from_stage, to_stage, at, SNAPSHOT)
            for rec, _, plan in plans for from_stage, to_stage, at in plan.changes
        ])
        touched = self._write_checks(plans, ids) | self._write_followups(plans, ids)
        summary = self.summary
        created_before = summary.created
        for rec, old, _ in plans:
            if old is None:
                summary.created += 1
            elif rec.external_id in changed or rec.external_id in touched:
                summary.updated += 1
            else:
                summary.unchanged += 1
        summary.rows += len(records)
        self._last_batch, self._new_in_last_batch = len(records), summary.created - created_before

    def _write_checks(self, plans, ids: dict[str, int]) -> set[str]:
        """Record each listed criterion as met where its latest check is not already 'met'."""
        latest = db.latest_criterion_states(
            session=self.session, deal_ids=[ids[rec.external_id] for rec, old, _ in plans if rec.criteria and old]
        )
        now = self.now
        rows: list[tuple] = []
        touched: set[str] = set()
        for rec, old, plan in plans:
            if not rec.criteria:
                continue
            deal_id, stage = ids[rec.external_id], plan.row["stage_key"]
            for key in rec.criteria:
                if old is None or not latest.get((deal_id, stage, key), False):
                    rows.append((deal_id, stage, key, True, IMPORTED, now, None))
                    touched.add(rec.external_id)
        db.insert_rows(session=self.session, table=db.CHECK_TABLE, columns=CHECK_COLUMNS, rows=rows)
        return touched

    def _write_followups(self, plans, ids: dict[str, int]) -> set[str]:
        """An open follow-up at next_followup_at, unless the deal already has one due then."""
        # Done ones count too: a follow-up the rep completed must not come back when the same export is re-imported.
        existing = db.followup_dues(
            session=self.session, deal_ids=[ids[rec.external_id] for rec, old, _ in plans if rec.next_followup_at and old]
        )
        new = [rec for rec, _, _ in plans
               if rec.next_followup_at and (ids[rec.external_id], rec.next_followup_at) not in existing]
        now = self.now
        db.insert_rows(session=self.session, table=db.FOLLOWUP_TABLE, columns=FOLLOWUP_COLUMNS, rows=[
            (ids[rec.external_id], rec.next_followup_at, rec.followup_note, None, now, None) for rec in new
        ])
        return {rec.external_id for rec in new}


@lru_cache(maxsize=256)  # a file spells its statuses a few ways, over and over
def _parse_status(text: str) -> str:
    status = text.strip().lower()
    if status == OPEN:
        return OPEN
    closed = closed_status(text)
    if closed is None:
        raise ValueError(f"unknown status {text!r} (open, won or lost)")
    return closed
