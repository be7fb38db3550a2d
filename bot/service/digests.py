"""Which daily digests are due: what ``stagecoach digest --dry-run`` previews."""

from __future__ import annotations

from datetime import date, datetime

from bot.core.runtime import Runtime
from bot.digest import compute


def digest_schedule(runtime: Runtime, *, now: datetime, day: date | None = None) -> compute.Schedule:
    """Every digest of local date ``day`` when given, else those due at ``now``, and who cannot be scheduled."""
    with runtime.session() as session:
        return compute.schedule_for(session=session, settings=runtime.settings, now=now, day=day)
