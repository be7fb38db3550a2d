"""Managers at the edges: one with no team, one with a report on another team, and team figures asked
in a team channel, where everyone in the channel reads the answer."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.core.deal_actions import DEAL_NOT_FOUND
from bot.slack import ids
from storage.models import Activity, Rep, Role, Team
from tests.slack.harness import TEAM_CHANNEL
from tests.utils import factories as f


def _tables(answer: dict) -> str:
    """The answer's tables as text: Slack's table blocks, cell by cell, and tables too big for one, in code blocks."""
    return "\n".join([" ".join(cell["text"] for row in b["rows"] for cell in row)
                      for b in answer.get("blocks") or [] if b["type"] == "table"]
                     + [b["text"]["text"] for b in answer.get("blocks") or []
                        if b["type"] == "section" and "```" in b["text"]["text"]])


def test_a_manager_with_no_team_sees_no_ones_figures_and_may_touch_no_ones_deal(slack):
    with slack.runtime.session() as s:
        loner = f.rep(s, "Nora Noteam", role=Role.manager)
    slack.sender.command("/pipeline", "status", user_id=loner.slack_user_id)
    [answer] = slack.emulator.wait_for("response_url")
    said = json.dumps(answer)
    assert answer["response_type"] == "ephemeral"
    assert not any(figure in said for figure in ("90,000", "125,000", "50,000", "20,000", "15,000")), said
    slack.click(loner, ids.LOG_ACTIVITY, str(slack.floor.globex.id))
    assert slack.emulator.wait_for("response_url", 2)[1]["text"] == DEAL_NOT_FOUND
    assert "views.open" not in slack.emulator.methods()


def _report_on_another_team(slack) -> None:
    """Carol (West) reports to Maria, East's manager."""
    with slack.runtime.session() as s:
        carol = s.get(Rep, slack.floor.carol.id)
        carol.manager_id = slack.floor.manager.id
        s.add(carol)


def test_a_manager_sees_and_acts_on_a_report_outside_the_team_but_not_on_that_teams_other_deals(slack):
    _report_on_another_team(slack)
    manager, umbrella = slack.floor.manager, slack.floor.umbrella
    with slack.runtime.session() as s:
        west_rep = f.rep(s, "Will West", team=s.get(Team, slack.floor.carol.team_id))
        other = f.deal(s, west_rep, "Wonka supply deal", account="Wonka", stage="discover", amount=70_000)
    slack.sender.command("/pipeline", "status", user_id=manager.slack_user_id)
    [answer] = slack.emulator.wait_for("response_url")
    table = _tables(answer)
    assert "50,000" in table and "70,000" not in json.dumps(answer)  # Carol's Umbrella; not Will's Wonka
    slack.click(manager, ids.LOG_ACTIVITY, str(umbrella.id))
    [opened] = slack.emulator.wait_for("views.open")
    assert opened["view"]["callback_id"] == ids.ACTIVITY_VIEW
    slack.click(manager, ids.LOG_ACTIVITY, str(other.id))
    assert slack.emulator.wait_for("response_url", 2)[1]["text"] == DEAL_NOT_FOUND
    with slack.runtime.session() as s:
        assert list(s.exec(select(Activity).where(Activity.deal_id == other.id)).all()) == []


def test_team_figures_asked_in_the_team_channel_show_that_team_only(slack):
    """Everyone in East's channel reads the answer: West's deals must not be in it, even when the asker may
    see them (a report on another team)."""
    _report_on_another_team(slack)
    slack.mention(slack.floor.manager, "how is my team's pipeline?", channel=TEAM_CHANNEL, ts="1700008000.0")
    answered = _said_after(slack)
    public = json.dumps([c.body for c in slack.emulator.calls if c.method == "chat.postMessage"
                         and c.body.get("channel") == TEAM_CHANNEL])
    assert "Umbrella" not in public and "50,000" not in public
    assert "50,000" in answered  # the asker still gets the figures they may see, privately


def test_a_reps_deal_asked_about_in_the_team_channel_is_still_answered_for_all(slack):
    _report_on_another_team(slack)  # Maria's report elsewhere changes nothing for Alice
    slack.mention(slack.floor.alice, "what should I do next on Globex?", channel=TEAM_CHANNEL, ts="1700008100.0")
    [post] = slack.emulator.wait_for("chat.postMessage", timeout=30)
    assert post["channel"] == TEAM_CHANNEL and "Globex platform rollout" in post["text"]


def _said_after(slack) -> str:
    """Everything the app said in reply: the public post, the private one, or the DM."""
    from tests.slack.waiting import wait_until

    replies = ("chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal")
    wait_until(slack.emulator, lambda: any(m in replies for m in slack.emulator.methods()), 60, "an answer")
    return "\n".join(json.dumps(c.body) for c in slack.emulator.calls if c.method in replies)
