"""Files shaped unlike a clean CSV, and manager links no company has: named, never dropped or accepted silently."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from tests.importer.helpers import REPS_HEADER, counts, rejected, rep, run, write_csv


def test_a_semicolon_delimited_export_is_read_as_such(runtime, tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text("email;name;role;team\nann@example.com;Ann Archer;manager;\"East; North\"\n", encoding="utf-8")
    assert run(runtime, "reps", path).line() == "1 rows: 1 created, 0 updated, 0 unchanged"
    assert (rep(runtime, "ann@example.com").name, rep(runtime, "ann@example.com").role.value) == ("Ann Archer", "manager")


def test_an_unterminated_quote_is_reported_where_it_starts(runtime, tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text('email,name\nann@example.com,"Ann Archer\nbob@example.com,Bob\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        run(runtime, "reps", path)
    assert str(caught.value) == (f'{path}: line 2: a quoted value starts here and is never closed (a missing "); '
                                 'close the quote, or double a quote inside a value ("")')
    assert counts(runtime)["Rep"] == 0


def test_a_row_longer_than_the_header_is_an_error_but_empty_trailing_cells_are_fine(runtime, tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text("email,name\nann@example.com,Archer, Ann\nbob@example.com,Bob,,\n", encoding="utf-8")
    assert rejected(runtime, "reps", path) == [
        "row 1 (line 2): 1 value(s) past the header's last column (a value with a comma or ';' that is not quoted?)"]


def test_a_column_repeated_in_the_header_is_an_error_when_it_feeds_a_field(runtime, tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text("email,Name,name,Notes,notes\nann@example.com,Ann,Anne,x,y\n", encoding="utf-8")
    assert rejected(runtime, "reps", path) == [
        "header: column 'name' appears twice in the header (columns 2 and 3); rename or remove one, so it is clear "
        "which to read"]


def test_managers_must_be_managers_of_the_same_team_and_never_form_a_cycle(runtime, tmp_path):
    run(runtime, "reps", write_csv(tmp_path / "team.csv", REPS_HEADER, [
        {"email": "mia@example.com", "name": "Mia", "role": "manager", "team": "East"},
        {"email": "ray@example.com", "name": "Ray", "role": "rep", "team": "East", "manager_email": "mia@example.com"},
    ]))
    path = write_csv(tmp_path / "reps.csv", REPS_HEADER, [
        {"email": "a@example.com", "name": "A", "role": "manager", "team": "East", "manager_email": "b@example.com"},
        {"email": "b@example.com", "name": "B", "role": "manager", "team": "East", "manager_email": "a@example.com"},
        {"email": "c@example.com", "name": "C", "role": "rep", "team": "West", "manager_email": "mia@example.com"},
        {"email": "d@example.com", "name": "D", "role": "rep", "team": "East", "manager_email": "ray@example.com"},
        # Fine: a manager of the rep's own team, and an admin, who may manage anyone.
        {"email": "e@example.com", "name": "E", "role": "rep", "team": "east", "manager_email": "mia@example.com"},
        {"email": "z@example.com", "name": "Z", "role": "admin"},
        {"email": "f@example.com", "name": "F", "role": "manager", "team": "West", "manager_email": "z@example.com"},
    ])
    assert rejected(runtime, "reps", path) == [
        "row 1 (line 2), column 'manager_email': managers form a cycle: a@example.com → b@example.com → a@example.com",
        "row 3 (line 4), column 'manager_email': mia@example.com manages team East, not this rep's team West; "
        "a manager manages their own team",
        "row 4 (line 5), column 'manager_email': ray@example.com has the role 'rep'; a manager needs the role "
        "manager or admin (set it in the role column)",
    ]
    # Moving the manager to another team in a later file is checked against the reps already stored too.
    moved = write_csv(tmp_path / "moved.csv", REPS_HEADER, [
        {"email": "ray@example.com", "name": "Ray", "role": "rep", "team": "West", "manager_email": "mia@example.com"},
    ])
    assert rejected(runtime, "reps", moved) == [
        "row 1 (line 2), column 'manager_email': mia@example.com manages team East, not this rep's team West; "
        "a manager manages their own team"]
    # So is moving a manager away from the reps already stored under them, or making them a rep.
    away = write_csv(tmp_path / "away.csv", REPS_HEADER, [
        {"email": "mia@example.com", "name": "Mia", "role": "manager", "team": "West", "manager_email": ""},
    ])
    assert rejected(runtime, "reps", away) == [
        "row 1 (line 2), column 'team': ray@example.com, in team East, has this rep as manager; move them too, "
        "or give them another manager"]
    demoted = write_csv(tmp_path / "demoted.csv", REPS_HEADER, [
        {"email": "mia@example.com", "name": "Mia", "role": "rep", "team": "East", "manager_email": ""},
    ])
    assert rejected(runtime, "reps", demoted) == [
        "row 1 (line 2), column 'role': ray@example.com has this rep as manager; a manager needs the role "
        "manager or admin"]
