"""The sales process map: make a file the active map."""

from __future__ import annotations

from pathlib import Path

from bot.core import processes
from bot.core.runtime import Runtime
from knowledge.process_map import ProcessMap


def load_process(runtime: Runtime, path: Path, *, moves: dict[str, str]) -> tuple[ProcessMap, dict[str, int]]:
    """Validate ``path`` and make it the active map; returns it and how many open deals moved from each removed stage.

    Raises:
        InvalidInput: the map is invalid, or removes a stage with open deals that ``moves`` does not send elsewhere.
    """
    with runtime.session() as session:
        return processes.activate(session=session, path=path, moves=moves, now=runtime.now())
