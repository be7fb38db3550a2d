"""Values no CRM export holds are row errors with row and column, and nothing is written.

The import's time is NOW (2026-11-20): dates may lie from 2006-11-20 (20 years back) to 2031-11-20
(5 years ahead); a creation, stage entry or history move may not lie after NOW.
"""

from __future__ import annotations

from bot.core.runtime import Runtime
from tests.importer.helpers import DEALS_HEADER, HISTORY_HEADER, REPS_HEADER, deal, rejected, run, write_csv

OK = {"external_id": "D-1", "name": "Globex", "owner_email": "ann@example.com", "stage": "discover"}



def test_dates_outside_the_window_are_row_errors(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {**OK, "created_at": "0001-01-01"},
        {**OK, "external_id": "D-2", "close_date": "9999-12-31"},
        {**OK, "external_id": "D-3", "created_at": "2026-12-01"},
        {**OK, "external_id": "D-4", "stage_entered_at": "2026-11-21T00:00:00Z"},
        {**OK, "external_id": "D-5", "next_followup_at": "2040-01-01"},
        # Planned dates may lie ahead, and old ones within 20 years are fine.
        {**OK, "external_id": "D-6", "created_at": "2006-11-20", "close_date": "2031-11-20",
         "next_followup_at": "2027-01-04"},
    ])
    assert rejected(with_reps, "deals", path) == [
        "row 1 (line 2), column 'created_at': 0001-01-01 is more than 20 years ago (before 2006-11-20); check the "
        "date or its --date-format, or set STAGECOACH_IMPORT_YEARS_BACK",
        "row 2 (line 3), column 'close_date': 9999-12-31 is more than 5 years ahead (after 2031-11-20); check the "
        "date or its --date-format, or set STAGECOACH_IMPORT_YEARS_AHEAD",
        "row 3 (line 4), column 'created_at': 2026-12-01 is in the future (now is 2026-11-20); it cannot have "
        "happened yet",
        "row 4 (line 5), column 'stage_entered_at': 2026-11-21 is in the future (now is 2026-11-20); it cannot have "
        "happened yet",
        "row 5 (line 6), column 'next_followup_at': 2040-01-01 is more than 5 years ahead (after 2031-11-20); check "
        "the date or its --date-format, or set STAGECOACH_IMPORT_YEARS_AHEAD",
    ]


def test_the_window_is_configurable(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [{**OK, "created_at": "1990-05-01"}])
    wider = Runtime(with_reps.settings.model_copy(update={"import_years_back": 40}), engine=with_reps.engine,
                    clock=with_reps.clock)
    assert run(wider, "deals", path).created == 1
    assert deal(wider, "D-1").created_at.year == 1990


def test_nul_and_control_characters_are_refused_with_their_column(with_reps, tmp_path):
    path = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {**OK, "name": "Glo\x00bex"},
        {**OK, "external_id": "D-2", "account": "Acme\x1b[31m"},
        {**OK, "external_id": "D-3", "followup_note": "line one\nline two\ttabbed"},  # fine
    ])
    assert rejected(with_reps, "deals", path) == [
        "row 1 (line 2), column 'name': holds a NUL byte; remove it (a broken export or a binary file?)",
        "row 2 (line 3), column 'account': holds the control character U+001B; remove it (a broken export or a "
        "binary file?)",
    ]


def test_text_longer_than_its_column_is_refused(with_reps, tmp_path):
    deals = write_csv(tmp_path / "deals.csv", DEALS_HEADER, [
        {**OK, "name": "x" * 301}, {**OK, "external_id": "D" * 101}, {**OK, "external_id": "D-3", "name": "y" * 300},
    ])
    assert rejected(with_reps, "deals", deals) == [
        "row 1 (line 2), column 'name': name is 301 characters long; at most 300 fit",
        "row 2 (line 3), column 'external_id': external_id is 101 characters long; at most 100 fit",
    ]
    reps = write_csv(tmp_path / "reps.csv", REPS_HEADER, [
        ["U" * 33, "long@example.com", "Long", "rep", "T" * 121, "", "UTC"],
    ])
    assert rejected(with_reps, "reps", reps) == [
        "row 1 (line 2), column 'slack_user_id': slack_user_id is 33 characters long; at most 32 fit",
        "row 1 (line 2), column 'team': team is 121 characters long; at most 120 fit",
    ]


def test_a_history_move_cannot_lie_in_the_future(with_reps, tmp_path):
    run(with_reps, "deals", write_csv(tmp_path / "deals.csv", DEALS_HEADER, [OK]))
    path = write_csv(tmp_path / "history.csv", HISTORY_HEADER, [
        ["D-1", "", "discover", "2026-10-01"], ["D-1", "discover", "validate", "2027-01-01"],
        ["D-1", "validate", "close", "1899-12-31"],
    ])
    assert rejected(with_reps, "history", path) == [
        "row 2 (line 3), column 'changed_at': 2027-01-01 is in the future (now is 2026-11-20); it cannot have "
        "happened yet",
        "row 3 (line 4), column 'changed_at': 1899-12-31 is more than 20 years ago (before 2006-11-20); check the "
        "date or its --date-format, or set STAGECOACH_IMPORT_YEARS_BACK",
    ]
