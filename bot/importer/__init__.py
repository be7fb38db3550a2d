"""Import of reps, deals and stage history from a source (a CSV file, a CRM): all of it or none, in one transaction.

Rows come from a source (see ``source``: what it gives, and how a CRM connector plugs in). They are
streamed in batches, keeping only the key sets that duplicate and lookup checks need.
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
from typing import Any

from sqlmodel import Session

from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.importer import pipeline
from bot.importer.columns import PRESETS, ColumnMap, Mapping, load_mapping
from bot.importer.csvfile import CsvSource
from bot.importer.deals import DealImport
from bot.importer.history import HistoryImport
from bot.importer.job import ImportJob
from bot.importer.options import ImportOptions
from bot.importer.plausible import DateWindow
from bot.importer.report import ErrorLog, ImportRejected, ImportSummary, RowError
from bot.importer.reps import RepImport
from bot.importer.source import RecordSource, Row, Source, batched
from bot.importer.targets import TargetImport
from bot.importer.values import StageResolver, text_cells, typed_cells
from knowledge.process_map import ProcessMap
from storage import imports as db
from storage.timeutil import zone

KINDS: dict[str, type[ImportJob]] = {"reps": RepImport, "deals": DealImport, "history": HistoryImport,
                                     "targets": TargetImport}
BATCH_SIZE = 5000

# progress(phase, done, total): phases "importing" and "checking" count the source's units (a file's
# bytes, a CRM's records), "writing" rows.
Progress = Callable[[str, int, int], None]

__all__ = ["KINDS", "PRESETS", "CsvSource", "ImportOptions", "ImportRejected", "ImportSummary", "Mapping",
           "RecordSource", "Source", "import_from", "importing", "load_mapping"]


def import_from(runtime: Runtime, kind: str, source: Source, options: ImportOptions | None = None, *,
                progress: Progress | None = None, on_wait: Callable[[], None] | None = None,
                batch_size: int = BATCH_SIZE, pipeline_min_bytes: int = pipeline.PIPELINE_MIN_BYTES) -> ImportSummary:
    """Import ``source``'s rows as ``kind`` (reps, deals or history): all of them or none, in one transaction.

    Args:
        source: where the rows come from (a ``CsvSource`` file, a CRM's ``RecordSource``; see ``source``).
        options: what the rows cannot say themselves (default owner, currencies...) and the import's
            time and dry run (see ImportOptions).
        progress: called with (phase, done, total) as the import goes.
        on_wait: called once when another import holds the database: this one waits for it to commit,
            then finds what it wrote (see ``storage.imports.take_import_lock``).
        batch_size: rows checked and written at a time.
        pipeline_min_bytes: sources that may (``Source.parallel``) are read and checked in a child
            process while this one writes, from this size on (see ``pipeline``).

    Raises:
        ImportRejected: the source has errors (all counted, the first ones listed); nothing was written.
        InvalidInput: the source cannot be read.
    """
    with importing(runtime, options, on_wait=on_wait) as batch:
        return batch.run(kind, source, progress=progress, batch_size=batch_size, pipeline_min_bytes=pipeline_min_bytes)


@contextmanager
def importing(runtime: Runtime, options: ImportOptions | None = None, *,
              on_wait: Callable[[], None] | None = None) -> Iterator[Importing]:
    """One transaction holding the import lock, to import several sources together: all or none.

    A CRM sync imports a page's deals, then their stage history, and records its own progress (a
    cursor) in ``batch.session``, committed together::

        with importing(runtime, ImportOptions(now=now)) as batch:
            batch.run("deals", deals_source)
            batch.run("history", history_source)

    Any error inside the block (an ``ImportRejected`` of any source) rolls everything back. With
    ``options.dry_run`` everything is checked and counted, then rolled back.
    """
    options = replace(options or ImportOptions(), currency=(options and options.currency) or runtime.settings.currency)
    process = runtime.process  # read before the lock: the import's transaction must start with it
    with runtime.session() as session:
        _lock(session, on_wait)
        with db.bulk_write_tuning(session), _cyclic_gc_paused():
            yield Importing(runtime, session, options, process)
        if options.dry_run:
            session.rollback()  # the commit that follows then has nothing to write


class Importing:
    """Sources imported in one transaction (see ``importing``); ``session`` is open for the caller's writes."""

    def __init__(self, runtime: Runtime, session: Session, options: ImportOptions, process: ProcessMap):
        self.runtime, self.session, self.options, self.process = runtime, session, options, process

    def run(self, kind: str, source: Source, *, progress: Progress | None = None, batch_size: int = BATCH_SIZE,
            pipeline_min_bytes: int = pipeline.PIPELINE_MIN_BYTES) -> ImportSummary:
        """Check and write ``source``'s rows as ``kind`` (see ``import_from`` for the arguments).

        Raises:
            ImportRejected: the source has errors; leaving the ``importing`` block then rolls back.
            InvalidInput: the source cannot be read.
        """
        options = self.options
        columns = source.columns(kind, ("owner_email",) if options.default_owner else ())
        if options.pipeline and "pipeline" not in columns.columns:
            raise InvalidInput(f"--pipeline {options.pipeline!r}: {source.lacks('pipeline')}")
        tz = zone(source.timezone) if source.timezone else None
        cells = (typed_cells if source.typed else text_cells)(source.date_format, tz)
        report = progress or (lambda phase, done, total: None)
        size = source.size
        stages = StageResolver(self.process, source.stage_names(self.process.stage_keys))
        job = KINDS[kind](session=self.session, columns=columns, stages=stages, now=options.now or self.runtime.now(),
                          cells=cells, typed=source.typed, options=options)
        _plausibility(job, self.runtime)
        log = ErrorLog()
        in_child = job.single_pass and source.parallel and size >= pipeline_min_bytes and pipeline.available()

        def on_progress(done: int) -> None:
            report("importing", done, size)

        if in_child:
            # closing: a write that fails stops the reader at once, not when the generator is collected
            with closing(pipeline.checked_in_child(job.checker, source, columns, batch_size=batch_size,
                                                   on_progress=on_progress, pack=job.packer(),
                                                   ahead=job.packing_ahead)) as checked:
                _check_and_write(job, checked, log)
        elif job.single_pass:
            _check_and_write(job, _checked_here(job, source.rows(columns, on_progress), batch_size), log)
        else:
            _check_then_write(job, source, columns, log, report, batch_size)
        if log:
            raise ImportRejected(source.name, log)  # the session rolls back whatever was written
        summary = job.finish()
        summary.checked_in_child = in_child
        summary.dry_run = options.dry_run
        if columns.ignored:
            summary.notes.append(f"ignored column(s): {', '.join(columns.ignored)}")
        return summary


def _plausibility(job: ImportJob, runtime: Runtime) -> None:
    """Dates outside the configured window around the import's time are row errors (see ``plausible``)."""
    settings = runtime.settings
    job.window = DateWindow(job.now, settings.import_years_back, settings.import_years_ahead)
    checker = getattr(job, "checker", None)
    if checker is not None and checker is not job:
        checker.window = job.window


def _lock(session, on_wait: Callable[[], None] | None) -> None:
    """One import at a time: a second import of the same rows, run at the same time, changes nothing."""
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
    """One pass: each checked batch is written while the source has shown no error.

    After the first error the rest is only checked, so every error is listed; the caller then
    rolls the transaction back, so a bad source leaves nothing behind.
    """
    for records, errors in checked:
        log.extend(errors)
        if not log:
            job.write_records(records)
    log.extend(job.check_end())


def _check_then_write(job: ImportJob, source: Source, columns: ColumnMap, log: ErrorLog, report: Progress,
                      batch_size: int) -> None:
    """Two passes, for kinds whose writes need the whole source seen first (managers later in the file,
    the full set of deals a history names): check every row, then, if none failed, write."""
    rows = 0
    size = source.size
    report("checking", 0, size)
    for batch in batched(source.rows(columns, lambda done: report("checking", done, size)), batch_size):
        rows += len(batch)
        log.extend(job.check(batch))
    log.extend(job.check_end())
    if log:
        return
    job.prepare()
    report("writing", 0, rows)
    for batch in job.written_batches(lambda: source.rows(columns), batch_size):
        job.write(batch)
        report("writing", job.summary.rows, rows)
