"""Each digest says when deal data was last synced, when the CRM sync is older than twice its interval."""

from __future__ import annotations

from datetime import timedelta

from bot.digest import compute
from bot.digest.types import Due, Recipient
from bot.slack.digest import message_for
from bot.slack.mrkdwn import BLOCKS_PER_MESSAGE
from storage.models import Rep
from storage.timeutil import zone
from tests.digest.fixtures import make_floor
from tests.utils import factories as f
from tests.utils.sync_state import record_sync, with_hubspot

STALE = "deal data last synced 3 h ago"


def _digests(runtime, floor):
    now = runtime.now()
    with runtime.session() as s:
        dues = [Due(Recipient.of(s.get(Rep, rep.id)), kind, now.astimezone(zone(rep.timezone)).date(), now)
                for rep, kind in ((floor.lucy, "rep"), (floor.mia, "rep"), (floor.mia, "manager"))]
    return [d for batch in compute.build_in_batches(runtime, dues) for d in batch]


def _contexts(digest) -> list[str]:
    return [b["elements"][0]["text"] for b in message_for(digest).blocks if b["type"] == "context"]


def test_every_digest_says_when_synced_deal_data_is_stale(runtime, clock):
    floor = make_floor(runtime)
    with runtime.session() as s:
        for i in range(40):  # a full digest: the line still fits in Slack's blocks
            f.followup(s, f.deal(s, floor.lucy, f"Overdue {i}", now=clock.now()), clock.now() - timedelta(days=3))
        for i in range(15):
            f.deal(s, floor.lucy, f"Stuck {i}", days_in_stage=20 + i, now=clock.now())
    crm = with_hubspot(runtime)
    record_sync(crm, at=clock.now() - timedelta(hours=3))
    digests = _digests(crm, floor)
    assert [d.freshness for d in digests] == [STALE] * 3
    assert {d.to_json()["freshness"] for d in digests} == {STALE}
    for digest in digests:  # a full digest, an empty one, a roll-up
        message = message_for(digest)
        assert message.blocks[-1]["elements"][0]["text"] == f"_{STALE}_"
        assert len(message.blocks) <= BLOCKS_PER_MESSAGE


def test_fresh_data_or_no_crm_adds_no_line(runtime, clock):
    floor = make_floor(runtime)
    crm = with_hubspot(runtime)
    record_sync(crm, at=clock.now() - timedelta(minutes=20))
    for digests in (_digests(crm, floor), _digests(runtime, floor)):
        assert [d.freshness for d in digests] == [None] * 3
        assert not any("synced" in text for d in digests for text in _contexts(d))
    clock.advance(timedelta(hours=5))
    assert [d.freshness for d in _digests(runtime, floor)] == [None] * 3  # no CRM set up: imports say their date
