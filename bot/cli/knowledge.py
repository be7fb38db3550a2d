"""``stagecoach index``: build or update the knowledge index."""

from __future__ import annotations

import time

import click

from bot.cli.output import err_console, progress_on_stderr
from bot.core.runtime import Runtime


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
    from knowledge.embeddings import embedding_identity
    from knowledge.index import build_index

    settings = runtime.settings
    started = time.perf_counter()
    process = runtime.process
    where = settings.chroma_url or settings.chroma_path
    err_console.print(f"Indexing the map {process.name} v{process.version}, the notes in {settings.methodologies} "
                      f"and the playbooks in {settings.playbooks}\ninto {where} with {embedding_identity(settings)}",
                      markup=False, soft_wrap=True)
    with progress_on_stderr("embedding chunks", lambda done, total: f"embedded {done}/{total} chunks") as report:
        stats = build_index(settings, process, report, rebuild=rebuild)
    click.echo(f"index: {stats} in {time.perf_counter() - started:.1f}s")


commands = [index]
