"""``stagecoach import reps|deals|history|targets FILE.csv``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from bot.core.runtime import Runtime
from bot.importer import CsvSource, ImportOptions, Mapping, import_from, load_mapping
from bot.importer.columns import FIELDS, parse_map_options
from bot.importer.csvfile import DEFAULT_ENCODING
from bot.importer.options import check_timezone, load_accounts, load_rates

LARGE_FILE = 512 * 1024  # bytes; smaller files import in a blink, a bar would only flicker


@click.group("import")
def import_group() -> None:
    """Import reps, deals, stage history or targets from CSV files.

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


def _crm_options(command: Callable) -> Callable:
    """Options every kind takes for CRM exports."""
    for option in reversed([
        click.option("--preset", type=click.Choice(["hubspot", "salesforce"]),
                     help="Read a CRM export with its usual headers (and stage names, for deals)."),
        click.option("--timezone", metavar="AREA/CITY",
                     help="Time zone of times written without one (CRM report exports use the user's); default UTC."),
    ]):
        command = option(command)
    return command


def _import_options(runtime: Runtime, *, encoding: str, dry_run: bool, default_owner: str | None = None,
                    skip_invalid: bool = False, rates: Path | None = None, accounts: Path | None = None,
                    pipeline: str | None = None) -> ImportOptions:
    currency = runtime.settings.currency
    return ImportOptions(default_owner=default_owner, skip_invalid=skip_invalid, currency=currency,
                         rates=load_rates(rates, currency) if rates else {},
                         accounts=load_accounts(accounts, encoding) if accounts else {}, pipeline=pipeline,
                         dry_run=dry_run)


def _run(runtime: Runtime, kind: str, file: Path, *, maps: tuple[str, ...], mapping_file: Path | None,
         dry_run: bool, quiet: bool, date_format: str | None, encoding: str, preset: str | None = None,
         timezone: str | None = None, **crm) -> None:
    mapping = load_mapping(mapping_file) if mapping_file else Mapping()
    source = CsvSource(file, encoding=encoding, preset=preset, mapping=parse_map_options(maps),
                       file_mapping=mapping.columns, mapping_name=f"--mapping {mapping_file}", stage_names=mapping.stages,
                       date_format=date_format, timezone=check_timezone(timezone) if timezone else None)
    options = _import_options(runtime, encoding=encoding, dry_run=dry_run, **crm)
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
        summary = import_from(runtime, kind, source, options, progress=progress, on_wait=lambda: click.echo(
            f"{file}: another import is running; waiting for it to finish...", err=True))
    click.echo(f"{file}: {summary.line()}")
    for note in summary.notes:
        click.echo(f"  {note}")


@import_group.command("reps", help=f"Import reps from FILE (columns: {_fields('reps')}); upsert by email.")
@_options
@_crm_options
@click.option("--skip-invalid", is_flag=True,
              help="Skip rows with a problem (system users, a second user with the same email) and count them.")
@click.pass_obj
def reps(runtime: Runtime, file: Path, **options) -> None:
    _run(runtime, "reps", file, **options)


@import_group.command("deals", help=f"Import deals from FILE (columns: {_fields('deals')}); upsert by external_id.")
@_options
@_crm_options
@click.option("--default-owner", metavar="EMAIL|CRM_ID", help="Owner of deals whose owner is empty or unknown.")
@click.option("--rates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV currency,rate: amounts in those currencies are converted to the company currency.")
@click.option("--accounts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Account export (Id,Name): accounts named by id get their name (Salesforce AccountId).")
@click.option("--pipeline", metavar="NAME", help="Import only the deals of this pipeline (label or id).")
@click.pass_obj
def deals(runtime: Runtime, file: Path, **options) -> None:
    _run(runtime, "deals", file, **options)


@import_group.command("history", help=f"Import stage history from FILE (columns: {_fields('history')}).")
@_options
@_crm_options
@click.pass_obj
def history(runtime: Runtime, file: Path, **options) -> None:
    _run(runtime, "history", file, **options)


@import_group.command("targets", help=f"Import targets from FILE (columns: {_fields('targets')}): a rep (email or "
                                       "name) or a team per row, a period (2027-Q1, 2027-01, FROM..TO) and an amount; "
                                       "a target already set for the period takes the new amount.")
@_options
@click.pass_obj
def targets(runtime: Runtime, file: Path, **options) -> None:
    _run(runtime, "targets", file, **options)


commands = [import_group]
