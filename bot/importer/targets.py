"""Importing targets: what each rep or team is to win in a period, one row each (``rep`` or ``team``,
``period``, ``amount``); a target already set for the same holder and period takes the new amount.

Periods are read like the reports' (``2027-Q1``, ``2027-01``, ``Q1 2027``, ``2027-01-01..2027-03-31``); a
quarter or month without a year is the next one that has not ended yet (targets are set ahead).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.core.errors import InvalidInput
from bot.importer.job import ImportJob
from bot.importer.report import RowError
from bot.importer.source import Row
from bot.pipeline.periods import parse_period, target_days
from storage import targets as db
from storage.reports import reps_named, team_named


class TargetImport(ImportJob):
    kind = "targets"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[tuple, int] = {}  # (holder, first, last) -> first row
        self.reps: dict[str, int | str] = {}  # text -> rep id, or the problem
        self.teams: dict[str, int | str] = {}

    def _rep(self, text: str) -> int:
        if text not in self.reps:
            found = reps_named(session=self.session, text=text)
            self.reps[text] = (found[0].id if len(found) == 1 else  # type: ignore[assignment]
                               f"unknown rep {text!r}" if not found else f"{text!r} names several reps")
        value = self.reps[text]
        if isinstance(value, str):
            raise ValueError(value)
        return value

    def _team(self, text: str) -> int:
        if text not in self.teams:
            team = team_named(session=self.session, text=text)
            self.teams[text] = team.id if team is not None else f"unknown team {text!r}"  # type: ignore[assignment]
        value = self.teams[text]
        if isinstance(value, str):
            raise ValueError(value)
        return value

    def _period(self, text: str) -> tuple[date, date]:
        try:
            first, last, _ = target_days(parse_period(text), self.now.date())
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
        return first, last

    def parse(self, row: Row, errors: list[RowError]) -> dict | None:
        found = len(errors)
        self.screen(row, errors)
        if len(errors) > found:
            return None
        rep, team = row.values.get("rep", "").strip(), row.values.get("team", "").strip()
        if bool(rep) == bool(team):
            errors.append(self.error(row, "rep", "give a rep or a team (one of them)"))
        rep_id = self.cell(row, "rep", self._rep, errors) if rep else None
        team_id = self.cell(row, "team", self._team, errors) if team else None
        days = self.required(row, "period", errors) and self.cell(row, "period", self._period, errors)
        amount = self.required(row, "amount", errors) and self.cell(row, "amount", lambda t: self.cells.money(t).value,
                                                                    errors)
        if len(errors) > found:
            return None
        return {"rep_id": rep_id, "team_id": team_id, "first_day": days[0], "last_day": days[1],
                "amount": Decimal(amount)}

    def check(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        for row in rows:
            target = self.parse(row, errors)
            if target is None:
                continue
            key = (db.holder(rep_id=target["rep_id"], team_id=target["team_id"]), target["first_day"],
                   target["last_day"])
            first = self.seen.setdefault(key, row.number)
            if first != row.number:
                errors.append(self.error(row, "period", f"a second target for the same period (row {first})"))
        return errors

    def write(self, rows: list[Row]) -> None:
        errors: list[RowError] = []
        targets = [t for row in rows if (t := self.parse(row, errors)) is not None]
        if errors:
            raise InvalidInput(f"the file changed while importing: {errors[0]}")
        created, updated, unchanged = db.save_targets(session=self.session, rows=targets, set_by_id=None, now=self.now,
                                                      source="import")
        self.summary.rows += len(rows)
        self.summary.created += created
        self.summary.updated += updated
        self.summary.unchanged += unchanged
