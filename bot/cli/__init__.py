"""The ``stagecoach`` command line. Each area's commands live in their own module."""

from __future__ import annotations

import importlib
import logging

import click

from bot.core.config import load_settings
from bot.core.errors import StagecoachError
from bot.core.runtime import Runtime
from knowledge.process_map import ProcessMapError

# Modules that each define ``commands``: a list of click commands to add to ``main``.
COMMAND_MODULES = ("process", "imports", "knowledge", "coach", "pipeline", "digest", "run", "sync")


class _FriendlyGroup(click.Group):
    """Turns the errors users can act on into one clean message and exit code 1, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (StagecoachError, ProcessMapError) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_FriendlyGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Stagecoach: a sales coach that knows your sales process.

    Configuration comes from environment variables (see the README); with none
    set, data lives in ./.stagecoach on SQLite and answers come from the
    built-in composer.
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = Runtime(load_settings())  # a bad variable stops here, named, before any command runs


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(f"bot.cli.{_name}").commands:
        main.add_command(_command)
