"""Making a process map the active one without losing deals or their history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from bot.core.errors import InvalidInput
from knowledge.process_map import ProcessMap, load_process_map, parse_process_map
from storage.processes import (
    activate_process_version,
    active_process_row,
    move_open_deals,
    open_deal_counts_by_stage,
    stored_checksums,
)


def activate(*, session: Session, path: Path, now: datetime,
             moves: dict[str, str] | None = None) -> tuple[ProcessMap, dict[str, int]]:
    """Validate ``path`` and make it the active map as of ``now``.

    Criterion history is keyed by stage and criterion keys, so it carries over
    wherever keys are unchanged. Open deals in a stage the new map drops must be
    sent somewhere with ``moves`` (old stage -> new stage); otherwise the load is
    refused and nothing changes.

    Returns:
        The loaded map and how many deals were moved per old stage.

    Raises:
        ProcessMapError: the file is not a valid map (``knowledge.process_map.validate_file``, the same
            check as ``stagecoach process validate``: size and stage limits included).
        InvalidInput: deals would be orphaned, or a move names an unknown stage.
    """
    moves = moves or {}
    process = load_process_map(path)
    if stored_checksums(session=session, name=process.name, version=process.version) - {process.checksum}:
        raise InvalidInput(f"{path}: {process.name!r} version {process.version} is already loaded with different "
                           f"content; give this map its own version (version: {process.version + 1}) to load it")
    new_keys = set(process.stage_keys)
    problems = [f"--move {old}={new}: {new!r} is not a stage of the new map" for old, new in moves.items() if new not in new_keys]
    counts = open_deal_counts_by_stage(session=session)
    active = active_process_row(session=session)
    old_keys = set(parse_process_map(active.content, active.source_path).stage_keys) if active else set()
    problems += [f"--move {old}={new}: {old!r} is not a stage of the active map ({', '.join(sorted(old_keys))}) "
                 "nor one that open deals are in" for old, new in moves.items()
                 if old not in old_keys and old not in counts]
    orphaned = {stage: n for stage, n in counts.items() if stage not in new_keys and stage not in moves}
    problems += [
        f"{n} open deal(s) are in stage {stage!r}, which this map removes; say where they go with --move {stage}=NEW_STAGE"
        for stage, n in sorted(orphaned.items())
    ]
    if problems:
        raise InvalidInput(f"{path}: not loaded", problems)
    moved = {old: move_open_deals(session=session, from_stage=old, to_stage=new, now=now) for old, new in moves.items() if old in counts}
    activate_process_version(
        session=session, name=process.name, version=process.version, source_path=str(path),
        content=Path(path).read_text(encoding="utf-8"), checksum=process.checksum, now=now,
    )
    return process, moved


def active_or_default(*, session: Session, default_path: Path, now: datetime) -> ProcessMap:
    """The active map; on a fresh database the default file is activated first."""
    row = active_process_row(session=session)
    if row is None:
        process, _ = activate(session=session, path=default_path, now=now)
        return process
    return parse_process_map(row.content, row.source_path)
