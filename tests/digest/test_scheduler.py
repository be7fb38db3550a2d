"""``stagecoach run``'s digest clock: checks on its own, and however often or from however many processes it
checks, each person gets one DM.

Nothing here waits a fixed time: the scheduler's own job events say when checks have run, and a Slack that
holds a DM until told to puts a second check exactly inside the first one's send.
"""

import logging
import threading
from collections import Counter
from datetime import timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from bot.core.runtime import Runtime
from bot.digest.schedule import JOB_ID, run_due_digests, start_scheduler
from storage import digest as store
from storage.db import make_engine
from tests.digest.fixtures import poster_for
from tests.utils import factories as f
from tests.utils.slack_emulator import SlackEmulator

CHECKS = 4  # the first sends; the later ones must find everything already sent


def overdue_reps(runtime, n: int = 3) -> list:
    """``n`` reps, each with a follow-up two days overdue, so each is due a digest now."""
    now = runtime.now()
    with runtime.session() as s:
        reps = [f.rep(s, f"Clock Rep {i}") for i in range(n)]
        for rep in reps:
            f.followup(s, f.deal(s, rep, f"Deal {rep.id}", now=now), now - timedelta(days=2))
    return reps


def posts_per_channel(slack: SlackEmulator) -> Counter:
    return Counter(b["channel"] for b in slack.calls_to("chat.postMessage"))


def test_the_scheduler_sends_due_digests_on_its_own_and_never_twice(runtime):
    # The scheduler wakes on real time, but what is due is the runtime's: a Friday afternoon, past the digest hour.
    reps = overdue_reps(runtime)
    checks_done = threading.Semaphore(0)

    def on_check(event) -> None:
        if event.job_id == JOB_ID:
            checks_done.release()

    with SlackEmulator() as slack:
        scheduler = start_scheduler(runtime, poster_for(runtime, slack), every_minutes=0.01)  # every 0.6 s
        scheduler.add_listener(on_check, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        try:
            # Each acquire returns when one more check has finished; the timeout only bounds a broken run.
            finished = [checks_done.acquire(timeout=60) for _ in range(CHECKS)]
        finally:
            scheduler.shutdown(wait=True)
    assert all(finished), f"only {sum(finished)} of {CHECKS} checks finished"
    assert posts_per_channel(slack) == {r.slack_user_id: 1 for r in reps}
    with runtime.session() as s:
        assert [(r.status, r.local_date) for r in store.deliveries(session=s)] == [("sent", runtime.now().date())] * 3


class HoldingSlack(SlackEmulator):
    """Holds every DM unanswered until ``release``; ``all_held`` is set once ``expected`` DMs are held."""

    def __init__(self, expected: int):
        super().__init__()
        self.expected = expected
        self.held = 0
        self.lock = threading.Lock()
        self.all_held = threading.Event()
        self.release = threading.Event()

    def answer(self, method: str, body: dict) -> dict:
        if method == "chat.postMessage":
            with self.lock:
                self.held += 1
                if self.held >= self.expected:
                    self.all_held.set()
            self.release.wait(60)
        return super().answer(method, body)


def test_a_check_in_another_process_while_the_first_is_mid_send_sends_nothing(runtime, db_url, caplog):
    """Two schedulers (two ``stagecoach run``s) check at once: the second runs entirely inside the first's sends."""
    reps = overdue_reps(runtime)

    def worker() -> Runtime:  # its own connection pool, as another process would have
        return Runtime(runtime.settings, engine=make_engine(db_url), clock=runtime.clock)

    first, second = worker(), worker()
    with HoldingSlack(expected=len(reps)) as slack:
        sending = threading.Thread(target=run_due_digests, args=(first, poster_for(first, slack)))
        sending.start()
        try:
            assert slack.all_held.wait(60), "the first check never posted"
            # Every digest is reserved and its DM in flight: the second check finds each one taken.
            with caplog.at_level(logging.INFO, logger="bot.digest"):
                run_due_digests(second, poster_for(second, slack))
            assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []  # it ran, and failed nothing
            assert slack.held == len(reps)  # the second check posted nothing
        finally:
            slack.release.set()
            sending.join(60)
    assert posts_per_channel(slack) == {r.slack_user_id: 1 for r in reps}
    with runtime.session() as s:
        assert Counter(r.status for r in store.deliveries(session=s)) == {"sent": len(reps)}
    for engine in (first.engine, second.engine):
        engine.dispose()
