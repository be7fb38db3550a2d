"""``stagecoach import reps|deals|history FILE.csv``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from bot.importer import PRESETS, Mapping, import_csv, load_mapping
from bot.importer.columns import FIELDS, parse_map_options
from bot.importer.source import DEFAULT_ENCODING
from bot.runtime import Runtime

LARGE_FILE = 512 * 1024  # bytes; smaller files import in a blink, a bar would only flicker


@click.group("import")
def import_group() -> None:
    """Import reps, deals or stage history from CSV files.

    A file is checked whole first: any error rejects it, lists every problem with its row and
    column, and writes nothing. Importing the same file again changes nothing.
    """


def _fields(kind: str) -> str:
    required, optional = FIELDS[kind]
    return ",".join(required + optional)


def _options(command: Callable) -> Callable:
    for option in reversed([
        click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="YAML file naming which column feeds which field, and what the file's stage names mean."),
        click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
                     help="Read FIELD from the file's COLUMN (repeatable; overrides --mapping for that field)."),
        click.option("--dry-run", is_flag=True, help="Check the file and count what would change; write nothing."),
        click.option("--date-format", metavar="FORMAT",
                     help="strptime format for dates that are not ISO 8601, e.g. %m/%d/%Y."),
        click.option("--encoding", default=DEFAULT_ENCODING, show_default=True, help="Text encoding of the file."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    ]):
        command = option(command)
    return command


def _column_mapping(mapping: Mapping, maps: tuple[str, ...]) -> dict[str, str]:
    """The mapping file's columns, with each field given by ``--map`` taken from there instead."""
    overrides = parse_map_options(maps)
    kept = {column: field for column, field in mapping.columns.items() if field not in overrides.values()}
    return kept | overrides


def _run(runtime: Runtime, kind: str, file: Path, *, maps: tuple[str, ...], mapping_file: Path | None,
         dry_run: bool, quiet: bool, date_format: str | None, encoding: str, preset: str | None = None) -> None:
    mapping = load_mapping(mapping_file) if mapping_file else Mapping()
    console = Console(stderr=True)
    show = not quiet and console.is_terminal and file.stat().st_size >= LARGE_FILE
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeRemainingColumn(), console=console, transient=True) if show else None
    tasks: dict[str, TaskID] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if bar is not None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(f"{phase} {file.name}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

    with bar or nullcontext():
        summary = import_csv(runtime, kind, file, preset=preset, mapping=_column_mapping(mapping, maps),
                             stage_names=mapping.stages, dry_run=dry_run, date_format=date_format,
                             encoding=encoding, progress=progress, on_wait=lambda: click.echo(
                                 f"{file}: another import is running; waiting for it to finish...", err=True))
    click.echo(f"{file}: {summary.line()}")
    for note in summary.notes:
        click.echo(f"  {note}")


@import_group.command("reps", help=f"Import reps from FILE (columns: {_fields('reps')}); upsert by email.")
@_options
@click.pass_obj
def reps(runtime: Runtime, file: Path, **options) -> None:
    _run(runtime, "reps", file, **options)


@import_group.command("deals", help=f"Import deals from FILE (columns: {_fields('deals')}); upsert by external_id.")
@_options
@click.option("--preset", type=click.Choice(sorted(PRESETS)), help="Read a CRM deal export with its usual headers.")
@click.pass_obj
def deals(runtime: Runtime, file: Path, **options) -> None:
    _run(runtime, "deals", file, **options)


@import_group.command("history", help=f"Import stage history from FILE (columns: {_fields('history')}).")
@_options
@click.pass_obj
def history(runtime: Runtime, file: Path, **options) -> None:
    _run(runtime, "history", file, **options)


commands = [import_group]
