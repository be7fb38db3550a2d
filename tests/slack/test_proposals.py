"""A write proposed in a DM, confirmed with a button: recorded once, by its asker only."""

import json
import threading

import pytest
from sqlmodel import select

from bot.coach import proposals
from bot.slack import ids
from bot.slack.blocks import PROPOSAL_BLOCK, VALUE_LIMIT
from storage.models import CriterionCheck, Deal
from tests.slack.harness import dm_channel

pytestmark = pytest.mark.model  # the coach routes with the local embedding model


def _budget_checks(slack) -> list[CriterionCheck]:
    with slack.runtime.session() as s:
        return list(s.exec(select(CriterionCheck).where(CriterionCheck.deal_id == slack.floor.globex.id,
                                                       CriterionCheck.criterion_key == "budget_confirmed")).all())


def _propose(slack) -> tuple[dict, str]:
    """Alice writes "Globex confirmed budget" in her DM; the answer and its proposal's token."""
    with slack.runtime.session() as s:  # the floor's Globex is in Validate; budget is a Discover criterion
        deal = s.get(Deal, slack.floor.globex.id)
        deal.stage_key = "discover"
        s.add(deal)
    slack.dm(slack.floor.alice, "Globex confirmed budget")
    [post] = slack.emulator.wait_for("chat.postMessage", timeout=60)  # the first ask loads the router's model
    [block] = [b for b in post["blocks"] if b.get("block_id") == PROPOSAL_BLOCK]
    return post, block["elements"][0]["value"]


def _press(slack, rep, post: dict, token: str, action_id: str = ids.CONFIRM_PROPOSAL):
    return slack.click(rep, action_id, token, channel_id=dm_channel(slack.floor.alice), block_id=PROPOSAL_BLOCK,
                       message_blocks=post["blocks"])


def test_a_rep_confirms_a_criterion_from_a_dm_and_it_is_met_once(slack):
    post, token = _propose(slack)
    assert "Buyer confirmed a budget range" in post["text"] and "Globex confirmed budget" in post["text"]
    [block] = [b for b in post["blocks"] if b.get("block_id") == PROPOSAL_BLOCK]
    assert [(e["action_id"], e["text"]["text"], e.get("style")) for e in block["elements"]] == [
        (ids.CONFIRM_PROPOSAL, "✅ Confirm", "primary"), (ids.CANCEL_PROPOSAL, "Cancel", None)]
    for actions in (b for b in post["blocks"] if b["type"] == "actions"):  # Slack rejects repeated action ids
        action_ids = [e["action_id"] for e in actions["elements"]]
        assert len(action_ids) == len(set(action_ids)), actions["block_id"]
    assert all(len(e["value"]) <= VALUE_LIMIT for e in block["elements"]) and {e["value"] for e in block["elements"]} == {token}
    assert _budget_checks(slack) == []  # nothing before the press

    reply = _press(slack, slack.floor.alice, post, token)
    assert (reply.status, reply.body) == (200, "")
    [replaced] = slack.emulator.wait_for("response_url")
    assert replaced["replace_original"] is True
    outcome = [b for b in replaced["blocks"] if b["type"] == "context"][-1]["elements"][0]["text"]
    assert outcome.startswith("✅ Recorded — Exit criterion met on Globex platform rollout: Buyer confirmed a budget range")
    assert not any(b.get("block_id") == PROPOSAL_BLOCK for b in replaced["blocks"])  # the buttons are gone
    assert any(b.get("block_id") == "answer_rating" for b in replaced["blocks"])  # the rest of the message stays
    [check] = _budget_checks(slack)
    assert (check.evidence, check.checked_by_id, check.stage_key, check.met) == (
        "Globex confirmed budget", slack.floor.alice.id, "discover", True)

    _press(slack, slack.floor.alice, post, token)  # pressed again (a stale copy of the message)
    again = slack.emulator.wait_for("response_url", 2)[1]
    assert "Already recorded." in json.dumps(again, ensure_ascii=False)
    assert len(_budget_checks(slack)) == 1


def test_two_presses_at_once_record_once(slack):
    post, token = _propose(slack)
    presses = [threading.Thread(target=_press, args=(slack, slack.floor.alice, post, token)) for _ in range(2)]
    for press in presses:
        press.start()
    for press in presses:
        press.join(10)
    said = json.dumps(slack.emulator.wait_for("response_url", 2), ensure_ascii=False)
    assert "✅ Recorded" in said and "Already recorded." in said
    assert len(_budget_checks(slack)) == 1


def test_a_yes_in_the_dm_confirms_and_the_button_then_says_already_recorded(slack):
    post, token = _propose(slack)
    slack.dm(slack.floor.alice, "yes", ts="1700000200.000200")
    confirmed = slack.emulator.wait_for("chat.postMessage", 2)[1]
    assert confirmed["text"].startswith("✅ Recorded")
    _press(slack, slack.floor.alice, post, token)
    assert "Already recorded." in json.dumps(slack.emulator.wait_for("response_url"), ensure_ascii=False)
    assert len(_budget_checks(slack)) == 1


def test_another_person_pressing_the_button_is_refused(slack):
    post, token = _propose(slack)
    _press(slack, slack.floor.manager, post, token)  # a manager who may see Globex, but did not ask
    _press(slack, slack.floor.bob, post, token, ids.CANCEL_PROPOSAL)
    told = slack.emulator.wait_for("response_url", 2)
    assert [t["text"] for t in told] == [proposals.GONE, proposals.GONE]
    assert all(t["response_type"] == "ephemeral" and t["replace_original"] is False for t in told)
    assert _budget_checks(slack) == []  # a refusal is said after the decision was made: nothing can follow it
    _press(slack, slack.floor.alice, post, token, ids.CANCEL_PROPOSAL)  # the asker may still drop it
    assert proposals.DROPPED in json.dumps(slack.emulator.wait_for("response_url", 3)[2], ensure_ascii=False)
    _press(slack, slack.floor.alice, post, token)
    assert proposals.ALREADY["cancelled"] in json.dumps(slack.emulator.wait_for("response_url", 4)[3], ensure_ascii=False)
    assert _budget_checks(slack) == []
