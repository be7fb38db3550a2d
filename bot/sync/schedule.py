"""The CRM syncs on a clock inside ``stagecoach run``: every ``STAGECOACH_SYNC_MINUTES``, each set-up CRM in
turn, one runner per CRM at a time.

Every worker and process may run this clock; the sync's lease (``storage.sync.take_lease``) lets one
run at a time, and a run that finds another running simply stops.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.core.runtime import Runtime
from bot.sync.engine import SyncBusy
from bot.sync.freshness import synced_crms
from bot.sync.records import CRM_NAMES, HUBSPOT, SALESFORCE
from bot.sync.service import sync_hubspot, sync_salesforce
from storage.timeutil import SystemClock

logger = logging.getLogger(__name__)

JOB_ID = "stagecoach-crm-sync"
SYNCS = {HUBSPOT: sync_hubspot, SALESFORCE: sync_salesforce}


def run_scheduled_sync(runtime: Runtime) -> None:
    """One scheduled sync of each CRM that is set up; never raises, so a bad run does not stop the schedule
    (nor one CRM's failure the other's sync)."""
    for crm in synced_crms(runtime):
        name = CRM_NAMES[crm]
        try:
            summary = SYNCS[crm](runtime)
        except SyncBusy:
            logger.debug("%s sync already running elsewhere", name)
            continue
        except Exception as exc:  # the CRM or the database may be down for a while; the next run tries again
            logger.warning("%s sync failed: %s", name, exc)  # CRM errors carry no token, key or session
            continue
        logger.info(summary.line())


def start_sync_clock(runtime: Runtime) -> BackgroundScheduler:
    """A started background scheduler that syncs now and every ``STAGECOACH_SYNC_MINUTES``."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(run_scheduled_sync, "interval", args=(runtime,), id=JOB_ID,
                      minutes=runtime.settings.sync_minutes, next_run_time=SystemClock().now() + timedelta(seconds=2),
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.start()
    return scheduler
