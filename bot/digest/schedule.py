"""The digest on a clock inside ``stagecoach run``: check every few minutes, send whatever is due.

Each person's digest is due from ``digest_hour`` in their own timezone, so there is
no single firing time; checking often is cheap (a few indexed queries) and safe
(delivery is exactly once per person and day, whichever run or worker gets there).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.core.runtime import Runtime
from bot.digest.deliver import Poster, deliver_due
from storage.timeutil import SystemClock

logger = logging.getLogger(__name__)

CHECK_EVERY_MINUTES = 5
JOB_ID = "stagecoach-digest"


def run_due_digests(runtime: Runtime, post: Poster) -> None:
    """One scheduled check, posting with ``post``; never raises, so a bad run does not stop the schedule."""
    try:
        summary = deliver_due(runtime, post, now=runtime.now())
    except Exception:  # the database may be down for a moment; the next check tries again
        logger.exception("digest run failed")
        return
    if summary.outcomes or summary.stale:
        logger.info(summary.headline())


def start_scheduler(runtime: Runtime, post: Poster, *, every_minutes: float = CHECK_EVERY_MINUTES,
                    ) -> BackgroundScheduler:
    """A started background scheduler that posts the due digests with ``post`` now and every ``every_minutes``.

    Call ``scheduler.shutdown()`` on exit. Runs never overlap within the process
    (``max_instances=1``), and missed checks collapse into one (``coalesce``).
    """
    scheduler = BackgroundScheduler(timezone="UTC")
    # When to wake is APScheduler's real clock, whatever the runtime's says; what is due is the runtime's.
    first_check = SystemClock().now() + timedelta(seconds=1)
    scheduler.add_job(run_due_digests, "interval", args=(runtime, post), id=JOB_ID,
                      minutes=every_minutes, next_run_time=first_check,
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.start()
    return scheduler
