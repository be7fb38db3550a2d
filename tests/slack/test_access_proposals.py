"""Confirm / Cancel under a proposed write, and Share in channel, tried by the asker, a teammate, another
team's manager and a stranger: only the asker's press writes; sharing shows what the clicker may see."""

from __future__ import annotations

import json

import pytest

from bot.coach import proposals
from bot.slack import ids
from bot.slack.identity import SETUP_HELP
from tests.slack.test_access_buttons import GLOBEX_SECRETS, WHO, person
from tests.slack.test_proposals import _budget_checks, _press, _propose

pytestmark = pytest.mark.model  # the coach routes with the local embedding model


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("button", [ids.CONFIRM_PROPOSAL, ids.CANCEL_PROPOSAL])
def test_only_the_asker_decides_a_proposal(slack, who, button):
    post, token = _propose(slack)
    rep = person(slack, who)
    _press(slack, rep, post, token, button)
    [told] = slack.emulator.wait_for("response_url")
    said = json.dumps(told, ensure_ascii=False)
    if who == "owner":
        assert told["replace_original"] is True
        if button == ids.CONFIRM_PROPOSAL:
            assert "✅ Recorded" in said and len(_budget_checks(slack)) == 1
        else:
            assert proposals.DROPPED in said and _budget_checks(slack) == []
        return
    assert told["text"] == (SETUP_HELP if who == "stranger" else proposals.GONE)
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert "budget" not in said.lower() and "Globex" not in said
    assert _budget_checks(slack) == []
    _press(slack, slack.floor.alice, post, token)  # the proposal is untouched: the asker can still confirm it
    assert "✅ Recorded" in json.dumps(slack.emulator.wait_for("response_url", 2)[1], ensure_ascii=False)
    assert len(_budget_checks(slack)) == 1


@pytest.mark.parametrize("who", WHO)
def test_share_is_answered_as_the_person_who_clicks(slack, who):
    rep = person(slack, who)
    value = json.dumps({"q": "what should I do next on Globex?", "t": "1700001100.0"})
    slack.click(rep, ids.SHARE_ANSWER, value, channel_id="C0RANDOM")
    if who == "owner":
        [post] = slack.emulator.wait_for("chat.postMessage", timeout=60)
        assert post["channel"] == "C0RANDOM" and "Send the pricing recap" in post["text"]
        assert slack.emulator.wait_for("response_url")[0].get("delete_original") is True
        return
    if who == "stranger":
        [told] = slack.emulator.wait_for("response_url", timeout=60)
        assert told["text"] == SETUP_HELP and told["response_type"] == "ephemeral"
    else:  # what they may see of "Globex": nothing; shared as such
        [post] = slack.emulator.wait_for("chat.postMessage", timeout=60)
        assert f"Shared by <@{rep.slack_user_id}>" in json.dumps(post["blocks"])
        slack.emulator.wait_for("response_url")
    everything = json.dumps([c.body for c in slack.emulator.calls], ensure_ascii=False)
    assert not any(secret in everything for secret in GLOBEX_SECRETS + ("Globex platform rollout",))
    assert ids.MARK_CRITERION not in everything
