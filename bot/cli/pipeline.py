"""``stagecoach pipeline REPORT``: the pipeline reports managers ask for in Slack, in a terminal."""

from __future__ import annotations

import json

import click

from bot.cli.coach import _now, viewer_for
from bot.cli.output import console
from bot.core.runtime import Runtime
from bot.pipeline.periods import parse_period
from bot.pipeline.reports import REPORTS
from bot.pipeline.service import LOCAL_ADMIN, ReportRequest, run_reports
from bot.pipeline.tables import definitions_text, report_text


@click.command("pipeline")
@click.argument("report", type=click.Choice(REPORTS))
@click.option("--as", "user", help="Slack user id or email of the asker (default: an admin on the local data).")
@click.option("--team", help="A team's name or id.")
@click.option("--rep", help="One rep's name, email or Slack id.")
@click.option("--period", "period_text", metavar="PERIOD",
              help="2026-10, 2026-Q3, last-month, this-quarter or FROM..TO dates (default: this month; "
                   "status, stuck and warnings are always as of now).")
@click.option("--closing", "closing_text", metavar="PERIOD",
              help="changes: the period whose pipeline is compared (default: the quarter --period ends in).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--explain", is_flag=True, help="Also print how each figure is defined (velocity).")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Report as of this moment (default: now).")
@click.pass_obj
def pipeline(runtime: Runtime, report: str, user: str | None, team: str | None, rep: str | None,
             period_text: str | None, closing_text: str | None, as_json: bool, explain: bool,
             now_text: str | None) -> None:
    """Print one pipeline REPORT: status, flow, time, stuck, conversion, bottlenecks, velocity, observed, warnings,
    slippage, changes or forecast."""
    period = parse_period(period_text) if period_text else None
    viewer = viewer_for(runtime, user) if user else LOCAL_ADMIN
    request = ReportRequest((report,), period=period, rep=rep, team=team,
                            closing=parse_period(closing_text) if closing_text else None)
    (result,) = run_reports(runtime, viewer, request, now=_now(runtime, now_text))
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        console.print(report_text(result), markup=False)
        if explain:
            console.print("\n" + definitions_text(result), markup=False)


commands = [pipeline]
