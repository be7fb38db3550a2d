"""A digest as a Slack message: four buttons per item whose values the button handlers read back, within limits;
a manager's roll-up with reps, owners and counts."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.digest import actions
from bot.digest.actions import COACH_ME, DONE, SNOOZE_DAY, SNOOZE_WEEK
from bot.slack.digest import ITEM_BLOCK_PREFIX, manager_message, marked, rep_message
from bot.slack.mrkdwn import BLOCKS_PER_MESSAGE
from storage import digest as store
from tests.digest.fixtures import MONDAY_AFTERNOON_UTC, ROLLUP_AT, digest_for, make_floor, team_floor, utc
from tests.utils import factories as f

AT = MONDAY_AFTERNOON_UTC


@pytest.fixture
def digest_floor(runtime):
    """The digest tests' sales floor (this directory's ``floor`` is the coach's)."""
    return make_floor(runtime)


def _actions_blocks(message):
    return [b for b in message.blocks if b["type"] == "actions"]


def test_every_item_has_done_snooze_and_coach_buttons_that_parse_back_to_its_deal(runtime, digest_floor):
    with runtime.session() as s:
        acme = f.deal(s, digest_floor.lucy, "Acme", now=AT, external_id="CRM-1")
        followup = f.followup(s, acme, AT - timedelta(days=2))
        stuck = f.deal(s, digest_floor.lucy, "Stalled", days_in_stage=30, now=AT, external_id="CRM-2")
    digest = digest_for(runtime, digest_floor.lucy, AT)
    rows = _actions_blocks(rep_message(digest))
    assert [b["block_id"] for b in rows] == [f"{ITEM_BLOCK_PREFIX}1", f"{ITEM_BLOCK_PREFIX}2"]
    for row in rows:
        assert [e["action_id"] for e in row["elements"]] == [DONE, SNOOZE_DAY, SNOOZE_WEEK, COACH_ME]

    parsed = [[actions.parse(e["action_id"], e["value"]) for e in row["elements"]] for row in rows]
    assert {(a.deal_id, a.followup_id) for a in parsed[0][:3]} == {(acme.id, followup.id)}
    assert (parsed[0][3].deal_id, parsed[0][3].external_id) == (acme.id, "CRM-1")
    assert [(a.deal_id, a.followup_id, a.activity_key) for a in parsed[1][:3]] == [
        (stuck.id, None, "discovery_call"), (stuck.id, None, None), (stuck.id, None, None)]
    assert [a.snooze_days for a in parsed[1]] == [None, 1, 7, None]
    assert parsed[1][3].external_id == "CRM-2"


def test_a_long_digest_stays_within_slacks_block_limit_and_shows_every_section(runtime, digest_floor):
    with runtime.session() as s:
        for i in range(40):
            f.followup(s, f.deal(s, digest_floor.lucy, f"Overdue {i}", now=AT), AT - timedelta(days=3, minutes=i))
        for i in range(15):
            f.deal(s, digest_floor.lucy, f"Stuck {i}", days_in_stage=20 + i, now=AT)
        f.deal(s, digest_floor.lucy, "Past", stage="close", days_in_stage=1, now=AT, close_date=date(2026, 11, 1))
    message = rep_message(digest_for(runtime, digest_floor.lucy, AT))
    assert len(message.blocks) <= BLOCKS_PER_MESSAGE
    text = "\n".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert "*⏰ Overdue follow-ups (40)*" in text and "*🐢 Deals past their stage's expected time (15)*" in text
    assert "*Past*" in text  # a one-item section is not crowded out by a long one
    more = [b["elements"][0]["text"] for b in message.blocks if b["type"] == "context"]
    assert more[0].startswith("…and ") and "40 overdue follow-ups" in message.text
    assert "40 overdue follow-ups, 15 stuck deals, 1 deal past its close date." in text  # counted as people speak


def test_the_greeting_counts_one_item_in_the_singular(runtime, digest_floor):
    with runtime.session() as s:
        f.followup(s, f.deal(s, digest_floor.lucy, "Acme", now=AT), AT - timedelta(days=2))
        f.deal(s, digest_floor.lucy, "Stalled", days_in_stage=30, now=AT)
    greeting = rep_message(digest_for(runtime, digest_floor.lucy, AT)).blocks[0]["text"]["text"]
    assert greeting.endswith(": 1 overdue follow-up, 1 stuck deal.")


def test_names_from_the_crm_cannot_ping_or_format(runtime, digest_floor):
    with runtime.session() as s:
        deal = f.deal(s, digest_floor.lucy, "<!channel> & <@U123>", now=AT)
        f.followup(s, deal, AT - timedelta(days=1), note="*urgent* <https://evil.example|click>")
    text = "\n".join(b["text"]["text"] for b in rep_message(digest_for(runtime, digest_floor.lucy, AT)).blocks
                     if b["type"] == "section")
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text


def test_a_clicked_item_is_replaced_by_a_note_and_the_rest_stays(runtime, digest_floor):
    with runtime.session() as s:
        for name in ("One", "Two"):
            f.followup(s, f.deal(s, digest_floor.lucy, name, now=AT), datetime(2026, 11, 20, 18, tzinfo=UTC))
    blocks = rep_message(digest_for(runtime, digest_floor.lucy, AT)).blocks
    after = marked(blocks, f"{ITEM_BLOCK_PREFIX}1", "✅ Done")
    assert len(after) == len(blocks)
    assert [b.get("block_id") for b in after if b["type"] == "actions"] == [f"{ITEM_BLOCK_PREFIX}2"]
    assert {"type": "context", "elements": [{"type": "mrkdwn", "text": "✅ Done"}]} in after


def test_the_roll_up_message_names_reps_owners_and_counts(runtime, digest_floor):
    team_floor(runtime, digest_floor)
    blocks = manager_message(digest_for(runtime, digest_floor.mia, ROLLUP_AT, kind="manager")).blocks
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Kenji Sato — *2* (oldest 6 days)" in text
    assert "*Lucy Ltd* (Lucy Park) — Validate, *10 days over* the 20 expected" in text
    assert "Otto" not in text
    assert "🏆 *Won Inc* (Lucy Park) won (from Close)" in text


def test_the_roll_up_notification_counts_the_moves_since_the_last_roll_up(runtime, digest_floor):
    team_floor(runtime, digest_floor)
    with runtime.session() as s:  # Friday's roll-up went out at 13:00 UTC
        row = store.reserve(session=s, rep_id=digest_floor.mia.id, local_date=date(2026, 11, 20), kind="manager",
                            now=utc(20, 13))
        store.complete(session=s, delivery_id=row.id, channel="D1", ts="1.1", now=utc(20, 13))
    text = manager_message(digest_for(runtime, digest_floor.mia, ROLLUP_AT, kind="manager")).text
    assert "3 moves (1 won)" in text
