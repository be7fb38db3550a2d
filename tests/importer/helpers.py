"""Shared bits for importer tests: writing small CSV files, importing them, counting rows."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.core.runtime import Runtime
from bot.importer import CsvSource, ImportOptions, ImportRejected, import_from
from storage.models import CriterionCheck, Deal, FollowUp, Rep, StageChange, Team
from tests.utils.factories import NOW

CSV_DIR = Path(__file__).resolve().parent.parent / "data" / "csv"
REPS_CSV = CSV_DIR / "reps.csv"
DEALS_CSV = CSV_DIR / "deals.csv"
HISTORY_CSV = CSV_DIR / "history.csv"
HUBSPOT_CSV = CSV_DIR / "hubspot_deals.csv"
SALESFORCE_CSV = CSV_DIR / "salesforce_deals.csv"

DEALS_HEADER = ["external_id", "name", "account", "owner_email", "stage", "amount", "created_at", "stage_entered_at",
                "close_date", "next_followup_at", "followup_note", "criteria_met", "status"]
HISTORY_HEADER = ["deal_external_id", "from_stage", "to_stage", "changed_at"]
REPS_HEADER = ["slack_user_id", "email", "name", "role", "team", "manager_email", "timezone"]


def at(*parts: int) -> datetime:
    """An aware UTC datetime, the way the tables hold them."""
    return datetime(*parts, tzinfo=UTC)


def write_csv(path: Path, header: list[str], rows: list[list[str] | dict[str, str]]) -> Path:
    """A CSV file with ``header``; rows are lists, or dicts filling the named columns (others empty)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        for row in rows:
            out.writerow([row.get(name, "") for name in header] if isinstance(row, dict) else row)
    return path


CSV_ARGUMENTS = ("encoding", "preset", "mapping", "file_mapping", "mapping_name", "stage_names", "date_format",
                 "timezone")


def run(runtime: Runtime, kind: str, path: Path, *, options: ImportOptions | None = None, now: datetime = NOW,
        dry_run: bool = False, **arguments):
    """Import the file ``path`` as ``kind`` at ``now``; ``arguments`` go to its CsvSource or to import_from."""
    reading = {name: arguments.pop(name) for name in CSV_ARGUMENTS if name in arguments}
    return import_from(runtime, kind, CsvSource(path, **reading),
                       replace(options or ImportOptions(), now=now, dry_run=dry_run), **arguments)


def counts(runtime: Runtime) -> dict[str, int]:
    """Rows per table the importer writes, to show what an import did (or did not) write."""
    with runtime.session() as session:
        return {model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Team, Rep, Deal, StageChange, CriterionCheck, FollowUp)}


def timeline(runtime: Runtime, external_id: str) -> list[tuple]:
    """(from, to, changed_at, source) of a deal's stage changes in order."""
    with runtime.session() as session:
        deal = session.exec(select(Deal).where(Deal.external_id == external_id)).one()
        rows = session.exec(select(StageChange).where(StageChange.deal_id == deal.id)
                            .order_by(StageChange.changed_at, StageChange.id)).all()
        return [(c.from_stage, c.to_stage, c.changed_at, c.source) for c in rows]


def deal(runtime: Runtime, external_id: str) -> Deal:
    with runtime.session() as session:
        return session.exec(select(Deal).where(Deal.external_id == external_id)).one()


def rep(runtime: Runtime, email: str) -> Rep:
    with runtime.session() as session:
        return session.exec(select(Rep).where(Rep.email == email)).one()


def rejected(runtime: Runtime, kind: str, path: Path) -> list[str]:
    """The errors of an import that must be refused whole; the database is checked unchanged."""
    before = counts(runtime)
    with pytest.raises(ImportRejected) as caught:
        run(runtime, kind, path)
    assert counts(runtime) == before
    return [str(e) for e in caught.value.errors]
