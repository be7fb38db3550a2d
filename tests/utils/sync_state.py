"""A CRM sync set up and last run at a given moment, written through ``storage.sync`` (no CRM is called)."""

from __future__ import annotations

from datetime import datetime

from bot.core.runtime import Runtime
from storage import sync as store


def with_hubspot(runtime: Runtime) -> Runtime:
    """``runtime`` with a HubSpot token set, so deal data counts as synced from HubSpot."""
    settings = runtime.settings.model_copy(update={"hubspot_access_token": "pat-na1-test"})
    return Runtime(settings, engine=runtime.engine, clock=runtime.clock)


def record_sync(runtime: Runtime, *, at: datetime, error: str | None = None, conflicts: int = 0,
                crm: str = "hubspot") -> None:
    """The CRM's last sync ran at ``at``: a success, or failed with ``error`` (then the last success is unset)."""
    with runtime.session() as session:
        store.take_lease(session=session, crm=crm, owner="test", now=at, until=at)
        store.release_lease(session=session, crm=crm, owner="test")
        store.record_run(session=session, crm=crm, at=at, error=error, counts=f'{{"conflicts": {conflicts}}}',
                         succeeded=error is None)
        session.commit()
