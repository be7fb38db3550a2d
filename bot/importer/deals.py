"""Importing deals: validate each row, then upsert by external id with their history, checks and follow-ups."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bot.importer.job import ImportJob
from bot.importer.report import RowError
from bot.importer.snapshot import OPEN, DealRecord, differs, plan_deal
from bot.importer.source import Row
from bot.importer.values import closed_status, parse_amount, parse_day, parse_when
from storage import imports as db

SNAPSHOT = "import-snapshot"
IMPORTED = "imported"


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


class DealImport(ImportJob):
    kind = "deals"
    single_pass = True  # files of 100,000s of rows: parse each row once

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.owners = OwnerLookup(db.rep_directory(session=self.session))
        self.last_stage = self.stages.process.stage_keys[-1]
        self.seen: dict[str, int] = {}  # external id -> row number, for duplicates within the file
        self.checked: list[DealRecord] = []  # the last batch's valid rows, waiting for write_checked

    def parse(self, row: Row, errors: list[RowError]) -> DealRecord | None:
        """The row as a DealRecord, or None with its problems added to ``errors``."""
        found = len(errors)
        values = row.values
        external_id = self.required(row, "external_id", errors)
        name = self.required(row, "name", errors)
        owner = self.required(row, "owner_email", errors) and self.cell(row, "owner_email", self.owners.resolve, errors)
        stage_cell = self.required(row, "stage", errors) and self.cell(row, "stage", self.stages.resolve, errors)
        status = self.cell(row, "status", _parse_status, errors)
        when = self._when
        sets: dict[str, Any] = {"name": name}
        if values.get("account"):
            sets["account"] = values["account"]
        if values.get("amount"):
            sets["amount"] = self.cell(row, "amount", parse_amount, errors)
        if values.get("created_at"):
            sets["created_at"] = self.cell(row, "created_at", when, errors)
        if self.given("close_date"):
            sets["close_date"] = self.cell(row, "close_date", self._day, errors)
        if self.given("next_step"):
            sets["next_step"] = values["next_step"] or None
        entered = self.cell(row, "stage_entered_at", when, errors)
        followup = self.cell(row, "next_followup_at", when, errors)
        stage = status_from_stage = None
        if stage_cell:
            kind, key = stage_cell
            stage, status_from_stage = (key, None) if kind == "stage" else (None, key)
        if status and status_from_stage and status != status_from_stage:
            errors.append(self.error(row, "status", f"status {status!r} contradicts stage {values['stage']!r}"))
        criteria = tuple(dict.fromkeys(c.strip() for c in values.get("criteria_met", "").split(";") if c.strip()))
        if criteria and stage_cell and stage is None:
            errors.append(self.error(row, "criteria_met", "criteria need the deal's stage, not only won/lost"))
        elif criteria and stage:
            allowed = self.stages.criteria_of(stage)
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
            followup_note=values.get("followup_note") or None, criteria=criteria,
        )

    def _when(self, text: str):
        return parse_when(text, self.date_format)

    def _day(self, text: str):
        return parse_day(text, self.date_format)

    def check(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        self.checked = []
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
                self.checked.append(record)
        return errors

    def write_checked(self) -> None:
        records, self.checked = self.checked, []
        stored = db.deals_by_external_id(session=self.session, external_ids=[r.external_id for r in records])
        plans = [(record, old, plan_deal(record, old, now=self.now, last_stage=self.last_stage))
                 for record, old in ((record, stored.get(record.external_id)) for record in records)]
        changed = {rec.external_id for rec, old, plan in plans if old is None or differs(plan, old)}
        ids = db.upsert_deals(session=self.session, rows=[
            {"external_id": rec.external_id, **plan.row} for rec, _, plan in plans if rec.external_id in changed
        ])
        ids.update({ext: old.id for ext, old in stored.items() if ext not in ids})
        db.insert_stage_changes(session=self.session, rows=[
            {"deal_id": ids[rec.external_id], "from_stage": f, "to_stage": t, "changed_at": at, "source": SNAPSHOT}
            for rec, _, plan in plans for f, t, at in plan.changes
        ])
        touched = self._write_checks(plans, ids) | self._write_followups(plans, ids)
        for rec, old, _ in plans:
            if old is None:
                self.summary.created += 1
            elif rec.external_id in changed or rec.external_id in touched:
                self.summary.updated += 1
            else:
                self.summary.unchanged += 1
        self.summary.rows += len(records)

    def _write_checks(self, plans, ids: dict[str, int]) -> set[str]:
        """Record each listed criterion as met where its latest check is not already 'met'."""
        wanted = [(rec, plan.row["stage_key"]) for rec, _, plan in plans if rec.criteria]
        latest = db.latest_criterion_states(
            session=self.session, deal_ids=[ids[rec.external_id] for rec, old, _ in plans if rec.criteria and old]
        )
        rows: list[dict[str, Any]] = []
        touched: set[str] = set()
        for rec, stage in wanted:
            deal_id = ids[rec.external_id]
            for key in rec.criteria:
                if not latest.get((deal_id, stage, key), False):
                    rows.append({"deal_id": deal_id, "stage_key": stage, "criterion_key": key, "met": True,
                                 "evidence": IMPORTED, "checked_at": self.now, "checked_by_id": None})
                    touched.add(rec.external_id)
        db.insert_rows(session=self.session, table=db.CHECK_TABLE, rows=rows)
        return touched

    def _write_followups(self, plans, ids: dict[str, int]) -> set[str]:
        """An open follow-up at next_followup_at, unless the deal already has one due then."""
        wanted = [rec for rec, _, _ in plans if rec.next_followup_at]
        # Done ones count too: a follow-up the rep completed must not come back when the same export is re-imported.
        existing = db.followup_dues(
            session=self.session, deal_ids=[ids[rec.external_id] for rec, old, _ in plans if rec.next_followup_at and old]
        )
        new = [rec for rec in wanted if (ids[rec.external_id], rec.next_followup_at) not in existing]
        db.insert_rows(session=self.session, table=db.FOLLOWUP_TABLE, rows=[
            {"deal_id": ids[rec.external_id], "due_at": rec.next_followup_at, "note": rec.followup_note,
             "done_at": None, "created_at": self.now, "created_by_id": None}
            for rec in new
        ])
        return {rec.external_id for rec in new}


def _parse_status(text: str) -> str:
    status = text.strip().lower()
    if status == OPEN:
        return OPEN
    closed = closed_status(text)
    if closed is None:
        raise ValueError(f"unknown status {text!r} (open, won or lost)")
    return closed
