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
from contextlib import closing, contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.importer import pipeline
from bot.importer.columns import PRESETS, ColumnMap, Mapping, load_mapping, preset_stages, resolve_columns
from bot.importer.deals import DealImport
from bot.importer.history import HistoryImport
from bot.importer.job import ImportJob
from bot.importer.options import ImportOptions
from bot.importer.plausible import DateWindow
from bot.importer.report import ErrorLog, ImportRejected, ImportSummary, RowError
from bot.importer.reps import RepImport
from bot.importer.source import DEFAULT_ENCODING, Row, batched, read_header, read_rows
from bot.importer.values import StageResolver
from storage import imports as db

KINDS: dict[str, type[ImportJob]] = {"reps": RepImport, "deals": DealImport, "history": HistoryImport}
BATCH_SIZE = 5000

# progress(phase, done, total): phases "importing" and "checking" count bytes of the file, "writing" rows.
Progress = Callable[[str, int, int], None]

__all__ = ["KINDS", "PRESETS", "ImportOptions", "ImportRejected", "ImportSummary", "Mapping", "import_csv", "load_mapping"]


def import_csv(runtime: Runtime, kind: str, path: Path, *, preset: str | None = None,
               mapping: dict[str, str] | None = None, stage_names: dict[str, str] | None = None,
               dry_run: bool = False, date_format: str | None = None,
               encoding: str = DEFAULT_ENCODING, progress: Progress | None = None, now: datetime | None = None,
               batch_size: int = BATCH_SIZE, pipeline_min_bytes: int = pipeline.PIPELINE_MIN_BYTES,
               on_wait: Callable[[], None] | None = None, options: ImportOptions | None = None,
               file_mapping: dict[str, str] | None = None, mapping_name: str = "--mapping") -> ImportSummary:
    """Import ``path`` as ``kind`` (reps, deals or history).

    Args:
        mapping: {file column: field} overriding the header names (and the preset's): ``--map``.
        file_mapping: the same from a mapping file named ``mapping_name``, which ``mapping`` overrides per field.
        preset: "hubspot" or "salesforce": the usual header names of those CRMs' deal exports.
        stage_names: {stage as written in the file: stage key, won or lost}, for a CRM's own stage names.
        dry_run: check and count everything, write nothing.
        date_format: strptime format tried when a date is not ISO 8601 (e.g. "%m/%d/%Y").
        now: the import's time (follow-ups and checks it creates; stage entries the file does not date).
        pipeline_min_bytes: deals files from this size on are read and checked in a child process
            while this one writes (see ``pipeline``).
        options: what the file cannot say itself (default owner, currencies, time zone...; see ImportOptions).
        on_wait: called once when another import holds the database: this one waits for it to commit,
            then finds what it wrote (see ``storage.imports.take_import_lock``).

    Raises:
        ImportRejected: the file has errors (all counted, the first ones listed); nothing was written.
        InvalidInput: the file cannot be read.
    """
    path = Path(path)
    options = replace(options or ImportOptions(), currency=(options and options.currency) or runtime.settings.currency)
    header = read_header(path, encoding=encoding)
    columns, problems = resolve_columns(kind, header, preset=preset, mapping=mapping, file_mapping=file_mapping,
                                        mapping_name=mapping_name,
                                        optional=("owner_email",) if options.default_owner else ())
    if columns is None:
        log = ErrorLog()
        log.extend([RowError(0, 1, "", problem) for problem in problems])
        raise ImportRejected(str(path), log)
    report = progress or (lambda phase, done, total: None)
    size = path.stat().st_size
    stages = StageResolver(runtime.process, preset_stages(preset, runtime.process.stage_keys) | (stage_names or {}))
    if options.pipeline and "pipeline" not in columns.columns:
        raise InvalidInput(f"--pipeline {options.pipeline!r}: the file has no pipeline column "
                           f"(its header: {', '.join(header)}); use --map COLUMN=pipeline")
    with runtime.session() as session:
        _lock(session, on_wait)
        with db.bulk_write_tuning(session), _cyclic_gc_paused():
            job = KINDS[kind](session=session, columns=columns, stages=stages, now=now or runtime.now(),
                              date_format=date_format, options=options)
            _plausibility(job, runtime)
            log = ErrorLog()
            in_child = job.single_pass and size >= pipeline_min_bytes and pipeline.available()

            def on_bytes(done: int) -> None:
                report("importing", done, size)

            if in_child:
                # closing: a write that fails stops the reader at once, not when the generator is collected
                with closing(pipeline.checked_in_child(job.checker, path, columns, encoding=encoding,
                                                       batch_size=batch_size, on_bytes=on_bytes,
                                                       pack=job.packer(), ahead=job.packing_ahead)) as checked:
                    _check_and_write(job, checked, log)
            elif job.single_pass:
                _check_and_write(job, _checked_here(job, read_rows(path, columns, encoding=encoding,
                                                                   on_bytes=on_bytes), batch_size), log)
            else:
                _check_then_write(job, path, columns, encoding, log, report, size, batch_size)
            if log:
                raise ImportRejected(str(path), log)  # the session rolls back whatever was written
            summary = job.finish()
            summary.checked_in_child = in_child
        if columns.ignored:
            summary.notes.append(f"ignored column(s): {', '.join(columns.ignored)}")
        if dry_run:
            session.rollback()  # the commit that follows then has nothing to write
            summary.dry_run = True
    return summary


def _plausibility(job: ImportJob, runtime: Runtime) -> None:
    """Dates outside the configured window around the import's time are row errors (see ``plausible``)."""
    settings = runtime.settings
    job.window = DateWindow(job.now, settings.import_years_back, settings.import_years_ahead)
    checker = getattr(job, "checker", None)
    if checker is not None and checker is not job:
        checker.window = job.window


def _lock(session, on_wait: Callable[[], None] | None) -> None:
    """One import at a time: a second import of the same file, run at the same time, changes nothing."""
    try:
        db.take_import_lock(session=session, on_wait=on_wait)
    except db.ImportBusy:
        raise InvalidInput(f"another import kept the database busy for over {db.IMPORT_LOCK_WAIT_SECONDS // 60} "
                           "minutes; try again when it has finished") from None


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


def _checked_here(job: ImportJob, rows: Iterator[Row], batch_size: int) -> Iterator[tuple[list, list[RowError]]]:
    """(valid records, errors) per batch, checked in this process."""
    for batch in batched(rows, batch_size):
        yield job.checker.check(batch)


def _check_and_write(job: ImportJob, checked: Iterator[tuple[Any, list[RowError]]], log: ErrorLog) -> None:
    """One pass: each checked batch is written while the file has shown no error.

    After the first error the rest is only checked, so every error is listed; the caller then
    rolls the transaction back, so a bad file leaves nothing behind.
    """
    for records, errors in checked:
        log.extend(errors)
        if not log:
            job.write_records(records)
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
