"""Importing deals: validate each row, then upsert by external id with their history, checks and follow-ups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any

from bot.importer.columns import ColumnMap
from bot.importer.job import ImportJob, RowChecker
from bot.importer.report import RowError
from bot.importer.snapshot import OPEN, DealPlan, DealRecord, differs, plan_deal
from bot.importer.source import Row
from bot.importer.values import StageResolver, closed_status, parse_amount, parse_day, parse_when
from storage import imports as db

SNAPSHOT = "import-snapshot"
IMPORTED = "imported"
CHECK_COLUMNS = ("deal_id", "stage_key", "criterion_key", "met", "evidence", "checked_at", "checked_by_id")
FOLLOWUP_COLUMNS = ("deal_id", "due_at", "note", "done_at", "created_at", "created_by_id")


class OwnerLookup:
    """Owners by email, or by name when the cell holds one (CRM exports often do) and it is unique."""

    def __init__(self, directory: list[Any]):
        self.by_email = {rep.email.lower(): rep.id for rep in directory}
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
        ids = [] if "@" in key else self.by_name.get(key, [])
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise ValueError(f"{len(ids)} reps are named {text!r}; give the owner's email")
        raise ValueError(f"unknown owner {text!r} (no rep with that email; import reps first)")


class DealRows(RowChecker):
    """Checks deals-CSV rows and turns the valid ones into DealRecords; needs no database.

    Keeps the ids seen so far, so it must see every row of the file, in order.
    """

    def __init__(self, *, columns: ColumnMap, stages: StageResolver, owners: OwnerLookup,
                 date_format: str | None = None):
        super().__init__(columns)
        self.stages = stages
        self.owners = owners
        self.seen: dict[str, int] = {}  # external id -> row number, for duplicates within the file
        self.has_close_date, self.has_next_step = self.given("close_date"), self.given("next_step")
        self._when = partial(parse_when, date_format=date_format)
        self._day = partial(parse_day, date_format=date_format)

    def parse(self, row: Row, errors: list[RowError]) -> DealRecord | None:
        """The row as a DealRecord, or None with its problems added to ``errors``.

        Runs once per row of files of 100,000s of rows: each cell is read once, and the helpers
        that name a problem (``required``, ``cell``) only run for cells that need them.
        """
        found = len(errors)
        values = row.values
        get = values.get
        cell = self.cell
        external_id = get("external_id") or self.required(row, "external_id", errors)
        name = get("name") or self.required(row, "name", errors)
        owner_text = get("owner_email")
        owner = (self.owners.cache.get(owner_text) or cell(row, "owner_email", self.owners.resolve, errors)
                 if owner_text else self.required(row, "owner_email", errors))
        stage_cell = (cell(row, "stage", self.stages.resolve, errors) if get("stage")
                      else self.required(row, "stage", errors))
        status = cell(row, "status", _parse_status, errors)
        when = self._when
        sets: dict[str, Any] = {"name": name}
        if text := get("account"):
            sets["account"] = text
        if get("amount"):
            sets["amount"] = cell(row, "amount", parse_amount, errors)
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
        if len(errors) > found:
            return None
        return DealRecord(
            external_id=external_id, owner_id=owner, stage=stage, status=status or status_from_stage or OPEN,
            sets=sets, stage_entered_at=entered, next_followup_at=followup,
            followup_note=get("followup_note") or None, criteria=criteria,
        )

    def check(self, rows: list[Row]) -> tuple[list[DealRecord], list[RowError]]:
        """The valid rows' records, and every problem of the others."""
        errors: list[RowError] = []
        records: list[DealRecord] = []
        seen = self.seen
        for row in rows:
            record = self.parse(row, errors)
            external_id = row.values.get("external_id")
            if external_id:
                first = seen.setdefault(external_id, row.number)
                if first != row.number:
                    errors.append(self.error(row, "external_id", f"duplicate id {external_id!r} (also row {first})"))
                    continue
            if record is not None:
                records.append(record)
        return records, errors


class DealImport(ImportJob):
    kind = "deals"
    single_pass = True  # files of 100,000s of rows: parse each row once

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.checker = DealRows(columns=self.columns, stages=self.stages,
                                owners=OwnerLookup(db.rep_directory(session=self.session)),
                                date_format=self.date_format)
        self.last_stage = self.stages.process.stage_keys[-1]
        self._last_batch = self._new_in_last_batch = 0

    def encoder(self) -> Callable[[list[DealRecord]], Any] | None:
        """Work for the writer that needs no database, to be done where the rows are checked (see
        ``ImportJob.encoder``): the stored form of the records' datetimes, on SQLite."""
        encode = db.datetime_encoder(session=self.session)
        if encode is None:
            return None

        def encode_datetimes(records: list[DealRecord]) -> tuple[list, list[str]]:
            values = list({value for r in records for value in (r.stage_entered_at, r.next_followup_at,
                                                                 r.sets.get("created_at")) if value is not None})
            return values, encode(values)

        return encode_datetimes

    def encoding_helps(self) -> bool:
        """Whether the last batch written was mostly new deals: a re-import writes few datetimes."""
        return self._new_in_last_batch * 2 >= self._last_batch

    def write_records(self, records: list[DealRecord], encoded: Any = None) -> None:
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
