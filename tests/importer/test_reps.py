"""Importing reps: upsert by email, teams and managers, every error listed, nothing half-written."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.importer import ImportRejected
from storage.models import Role, Team
from tests.importer.helpers import REPS_CSV, REPS_HEADER, counts, rep, run, write_csv


def test_reps_file_creates_reps_teams_and_managers(runtime):
    summary = run(runtime, "reps", REPS_CSV)

    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (4, 4, 0, 0)
    ann, bob, mia, zed = (rep(runtime, f"{n}@example.com") for n in ("ann", "bob", "mia", "zed"))
    assert (ann.slack_user_id, ann.name, ann.role, ann.timezone) == ("U001", "Ann Archer", Role.rep, "Europe/Berlin")
    assert mia.role == Role.manager and zed.role == Role.admin
    assert ann.manager_id == mia.id and bob.manager_id == mia.id and mia.manager_id is None
    # "East" and "east" are one team, named as first written.
    with runtime.session() as session:
        assert [t.name for t in session.exec(select(Team)).all()] == ["East"]
    assert ann.team_id == bob.team_id == mia.team_id is not None and zed.team_id is None


def test_importing_the_same_reps_twice_changes_nothing(runtime):
    run(runtime, "reps", REPS_CSV)
    before = counts(runtime)

    summary = run(runtime, "reps", REPS_CSV)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 4)
    assert counts(runtime) == before


def test_changed_rows_update_by_email_ignoring_case(runtime, tmp_path):
    run(runtime, "reps", REPS_CSV)
    changed = write_csv(tmp_path / "reps.csv", REPS_HEADER, [
        ["U001", "ANN@example.com", "Ann Archer-Ray", "manager", "West", "", "Europe/Paris"],
        ["U003", "mia@example.com", "Mia Moss", "manager", "East", "", "Europe/London"],
    ])

    summary = run(runtime, "reps", changed)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    ann = rep(runtime, "ann@example.com")  # the stored spelling of the email is kept
    assert (ann.name, ann.role, ann.timezone, ann.manager_id) == ("Ann Archer-Ray", Role.manager, "Europe/Paris", None)
    with runtime.session() as session:
        assert session.get(Team, ann.team_id).name == "West"
    assert counts(runtime)["Rep"] == 4


def test_a_manager_may_come_later_in_the_file(runtime, tmp_path):
    path = write_csv(tmp_path / "reps.csv", REPS_HEADER, [
        ["", "a@example.com", "A", "rep", "", "boss@example.com", ""],
        ["", "boss@example.com", "Boss", "manager", "", "", ""],
    ])

    run(runtime, "reps", path)

    assert rep(runtime, "a@example.com").manager_id == rep(runtime, "boss@example.com").id
    assert rep(runtime, "a@example.com").timezone == "UTC"


def test_a_bad_reps_file_is_rejected_whole_with_every_error(runtime, tmp_path):
    path = write_csv(tmp_path / "reps.csv", REPS_HEADER, [
        ["U1", "good@example.com", "Good", "rep", "East", "", "UTC"],
        ["U2", "not-an-email", "Bad email", "rep", "", "", ""],
        ["U3", "c@example.com", "Bad role", "boss", "", "", ""],
        ["U4", "d@example.com", "Bad zone", "rep", "", "", "Mars/Olympus"],
        ["U5", "GOOD@example.com", "Duplicate", "rep", "", "", ""],
        ["U6", "e@example.com", "No manager", "rep", "", "ghost@example.com", ""],
        ["U1", "f@example.com", "Same Slack id", "rep", "", "", ""],
        ["U7", "g@example.com", "", "rep", "", "", ""],
    ])

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "reps", path)

    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(2, "email"), (3, "role"), (4, "timezone"), (5, "email"), (6, "manager_email"),
                     (7, "slack_user_id"), (8, "name")}
    messages = "\n".join(caught.value.problems)
    assert "row 3 (line 4), column 'role': unknown role 'boss'" in messages
    assert "unknown timezone: 'Mars/Olympus'" in messages
    assert "duplicate email 'GOOD@example.com' (also row 1)" in messages
    assert "unknown manager 'ghost@example.com'" in messages
    assert counts(runtime) == {"Team": 0, "Rep": 0, "Deal": 0, "StageChange": 0, "CriterionCheck": 0, "FollowUp": 0}


def test_a_slack_id_held_by_another_stored_rep_is_an_error(runtime, tmp_path):
    run(runtime, "reps", REPS_CSV)
    path = write_csv(tmp_path / "reps.csv", REPS_HEADER, [["U001", "new@example.com", "New", "rep", "", "", ""]])

    with pytest.raises(ImportRejected) as caught:
        run(runtime, "reps", path)

    assert "belongs to rep ann@example.com" in str(caught.value)
    assert counts(runtime)["Rep"] == 4
