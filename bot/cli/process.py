"""``stagecoach process validate|load|show|observed``."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import click

from bot.cli.coach import _now, viewer_for
from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.pipeline.periods import parse_period
from bot.pipeline.service import LOCAL_ADMIN, ReportRequest, observe_process
from bot.pipeline.tables import report_text
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


@process_group.command("observed")
@click.option("--period", "period_text", metavar="PERIOD", help="2026-10, 2026-Q3, last-quarter or FROM..TO dates "
              "(default: this month).")
@click.option("--as", "user", help="Slack user id or email of the asker (default: an admin on the local data).")
@click.option("--team", help="A team's name or id.")
@click.option("--propose", "propose_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Write the proposed map revision to FILE (a new version; load it with `process load`).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Report as of this moment (default: now).")
@click.pass_obj
def observed(runtime: Runtime, period_text: str | None, user: str | None, team: str | None,
             propose_file: Path | None, as_json: bool, now_text: str | None) -> None:
    """The process as it really runs, from stage history; with --propose, a revised map to review."""
    request = ReportRequest(("observed",), period=parse_period(period_text) if period_text else None, team=team)
    viewer = viewer_for(runtime, user) if user else LOCAL_ADMIN
    if propose_file is not None and propose_file.exists():
        raise InvalidInput(f"{propose_file} exists; give --propose a new file name")
    result = observe_process(runtime, viewer, request, now=_now(runtime, now_text), propose=propose_file is not None)
    if propose_file is not None and result.proposed is not None:
        propose_file.write_text(result.proposed, encoding="utf-8")
    if as_json:
        click.echo(json.dumps(result.report.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(report_text(result.report))
    if result.proposed is not None and result.current is not None:
        diff = difflib.unified_diff(result.current.splitlines(keepends=True), result.proposed.splitlines(keepends=True),
                                    "active map", str(propose_file))
        click.echo("\n" + "".join(diff).rstrip("\n"))
        click.echo(f"\nWrote {propose_file}: review it, then `stagecoach process load {propose_file}`.")


commands = [process_group]
