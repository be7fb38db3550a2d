"""``stagecoach digest``: send (or preview) every daily digest due; safe to run from cron as often as you like."""

from __future__ import annotations

import html
import json
import sys
from datetime import date, datetime

import click

from bot.cli.coach import _now
from bot.cli.output import console, print_mrkdwn
from bot.core.errors import ConfigError
from bot.core.runtime import Runtime
from bot.digest import compute
from bot.digest.deliver import deliver_due
from bot.digest.types import Digest
from bot.service.digests import digest_schedule
from bot.slack.client import make_client
from bot.slack.digest import message_for, poster
from storage.timeutil import check_supported, zone


@click.command("digest")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Every digest of this local date, each as of the digest hour (default: those due now).")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Run as of this moment (default: now).")
@click.option("--dry-run", is_flag=True, help="Compute and print the digests; send nothing, record nothing.")
@click.option("--force", is_flag=True,
              help="With --date after today: send that day's digests now. They are recorded as early, so the "
                   "scheduled digest of that day still goes out. Without --force a future --date is a dry run.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the digests (with --dry-run) or the run summary.")
@click.pass_obj
def digest(runtime: Runtime, day: datetime | None, now_text: str | None, dry_run: bool, force: bool,
           as_json: bool) -> None:
    """Send each rep's digest and each manager's roll-up that is due and not yet sent.

    A person is due from the digest hour in their own timezone on digest days. Each
    person gets at most one of each per local day, however often this runs and on
    however many machines at once. Exits 1 when any digest failed.

    --date a day after today (STAGECOACH_TIMEZONE) is a dry run unless --force; a forced
    early send is recorded as early, so that day's scheduled digest still goes out.
    """
    now = _now(runtime, now_text)
    local_date = day.date() if day else None
    if local_date:
        try:
            check_supported(local_date, local_date.isoformat())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--date'") from None
    if local_date and not dry_run and not force:
        today = now.astimezone(zone(runtime.settings.timezone)).date()
        if local_date > today:
            click.echo(f"{local_date} is after today ({today}, {runtime.settings.timezone}): a dry run, nothing "
                       "sent. Add --force to send that day's digests now (recorded as early: that day's "
                       "scheduled digest still goes out).", err=True)
            dry_run = True
    if dry_run:
        _preview(runtime, now, local_date, as_json)
        return
    if not runtime.settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set, so digests cannot be sent. Preview them with --dry-run.")
    summary = deliver_due(runtime, poster(make_client(runtime.settings)), now=now, day=local_date)
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in summary.lines():
            console.print(line, markup=False)
    if not summary.ok:
        sys.exit(1)


def _preview(runtime: Runtime, now: datetime, day: date | None, as_json: bool) -> None:
    schedule = digest_schedule(runtime, now=now, day=day)
    send_empty = runtime.settings.digest_send_empty
    previews: list[dict] = []
    for digests in compute.build_in_batches(runtime, schedule.dues):
        for built in digests:
            would_send = send_empty or not built.is_empty
            if as_json:
                previews.append({**built.to_json(), "would_send": would_send})
            else:
                _print_digest(built, would_send)
    problems = [{"name": person.name, "rep_id": person.rep_id, "reason": why} for person, why in schedule.problems]
    if as_json:
        click.echo(json.dumps({"digests": previews, "problems": problems}, indent=2, ensure_ascii=False))
        return
    if not schedule.dues:
        console.print("No digests due." + ("" if day else " (Each person's is due from the digest hour in their timezone.)"))
    for problem in problems:
        console.print(f"cannot schedule {problem['name']}: {problem['reason']}", markup=False)


def _print_digest(built: Digest, would_send: bool) -> None:
    due = built.due
    title = "team roll-up" if due.kind == "manager" else "digest"
    console.rule(f"{due.person.name} · {title} · {due.local_date:%a %Y-%m-%d} · {due.person.timezone}", style="cyan")
    if not would_send:
        console.print("Nothing due: not sent (set STAGECOACH_DIGEST_SEND_EMPTY=true to send it anyway).")
        return
    for block in message_for(built).blocks:
        if block["type"] == "section":
            print_mrkdwn(html.unescape(block["text"]["text"]))
        elif block["type"] == "context":
            print_mrkdwn(html.unescape(block["elements"][0]["text"]))


commands = [digest]
