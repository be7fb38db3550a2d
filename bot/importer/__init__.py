"""CSV import of reps, deals and stage history: check the whole file, then write it in one transaction.

Pass 1 streams the file and checks every row, keeping only the key sets that duplicate and lookup
checks need; any error rejects the file before anything is written. Pass 2 streams it again and
writes batches of rows with bulk upserts, all in one transaction (rolled back for a dry run).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.importer.columns import PRESETS, resolve_columns
from bot.importer.deals import DealImport
from bot.importer.history import HistoryImport
from bot.importer.job import ImportJob
from bot.importer.report import ErrorLog, ImportRejected, ImportSummary, RowError
from bot.importer.reps import RepImport
from bot.importer.source import DEFAULT_ENCODING, batched, read_header, read_rows
from bot.importer.values import StageResolver
from bot.runtime import Runtime
from storage.timeutil import utcnow

KINDS: dict[str, type[ImportJob]] = {"reps": RepImport, "deals": DealImport, "history": HistoryImport}
BATCH_SIZE = 2000

# progress(phase, done, total): phase "checking" counts bytes of the file, "writing" counts rows.
Progress = Callable[[str, int, int], None]

__all__ = ["KINDS", "PRESETS", "ImportRejected", "ImportSummary", "import_csv"]


def import_csv(runtime: Runtime, kind: str, path: Path, *, preset: str | None = None,
               mapping: dict[str, str] | None = None, dry_run: bool = False, date_format: str | None = None,
               encoding: str = DEFAULT_ENCODING, progress: Progress | None = None, now: datetime | None = None,
               batch_size: int = BATCH_SIZE) -> ImportSummary:
    """Import ``path`` as ``kind`` (reps, deals or history).

    Args:
        mapping: {file column: field} overriding the header names (and the preset's).
        preset: "hubspot" or "salesforce": the usual header names of those CRMs' deal exports.
        dry_run: check and count everything, write nothing.
        date_format: strptime format tried when a date is not ISO 8601 (e.g. "%m/%d/%Y").
        now: the import's time (follow-ups and checks it creates; stage entries the file does not date).

    Raises:
        ImportRejected: the file has errors (all counted, the first ones listed); nothing was written.
        InvalidInput: the file cannot be read.
    """
    path = Path(path)
    header = read_header(path, encoding=encoding)
    columns, problems = resolve_columns(kind, header, preset=preset, mapping=mapping)
    if columns is None:
        log = ErrorLog()
        log.extend([RowError(0, 1, "", problem) for problem in problems])
        raise ImportRejected(str(path), log)
    report = progress or (lambda phase, done, total: None)
    size = path.stat().st_size
    stages = StageResolver(runtime.process)
    with runtime.session() as session:
        job = KINDS[kind](session=session, columns=columns, stages=stages, now=now or utcnow(),
                          date_format=date_format)
        log = ErrorLog()
        rows = 0
        report("checking", 0, size)
        for batch in batched(read_rows(path, columns, encoding=encoding,
                                        on_bytes=lambda done: report("checking", done, size)), batch_size):
            rows += len(batch)
            log.extend(job.check(batch))
        log.extend(job.check_end())
        if log:
            raise ImportRejected(str(path), log)
        job.prepare()
        report("writing", 0, rows)
        for batch in batched(read_rows(path, columns, encoding=encoding), batch_size):
            job.write(batch)
            report("writing", job.summary.rows, rows)
        summary = job.finish()
        if columns.ignored:
            summary.notes.append(f"ignored column(s): {', '.join(columns.ignored)}")
        if dry_run:
            session.rollback()  # the commit that follows then has nothing to write
            summary.dry_run = True
    return summary
