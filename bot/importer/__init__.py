"""CSV import of reps, deals and stage history: all of a file or none of it, in one transaction.

Files are streamed in batches, keeping only the key sets that duplicate and lookup checks need.
Deals (the big files) go in one pass: each batch is checked and written with bulk upserts, and
any error anywhere rolls the whole transaction back. Reps and history check the whole file first
(a rep's manager may come later in the file; a history replaces the timelines of all the deals it
names), then write it in a second pass. A dry run rolls back at the end.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot.importer.columns import PRESETS, ColumnMap, Mapping, load_mapping, resolve_columns
from bot.importer.deals import DealImport
from bot.importer.history import HistoryImport
from bot.importer.job import ImportJob
from bot.importer.report import ErrorLog, ImportRejected, ImportSummary, RowError
from bot.importer.reps import RepImport
from bot.importer.source import DEFAULT_ENCODING, Row, batched, read_header, read_rows
from bot.importer.values import StageResolver
from bot.runtime import Runtime
from storage import imports as db
from storage.timeutil import utcnow

KINDS: dict[str, type[ImportJob]] = {"reps": RepImport, "deals": DealImport, "history": HistoryImport}
BATCH_SIZE = 5000

# progress(phase, done, total): phases "importing" and "checking" count bytes of the file, "writing" rows.
Progress = Callable[[str, int, int], None]

__all__ = ["KINDS", "PRESETS", "ImportRejected", "ImportSummary", "Mapping", "import_csv", "load_mapping"]


def import_csv(runtime: Runtime, kind: str, path: Path, *, preset: str | None = None,
               mapping: dict[str, str] | None = None, stage_names: dict[str, str] | None = None,
               dry_run: bool = False, date_format: str | None = None,
               encoding: str = DEFAULT_ENCODING, progress: Progress | None = None, now: datetime | None = None,
               batch_size: int = BATCH_SIZE) -> ImportSummary:
    """Import ``path`` as ``kind`` (reps, deals or history).

    Args:
        mapping: {file column: field} overriding the header names (and the preset's).
        preset: "hubspot" or "salesforce": the usual header names of those CRMs' deal exports.
        stage_names: {stage as written in the file: stage key, won or lost}, for a CRM's own stage names.
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
    stages = StageResolver(runtime.process, stage_names)
    with runtime.session() as session:
        with db.bulk_write_tuning(session), _cyclic_gc_paused():
            job = KINDS[kind](session=session, columns=columns, stages=stages, now=now or utcnow(),
                              date_format=date_format)
            log = ErrorLog()
            if job.single_pass:
                _check_and_write(job, read_rows(path, columns, encoding=encoding,
                                                on_bytes=lambda done: report("importing", done, size)),
                                 log, batch_size)
            else:
                _check_then_write(job, path, columns, encoding, log, report, size, batch_size)
            if log:
                raise ImportRejected(str(path), log)  # the session rolls back whatever was written
            summary = job.finish()
        if columns.ignored:
            summary.notes.append(f"ignored column(s): {', '.join(columns.ignored)}")
        if dry_run:
            session.rollback()  # the commit that follows then has nothing to write
            summary.dry_run = True
    return summary


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while importing.

    A batch holds tens of thousands of short-lived containers (rows, records, plans), so the collector
    runs every few hundred of them, over and over, finding nothing: the importer's own objects form no
    reference cycles and are freed by reference counting as each batch ends. That cost an eighth of
    the import's CPU time; whatever cyclic garbage there is gets collected once the import is over.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_and_write(job: ImportJob, rows: Iterator[Row], log: ErrorLog, batch_size: int) -> None:
    """One pass: each batch is checked, and written while the file has shown no error.

    After the first error the rest is only checked, so every error is listed; the caller then
    rolls the transaction back, so a bad file leaves nothing behind.
    """
    for batch in batched(rows, batch_size):
        log.extend(job.check(batch))
        if not log:
            job.write_checked()
    log.extend(job.check_end())


def _check_then_write(job: ImportJob, path: Path, columns: ColumnMap, encoding: str, log: ErrorLog,
                      report: Progress, size: int, batch_size: int) -> None:
    """Two passes, for kinds whose writes need the whole file seen first (managers later in the file,
    the full set of deals a history names): check every row, then, if none failed, write."""
    rows = 0
    report("checking", 0, size)
    for batch in batched(read_rows(path, columns, encoding=encoding,
                                   on_bytes=lambda done: report("checking", done, size)), batch_size):
        rows += len(batch)
        log.extend(job.check(batch))
    log.extend(job.check_end())
    if log:
        return
    job.prepare()
    report("writing", 0, rows)
    for batch in batched(read_rows(path, columns, encoding=encoding), batch_size):
        job.write(batch)
        report("writing", job.summary.rows, rows)
