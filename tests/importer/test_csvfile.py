"""Reading CSV files: encodings, byte-order marks, blank lines, short rows and broken files."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.importer.columns import resolve_columns
from bot.importer.csvfile import read_header, read_rows


def rows_of(path, **options):
    columns, problems = resolve_columns("history", read_header(path, **options))
    assert problems == []
    return [(row.number, row.line, row.values) for row in read_rows(path, columns, **options)]


def test_rows_are_numbered_skipping_blank_lines_with_file_lines_kept(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(b"\xef\xbb\xbfdeal_external_id,from_stage,to_stage,changed_at\r\n"
                     b"D-1,,discover,2026-10-01\r\n"
                     b"\r\n"
                     b",,,\r\n"
                     b'D-2,"discover","validate\r\n(sic)",2026-10-02\r\n'
                     b"D-3,, close\r\n")

    assert rows_of(path) == [
        (1, 2, {"deal_external_id": "D-1", "from_stage": "", "to_stage": "discover", "changed_at": "2026-10-01"}),
        (2, 5, {"deal_external_id": "D-2", "from_stage": "discover", "to_stage": "validate\r\n(sic)",
                "changed_at": "2026-10-02"}),
        # A short row: its missing cells are empty; cells are stripped.
        (3, 7, {"deal_external_id": "D-3", "from_stage": "", "to_stage": "close", "changed_at": ""}),
    ]


def test_other_encodings_are_read_when_named_and_refused_with_a_hint_otherwise(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes("deal_external_id,from_stage,to_stage,changed_at\nDéal-1,,discover,2026-10-01\n".encode("cp1252"))

    assert rows_of(path, encoding="cp1252")[0][2]["deal_external_id"] == "Déal-1"
    with pytest.raises(InvalidInput, match="line 2 is not utf-8-sig text; say which encoding"):
        rows_of(path)


def test_an_empty_or_missing_file_is_refused(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InvalidInput, match="the file is empty"):
        read_header(tmp_path / "empty.csv")
    with pytest.raises(InvalidInput, match="cannot read the file"):
        read_header(tmp_path / "missing.csv")
