"""Checking a large source's rows in a child process while this one writes the checked batches.

Reading, decoding and checking rows needs no database (a single-pass job's ``checker``), and takes
about as much CPU time as planning and writing them; on a machine with a spare core the two run
side by side. The child sends each batch's valid records (packed by the job: plain values, cheap to
pickle, with writes it can prepare without the database; see ``ImportJob.packer``) and errors, in
file order, through a bounded queue (memory stays a few batches whatever the file's size); the
parent treats them exactly as it treats batches it checked itself, so the file is still rejected
whole, with every error, inside the parent's one transaction.

The child is forked: it starts in milliseconds with the checker as it is (reps directory, stage
map, column map), where a spawned interpreter would spend most of a second importing modules.
It reads only the source (one that says it may: ``Source.parallel``, as a file does) and never touches
the parent's database connection, and it leaves with ``os._exit`` (multiprocessing's way), which
closes nothing of the parent's.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import signal
import traceback
from collections.abc import Callable, Iterator
from itertools import chain, count, islice, repeat, takewhile
from typing import Any

from bot.core.errors import InvalidInput
from bot.importer.columns import ColumnMap
from bot.importer.report import RowError
from bot.importer.source import Source

# Below this size (of a file, in bytes) a source checks in a blink, less than the child process and its hand-over would cost.
PIPELINE_MIN_BYTES = 2 * 1024 * 1024
FIRST_BATCH = 500  # rows: a small first batch gets the writer going sooner, the next ones double up to the batch size
QUEUED_BATCHES = 4  # batches checked ahead of the writer: enough to keep both busy, memory stays flat
_POLL_SECONDS = 1.0  # how often the parent looks whether a silent child is still alive


def available() -> bool:
    """Whether this platform can fork a checker (Linux and other POSIX systems)."""
    return "fork" in multiprocessing.get_all_start_methods()


def checked_in_child(checker: Any, source: Source, columns: ColumnMap, *, batch_size: int,
                     on_progress: Callable[[int], None], pack: Callable[[list, bool], Any] | None = None,
                     ahead: Callable[[], bool] = lambda: False) -> Iterator[tuple[Any, list[RowError]]]:
    """(valid records, errors) per batch of ``source``'s rows, checked by ``checker`` in a child process.

    With ``pack``, the records come as ``pack(records, ahead)`` gave them in the child (see
    ``ImportJob.packer``), where ``ahead`` is what ``ahead()`` said after the batch before was
    written. Once a batch had errors, nothing more is written: later batches come without records.
    ``on_progress(position)`` gets how far into the source the child has read, as each batch arrives.

    Raises:
        InvalidInput: the source cannot be read (as its ``rows`` says), or the child failed.
    """
    context = multiprocessing.get_context("fork")
    batches = context.Queue(maxsize=QUEUED_BATCHES)
    flag = context.Value("b", ahead(), lock=False)  # read by the child before each batch
    child = context.Process(target=_check_rows, name="stagecoach-import-reader", daemon=True,
                            args=(checker, pack, flag, source, columns, batch_size, batches))
    child.start()
    try:
        while True:
            message = _next_message(batches, child)
            if message[0] == "batch":
                _, records, errors, position = message
                on_progress(position)
                yield records, errors
                flag.value = ahead()
            elif message[0] == "end":
                on_progress(message[1])
                return
            elif message[0] == "invalid":
                raise message[1]
            else:
                raise InvalidInput(f"{source.name}: the import's reader process failed:\n{message[1]}")
    finally:
        if child.is_alive():  # the parent stopped early (an error of its own): the rest is not needed
            child.terminate()
        child.join()
        batches.close()


def _next_message(batches: Any, child: Any) -> tuple:
    while True:
        try:
            return batches.get(timeout=_POLL_SECONDS)
        except queue_module.Empty:
            if not child.is_alive():  # everything it sent is in the pipe before it exits
                try:
                    return batches.get(timeout=_POLL_SECONDS)
                except queue_module.Empty:
                    return ("failed", f"it stopped with exit code {child.exitcode} before the end of the file")


def _check_rows(checker: Any, pack: Callable[[list, bool], Any] | None, ahead: Any, source: Source,
                columns: ColumnMap, batch_size: int, batches: Any) -> None:
    """The child: check every batch and send it, then send the end (or what went wrong)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops us and reports once
    position = 0

    def at(done: int) -> None:
        nonlocal position
        position = done

    parent = os.getppid()

    def send(message: tuple) -> None:
        while True:
            try:
                return batches.put(message, timeout=_POLL_SECONDS)
            except queue_module.Full:
                if os.getppid() != parent:  # the importer is gone: nobody will read the rest
                    os._exit(1)

    try:
        rows_read = source.rows(columns, at)
        # Small batches first: the writer starts sooner and waits less for the first full ones.
        sizes = chain(takewhile(lambda size: size < batch_size, (FIRST_BATCH << k for k in count())), repeat(batch_size))
        failed = False
        for rows in iter(lambda: list(islice(rows_read, next(sizes))), []):
            records, errors = checker.check(rows)
            failed = failed or bool(errors)
            if failed:  # the source is rejected: only errors matter from here on
                records = []
            elif pack is not None:
                records = pack(records, bool(ahead.value))
            send(("batch", records, errors, position))
        send(("end", position))
    except InvalidInput as exc:
        send(("invalid", exc))  # pickles with its problems
    except Exception:  # anything else reaches the parent, which reports it
        send(("failed", traceback.format_exc()))
