"""Importing reps: upsert by email, teams created by name, managers resolved by email (in the file or not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.errors import InvalidInput
from bot.importer.job import ImportJob
from bot.importer.report import RowError
from bot.importer.source import Row
from bot.importer.values import check_email
from storage import imports as db
from storage.models import Role
from storage.timeutil import zone

ROLES = {role.value for role in Role}

# Mailboxes nobody reads, and the users Salesforce creates for its own processes and integrations.
_NOBODY_MAILBOXES = {"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "autoproc",
                     "automatedprocess", "integration", "platformintegration", "chatter", "chatterexpert"}
_SYSTEM_NAMES = {"automated process", "integration user", "platform integration user", "chatter expert",
                 "security user", "data.com clean", "insights integration", "sales insights integration user"}


def not_a_person(*, email: str | None, name: str | None = None, user_type: str | None = None,
                 username: str | None = None) -> str | None:
    """Why a CRM user is not a person who can own deals as a rep, or None when they may be one.

    The one rule for users from a CRM export or API. A user whose ``user_type`` is given and is not
    ``Standard`` (Salesforce's portal, guest, Chatter-only and automated users) is not; nor is one whose
    email or username is an unread mailbox (``noreply@``, ``autoproc@``, ``integration@``...) or whose
    name is one Salesforce gives its system users. Whether the user is active does not matter: inactive
    people left the team but still own the deals they worked, so they stay reps.

    Args:
        email: the user's email. name: full name. user_type: Salesforce's UserType (None: not given).
        username: the login name (Salesforce's Username, which may differ from the email).
    """
    if user_type and user_type.strip().lower() != "standard":
        return f"user type {user_type.strip()}"
    for address in (email, username):
        mailbox = (address or "").strip().lower().partition("@")[0]
        if mailbox.replace(".", "") in _NOBODY_MAILBOXES:
            return f"automated address {address.strip()}"
    if name and " ".join(name.split()).lower() in _SYSTEM_NAMES:
        return f"system user {name.strip()!r}"
    return None


@dataclass(slots=True)
class RepRecord:
    email: str
    sets: dict[str, Any]  # name, and role/timezone/slack_user_id when given
    team: str | None  # only meaningful when the file has a team column
    manager: str | None  # lower-case email; only meaningful with a manager_email column


def _role(text: str) -> str:
    if text.lower() not in ROLES:
        raise ValueError(f"unknown role {text!r} ({', '.join(sorted(ROLES))})")
    return text.lower()


def _timezone(text: str) -> str:
    zone(text)  # raises ValueError for a name that is not an IANA timezone
    return text


def _stored_values(rep: Any) -> dict[str, Any]:
    values = {name: getattr(rep, name) for name in db.REP_FIELDS}
    values["role"] = getattr(values["role"], "value", values["role"])
    return values


class RepImport(ImportJob):
    kind = "reps"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stored = {rep.email.lower(): rep for rep in db.rep_directory(session=self.session)}
        self.slack_owner = {rep.slack_user_id: rep.email.lower() for rep in self.stored.values() if rep.slack_user_id}
        self.file_emails: dict[str, int] = {}
        self.file_slack: dict[str, int] = {}
        self.crm_owner = {rep.crm_id: rep.email.lower() for rep in self.stored.values() if rep.crm_id}
        self.file_crm: dict[str, int] = {}
        self.skipped: dict[int, RowError] = {}  # row number -> its first problem (--skip-invalid)
        self.not_people: dict[int, str] = {}  # row number -> why the CRM user it holds is not a person
        self.teams: dict[str, str] = {}  # lower-case name -> first spelling in the file (names match ignoring case)
        self.pending_managers: list[RowError] = []  # managers not stored yet: must appear in the file
        self.manager_of: dict[str, str | None] = {}
        self.file_reps: dict[str, tuple[Row, RepRecord]] = {}  # the file's reps, for checking their managers
        self.changed: set[str] = set()
        self.ids: dict[str, int] = {}

    def parse(self, row: Row, errors: list[RowError]) -> RepRecord | None:
        found = len(errors)
        self.screen(row, errors)
        if len(errors) > found:
            return None
        email = self.cell(row, "email", check_email, errors) if self.required(row, "email", errors) else None
        sets: dict[str, Any] = {"name": self.required(row, "name", errors)}
        for field, parse in (("role", _role), ("timezone", _timezone), ("slack_user_id", str), ("crm_id", str)):
            if row.values.get(field):
                sets[field] = self.cell(row, field, parse, errors)
        manager = self.cell(row, "manager_email", check_email, errors)
        manager = manager.lower() if manager else None
        if manager and email and manager == email.lower():
            errors.append(self.error(row, "manager_email", "a rep cannot be their own manager"))
        if len(errors) > found or email is None:
            return None
        return RepRecord(email=email, sets=sets, team=row.values.get("team") or None, manager=manager)

    def check(self, rows: list[Row]) -> list[RowError]:
        if self.columns.preset:  # a CRM's user export: its system users are left out, never reps nor errors
            rows = [row for row in rows if not self._not_a_person(row)]
        if not self.options.skip_invalid:
            return self._check(rows)
        kept: list[RowError] = []
        for row in rows:  # one at a time, so a skipped row's email or ids do not count as seen
            errors = self._check([row], dry=True)
            if errors:
                self.skipped[row.number] = errors[0]
            else:
                kept.extend(self._check([row]))
        return kept

    def _not_a_person(self, row: Row) -> bool:
        """Whether the row holds a CRM user who is not a person (see ``not_a_person``), remembering why."""
        get = row.values.get
        why = not_a_person(email=get("email"), name=get("name"), user_type=get("user_type"), username=get("username"))
        if why:
            self.not_people[row.number] = why
        return why is not None

    def _check(self, rows: list[Row], dry: bool = False) -> list[RowError]:
        """Each row's problems; ``dry``: without remembering its email, ids and team as seen."""
        errors: list[RowError] = []
        for row in rows:
            record = self.parse(row, errors)
            if record is None:
                continue
            if dry:
                self._conflicts(row, record, errors)
                continue
            key = record.email.lower()
            first = self.file_emails.setdefault(key, row.number)
            if first != row.number:
                errors.append(self.error(row, "email", f"duplicate email {record.email!r} (also row {first})"))
            slack = record.sets.get("slack_user_id")
            if slack:
                first = self.file_slack.setdefault(slack, row.number)
                holder = self.slack_owner.get(slack, key)
                if first != row.number:
                    errors.append(self.error(row, "slack_user_id", f"duplicate Slack id {slack!r} (also row {first})"))
                elif holder != key:
                    errors.append(self.error(row, "slack_user_id", f"Slack id {slack!r} belongs to rep {holder}"))
            crm_id = record.sets.get("crm_id")
            if crm_id:
                first = self.file_crm.setdefault(crm_id, row.number)
                holder = self.crm_owner.get(crm_id, key)
                if first != row.number:
                    errors.append(self.error(row, "crm_id", f"duplicate CRM id {crm_id!r} (also row {first})"))
                elif holder != key:
                    errors.append(self.error(row, "crm_id", f"CRM id {crm_id!r} belongs to rep {holder}"))
            if record.team:
                self.teams.setdefault(record.team.lower(), record.team)
            if record.manager and record.manager not in self.stored:
                self.pending_managers.append(self.error(row, "manager_email", record.manager))
            self.file_reps.setdefault(key, (row, record))
        return errors

    def _conflicts(self, row: Row, record: RepRecord, errors: list[RowError]) -> None:
        """A valid row's clashes with rows kept before it (email, Slack id, CRM id), without recording it."""
        key = record.email.lower()
        for field, seen, value in (("email", self.file_emails, key),
                                   ("slack_user_id", self.file_slack, record.sets.get("slack_user_id")),
                                   ("crm_id", self.file_crm, record.sets.get("crm_id"))):
            if value and value in seen:
                errors.append(self.error(row, field, f"duplicate {field} {value!r} (also row {seen[value]})"))
        for field, owners in (("slack_user_id", self.slack_owner), ("crm_id", self.crm_owner)):
            value = record.sets.get(field)
            if value and owners.get(value, key) != key:
                errors.append(self.error(row, field, f"{field} {value!r} belongs to rep {owners[value]}"))

    def check_end(self) -> list[RowError]:
        unknown = [RowError(e.row, e.line, e.column, f"unknown manager {e.message!r}: no rep with that email "
                                                      "in the database or the file")
                   for e in self.pending_managers if e.message not in self.file_emails]
        return unknown or self._check_managers()

    def _check_managers(self) -> list[RowError]:
        """Each rep of the file, as it will be stored: a manager who has the role manager or admin, in the
        rep's own team (a manager's team reports show their team's deals), and no chain of managers
        that comes back to the rep."""
        by_id = {rep.id: key for key, rep in self.stored.items()}
        team_name = {id_: name for name, id_ in db.team_ids(session=self.session).items()}

        def final(key: str) -> tuple[str, str | None, str | None]:
            """(role, team, manager email) of the rep ``key`` once the file is written."""
            old = self.stored.get(key)
            role = getattr(old.role, "value", old.role) if old is not None else Role.rep.value
            team = team_name.get(old.team_id) if old is not None and old.team_id else None
            manager = by_id.get(old.manager_id) if old is not None and old.manager_id else None
            if key in self.file_reps:
                record = self.file_reps[key][1]
                role = record.sets.get("role") or role
                if self.given("team"):
                    team = record.team
                if self.given("manager_email"):
                    manager = record.manager
            return role, team, manager

        errors: list[RowError] = []
        cycles: set[frozenset[str]] = set()
        for key, (row, _) in self.file_reps.items():
            if row.number in self.skipped:
                continue
            _, team, manager = final(key)
            if manager is None:
                continue
            manager_role, manager_team, _ = final(manager)
            if manager_role == Role.rep.value:
                errors.append(self.error(row, "manager_email", f"{manager} has the role 'rep'; a manager needs the "
                                                               "role manager or admin (set it in the role column)"))
            elif manager_role == Role.manager.value and (manager_team or "").lower() != (team or "").lower():
                errors.append(self.error(row, "manager_email", f"{manager} manages team {manager_team or '(none)'}, "
                                                               f"not this rep's team {team or '(none)'}; a manager "
                                                               "manages their own team"))
            chain, at = [key], manager
            while at is not None and at not in chain and len(chain) <= len(self.stored) + len(self.file_reps):
                chain.append(at)
                at = final(at)[2]
            if at == key and frozenset(chain) not in cycles:
                cycles.add(frozenset(chain))
                errors.append(self.error(row, "manager_email", "managers form a cycle: "
                                                               + " → ".join([*chain, key])))
        # Reps already stored, not in the file, whose manager the file changes (role or team).
        for key in self.stored.keys() - self.file_reps.keys():
            _, team, manager = final(key)
            if manager not in self.file_reps or self.file_reps[manager][0].number in self.skipped:
                continue
            row = self.file_reps[manager][0]
            manager_role, manager_team, _ = final(manager)
            if manager_role == Role.rep.value and self.given("role"):
                errors.append(self.error(row, "role", f"{key} has this rep as manager; a manager needs the role "
                                                      "manager or admin"))
            elif manager_role == Role.manager.value and (manager_team or "").lower() != (team or "").lower():
                errors.append(self.error(row, "team", f"{key}, in team {team or '(none)'}, has this rep as manager; "
                                                      "move them too, or give them another manager"))
        return sorted(errors, key=lambda e: e.row)

    def prepare(self) -> None:
        known = {name.lower() for name in db.team_ids(session=self.session)}
        db.create_teams(session=self.session, names=sorted(name for key, name in self.teams.items() if key not in known))
        self.team_id = {name.lower(): id_ for name, id_ in db.team_ids(session=self.session).items()}
        self.pending_managers.clear()

    def write(self, rows: list[Row]) -> None:
        errors: list[RowError] = []
        upserts = []
        left_out = self.skipped.keys() | self.not_people.keys()
        for record in (self.parse(row, errors) for row in rows if row.number not in left_out):
            if record is None:
                raise InvalidInput(f"the file changed while importing: {errors[0]}")
            key = record.email.lower()
            old = self.stored.get(key)
            current = _stored_values(old) if old is not None else None
            target = dict(current or {"slack_user_id": None, "role": Role.rep.value, "team_id": None, "timezone": "UTC"})
            target.update(record.sets)
            target["email"] = old.email if old is not None else record.email
            if self.given("team"):
                target["team_id"] = self.team_id[record.team.lower()] if record.team else None
            if self.given("manager_email"):
                self.manager_of[key] = record.manager
            if target != current:
                self.changed.add(key)
                upserts.append(target)
            else:
                self.ids[key] = old.id
            self.summary.rows += 1
        emails = db.upsert_reps(session=self.session, rows=upserts)
        self.ids.update({email.lower(): id_ for email, id_ in emails.items()})

    def finish(self):
        """Set managers now that every rep of the file has an id."""
        updates = []
        for key, manager in self.manager_of.items():
            manager_id = None if manager is None else self.ids.get(manager) or self.stored[manager].id
            old = self.stored.get(key)
            if (old.manager_id if old is not None else None) != manager_id:
                updates.append({"rid": self.ids[key], "manager_id": manager_id})
                self.changed.add(key)
        db.set_rep_managers(session=self.session, rows=updates)
        self.summary.created = sum(1 for key in self.changed if key not in self.stored)
        self.summary.updated = len(self.changed) - self.summary.created
        self.summary.unchanged = self.summary.rows - len(self.changed)
        if self.not_people:
            shown = [f"row {number} ({why})" for number, why in list(self.not_people.items())[:5]]
            more = len(self.not_people) - len(shown)
            self.summary.notes.append(f"{len(self.not_people)} user(s) left out, not people: "
                                      + "; ".join(shown) + (f"; and {more} more" if more else ""))
        if self.skipped:
            shown = [str(error) for error in list(self.skipped.values())[:5]]
            more = len(self.skipped) - len(shown)
            self.summary.notes.append(f"{len(self.skipped)} invalid row(s) skipped (--skip-invalid): "
                                      + "; ".join(shown) + (f"; and {more} more" if more else ""))
        return self.summary
