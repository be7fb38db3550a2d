"""``stagecoach index``: build or update the knowledge index."""

from __future__ import annotations

import time

import click

from bot.runtime import Runtime


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Drop the index and embed every chunk again.")
@click.pass_obj
def index(runtime: Runtime, rebuild: bool) -> None:
    """Index the active process map, the methodology notes and the playbooks (STAGECOACH_PLAYBOOKS).

    Only new or changed chunks are embedded; chunks whose file or section is
    gone are deleted. Switching embedding model (STAGECOACH_EMBEDDINGS)
    re-indexes everything.
    """
    # Imported here so that other commands start without loading Chroma or LangChain.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from knowledge.index import build_index

    started = time.perf_counter()
    process = runtime.process
    columns = (TextColumn("embedding chunks"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("embed", total=None)
        stats = build_index(runtime.settings, process,
                            lambda done, total: bar.update(task, completed=done, total=total), rebuild=rebuild)
    click.echo(f"index: {stats} in {time.perf_counter() - started:.1f}s")


commands = [index]
