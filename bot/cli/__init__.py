"""The ``stagecoach`` command line. Each area's commands live in their own module.

Command modules are imported only when their command runs (click's lazy-group pattern): a cold
``stagecoach ask`` then loads none of the importer, the CRM sync, the digest or alembic, and
``stagecoach --help`` lists every command from the table below without importing any of them.
"""

from __future__ import annotations

import importlib
import logging

import click

from bot.core.errors import StagecoachError
from knowledge.process_map import ProcessMapError

# Command name -> (module under bot.cli, attribute, short help shown by --help). The short help must
# match the command's own (tests/test_cli_startup.py checks), so --help need not import the module.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "ask": ("coach", "ask", "Ask the coach one QUESTION as USER."),
    "chat": ("coach", "chat",
             "A conversation with the coach in the terminal; follow-ups keep the deal in focus."),
    "demo": ("coach", "demo", "A guided tour on a fresh demo data directory (<STAGECOACH_HOME>/demo): "
                              "map, index, demo company, chat."),
    "digest": ("digest", "digest",
               "Send each rep's digest and each manager's roll-up that is due and not yet sent."),
    "import": ("imports", "import_group", "Import reps, deals, stage history or targets from CSV files."),
    "index": ("knowledge", "index", "Index the active process map, the methodology notes and the playbooks "
                                    "(STAGECOACH_PLAYBOOKS)."),
    "pipeline": ("pipeline", "pipeline", "Print one pipeline REPORT: status, flow, time, stuck, conversion, "
                                         "bottlenecks, velocity, observed, warnings, slippage, changes or forecast."),
    "process": ("process", "process_group", "Validate, load and show the sales process map."),
    "run": ("run", "run", "Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on "
                          "/slack/events."),
    "sync": ("sync", "sync_group", "Read deals, owners and stage history from a CRM, live (HubSpot, Salesforce)."),
}


class _StagecoachGroup(click.Group):
    """Loads each command's module on first use, and turns the errors users can act on into one
    clean message and exit code 1, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute, _ = LAZY_COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"bot.cli.{module}"), attribute)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Lists every command with its short help from the table, importing no command module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            # A stand-in carrying the table's text shortens it exactly as the real command would.
            command = click.Command(name, help=LAZY_COMMANDS[name][2]) if name in LAZY_COMMANDS else self.commands[name]
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (StagecoachError, ProcessMapError) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_StagecoachGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Stagecoach: a sales coach that knows your sales process.

    Configuration comes from environment variables (see the README); with none
    set, data lives in ./.stagecoach on SQLite and answers come from the
    built-in composer.
    """
    # Imported here so that --help and a mistyped command load neither settings nor the database layer.
    from bot.core.config import load_settings
    from bot.core.runtime import Runtime

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = Runtime(load_settings())  # a bad variable stops here, named, before any command runs
