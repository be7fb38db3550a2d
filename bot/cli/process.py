"""``stagecoach process validate|load|show``."""

from __future__ import annotations

from pathlib import Path

import click

from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.service.processes import load_process
from knowledge.process_map import validate_file


@click.group("process")
def process_group() -> None:
    """Validate, load and show the sales process map."""


@process_group.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def validate(file: Path) -> None:
    """Check FILE: errors name file, line and field; warnings flag weak criteria."""
    process, issues = validate_file(file)
    for issue in issues:
        click.echo(str(issue), err=True)
    if process is None:
        raise click.ClickException(f"{file}: {sum(i.level == 'error' for i in issues)} error(s); not a valid process map")
    warnings = sum(i.level == "warning" for i in issues)
    click.echo(f"{file}: valid — {process.name} v{process.version}, {len(process.stages)} stages"
               + (f", {warnings} warning(s)" if warnings else ""))


@process_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--move", "moves", multiple=True, metavar="OLD=NEW",
              help="Send open deals of a stage the new map removes to one of its stages.")
@click.pass_obj
def load(runtime: Runtime, file: Path, moves: tuple[str, ...]) -> None:
    """Validate FILE and make it the active process map."""
    pairs: dict[str, str] = {}
    for move in moves:
        old, sep, new = move.partition("=")
        if not sep or not old or not new:
            raise InvalidInput(f"--move takes OLD=NEW, got {move!r}")
        pairs[old.strip()] = new.strip()
    process, moved = load_process(runtime, file, moves=pairs)
    for old, count in moved.items():
        click.echo(f"moved {count} open deal(s) from {old} to {pairs[old]}")
    click.echo(f"active process: {process.name} v{process.version} ({len(process.stages)} stages)")


@process_group.command("show")
@click.pass_obj
def show(runtime: Runtime) -> None:
    """Print the active process map: stages, exit criteria, activities."""
    process = runtime.process
    click.echo(f"{process.name} v{process.version}")
    for i, stage in enumerate(process.stages, 1):
        click.echo(f"\n{i}. {stage.name} [{stage.key}] — expected {stage.expected_days} days")
        for criterion in stage.exit_criteria:
            click.echo(f"   exit: {criterion.text} [{criterion.key}]")
        for activity in stage.activities:
            click.echo(f"   do:   {activity.text} [{activity.key}] → {', '.join(activity.supports) or '-'}")


commands = [process_group]
