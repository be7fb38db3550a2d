"""``stagecoach sync hubspot`` and ``stagecoach sync status``: the live CRM sync from the command line."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import click

from bot.cli.output import progress_on_stderr
from bot.core.runtime import Runtime
from bot.sync.records import CRM_NAMES
from bot.sync.service import sync_hubspot, sync_salesforce, sync_statuses


@click.group("sync")
def sync_group() -> None:
    """Read deals, owners and stage history from a CRM, live (HubSpot, Salesforce)."""


@sync_group.command("hubspot")
@click.option("--full", is_flag=True, help="Read every deal, not only those changed since the last sync.")
@click.option("--dry-run", is_flag=True, help="Read and check everything, count what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML mapping file whose stages: section names HubSpot stages (label or id) as stage keys.")
@click.option("--default-owner", metavar="EMAIL|CRM_ID", help="Rep given deals whose HubSpot owner matches no rep.")
@click.option("--pipeline", metavar="NAME", help="Sync only this pipeline's deals (label or id).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_obj
def hubspot(runtime: Runtime, full: bool, dry_run: bool, as_json: bool, mapping_file: Path | None,
            default_owner: str | None, pipeline: str | None, quiet: bool) -> None:
    """Sync HubSpot now: the first run reads every deal, later ones what changed since.

    Progress (deals read of those the search counted) goes to stderr; stdout carries only the summary.
    """
    def line(done: int, total: int) -> str:
        return f"read {done:,} of {total:,} HubSpot deals"

    with (nullcontext(lambda done, total: None) if quiet
          else progress_on_stderr("syncing HubSpot deals", line)) as progress:
        summary = sync_hubspot(runtime, full=full, dry_run=dry_run, mapping_file=mapping_file,
                               default_owner=default_owner, pipeline=pipeline, progress=progress)
    _print_summary(summary, as_json)


@sync_group.command("salesforce")
@click.option("--full", is_flag=True, help="Read every opportunity, not only those changed since the last sync.")
@click.option("--dry-run", is_flag=True, help="Read and check everything, count what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML mapping file whose stages: section names Salesforce stages as stage keys.")
@click.option("--default-owner", metavar="EMAIL|CRM_ID", help="Rep given deals whose Salesforce owner matches no rep.")
@click.pass_obj
def salesforce(runtime: Runtime, full: bool, dry_run: bool, as_json: bool, mapping_file: Path | None,
               default_owner: str | None) -> None:
    """Sync Salesforce now (SALESFORCE_INSTANCE_URL, ..._CLIENT_ID, ..._USERNAME, ..._PRIVATE_KEY_FILE)."""
    summary = sync_salesforce(runtime, full=full, dry_run=dry_run, mapping_file=mapping_file,
                              default_owner=default_owner)
    _print_summary(summary, as_json)


def _print_summary(summary, as_json: bool) -> None:
    """A sync's summary: its one line and notes, or JSON."""
    if as_json:
        click.echo(json.dumps(asdict(summary), indent=2))
        return
    click.echo(summary.line())
    for note in summary.notes:
        click.echo(f"  {note}")


@sync_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON: {crm: status}.")
@click.pass_obj
def status(runtime: Runtime, as_json: bool) -> None:
    """Each CRM's last sync, its cursor, counts, error and API calls; the next run; write-back."""
    states = sync_statuses(runtime)
    if as_json:
        click.echo(json.dumps({state.crm: state.to_json() for state in states}, indent=2))
        return
    for state in states:
        _print_status(state)


SET_UP = {"hubspot": "set HUBSPOT_ACCESS_TOKEN to a private app's access token",
          "salesforce": "set SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID, SALESFORCE_USERNAME and "
                        "SALESFORCE_PRIVATE_KEY_FILE (a connected app with the JWT bearer flow; see the README)"}


def _print_status(state) -> None:
    name = CRM_NAMES.get(state.crm, state.crm)
    if not state.configured:
        click.echo(f"{name} sync: not set up ({SET_UP[state.crm]})")
        return
    credentials = f"token {state.token}" if state.token else state.auth
    click.echo(f"{name} sync ({state.api_url}, {credentials}), every {state.interval_minutes} min, "
               f"write-back {state.write_back}")
    if state.outbox:
        click.echo("  write-back queue: " + ", ".join(f"{n} {status}" for status, n in sorted(state.outbox.items())))
    if state.last_run_at is None:
        click.echo(f"  never run yet: `stagecoach sync {state.crm}` runs the first, full sync")
        return
    click.echo(f"  last run: {state.last_run_at:%Y-%m-%d %H:%M} UTC"
               + (" (running now)" if state.running else "")
               + (f"; last good run {state.last_success_at:%Y-%m-%d %H:%M} UTC" if state.last_success_at else ""))
    if state.cursor:
        click.echo(f"  changes read up to: {state.cursor:%Y-%m-%d %H:%M:%S} UTC")
    counts = state.counts
    if counts:
        click.echo(f"  last run read {counts.get('deals_read', 0)} deal(s): {counts.get('created', 0)} created, "
                   f"{counts.get('updated', 0)} updated; {counts.get('api_calls', 0)} API call(s)"
                   + ("; a full reconciliation" if counts.get("reconciled") else ""))
    if state.reconcile_next:
        click.echo(f"  the last good run is older than the 15 days {name} keeps deletions: the next run reads "
                   "every deal again (a full reconciliation) and hides the ones deleted there")
    if state.last_error:
        click.echo(f"  last error: {state.last_error}")
    if state.next_run_at:
        click.echo(f"  next run (stagecoach run): {state.next_run_at:%Y-%m-%d %H:%M} UTC")


commands = [sync_group]
