"""``stagecoach run``'s digest clock: checks on its own, and however often it checks, each person gets one DM."""

import time
from collections import Counter
from datetime import timedelta

from bot.digest.schedule import start_scheduler
from storage import digest as store
from tests.digest.fixtures import client_for
from tests.utils import factories as f
from tests.utils.slack_emulator import SlackEmulator


def test_the_scheduler_sends_due_digests_on_its_own_and_never_twice(runtime):
    # The scheduler wakes on real time, but what is due is the runtime's: a Friday afternoon, past the digest hour.
    now = runtime.now()
    with runtime.session() as s:
        reps = [f.rep(s, f"Clock Rep {i}") for i in range(3)]
        for rep in reps:
            f.followup(s, f.deal(s, rep, f"Deal {rep.id}", now=now), now - timedelta(days=2))
    with SlackEmulator() as slack:
        scheduler = start_scheduler(runtime, client_for(runtime, slack), every_minutes=0.01)  # every 0.6 s
        try:
            slack.wait_for("chat.postMessage", 3, timeout=20)
            time.sleep(2)  # a few more checks
        finally:
            scheduler.shutdown(wait=True)
    assert Counter(b["channel"] for b in slack.calls_to("chat.postMessage")) == {r.slack_user_id: 1 for r in reps}
    with runtime.session() as s:
        assert [(r.status, r.local_date) for r in store.deliveries(session=s)] == [("sent", now.date())] * 3
