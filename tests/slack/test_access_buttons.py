"""Every deal button and modal, tried by the deal's owner, a teammate, another team's manager and a stranger.

The owner's click does what it says and the database changes; anyone else gets a private refusal that
names nothing of the deal, and the database is as it was. Button values and ``private_metadata`` are
claims anyone can forge, so the refusals are tried with forged payloads too.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.deal_actions import DEAL_NOT_FOUND
from bot.digest.actions import COACH_ME, DONE, SNOOZE_WEEK
from bot.slack import ids
from bot.slack.identity import SETUP_HELP
from storage.models import Activity, CriterionCheck, FollowUp, Role, StageChange, Team
from tests.slack.harness import submit_modal, text_input
from tests.utils import factories as f

WHO = ["owner", "teammate", "other_manager", "stranger"]
REFUSAL = {"teammate": DEAL_NOT_FOUND, "other_manager": DEAL_NOT_FOUND, "stranger": SETUP_HELP}
FOLLOWUP_NOT_FOUND = "I can't find that follow-up among the deals you can see."
# What Globex's plan shows its owner; none of it may reach anyone else.
GLOBEX_SECRETS = ("pricing recap", "Confirm workshop attendees", "90,000", "Validate", "CTO said yes")


class Stranger:
    slack_user_id = "U0NOBODY"  # a Slack user with no rep (users.info answers user_not_found)


def person(slack, who: str):
    floor = slack.floor
    if who == "owner":
        return floor.alice
    if who == "teammate":
        return floor.bob
    if who == "stranger":
        return Stranger()
    with slack.runtime.session() as s:  # West's manager: a manager, but of Carol's team, not Alice's
        west = s.get(Team, floor.carol.team_id)
        return f.rep(s, "Walt West Manager", team=west, role=Role.manager)


def _rows(slack, model, **where):
    with slack.runtime.session() as s:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(s.exec(query).all())



def _refused(slack, who: str, count: int = 1) -> dict:
    """The ``count``-th reply to the clicker: the refusal, private, naming nothing of the deal."""
    told = slack.emulator.wait_for("response_url", count)[count - 1]
    assert told["text"] == REFUSAL[who] and told["response_type"] == "ephemeral", told
    assert not any(secret in json.dumps(told) for secret in GLOBEX_SECRETS + ("Globex",))
    # The refusal is the handler's last word (it replaces the modal it would have opened): nothing else was said.
    assert [m for m in slack.emulator.methods() if m.startswith(("views.", "chat."))] == []
    return told


def _modal_refused(reply, who: str, block: str) -> None:
    assert reply.status == 200
    assert reply.json() == {"response_action": "errors", "errors": {block: REFUSAL[who]}}


@pytest.mark.parametrize("who", WHO)
def test_log_activity_button_and_modal(slack, who):
    rep, globex = person(slack, who), slack.floor.globex
    before = _rows(slack, Activity, deal_id=globex.id)
    slack.click(rep, ids.LOG_ACTIVITY, str(globex.id))
    if who == "owner":  # the modal opens first; the form is sent from it
        [opened] = slack.emulator.wait_for("views.open")
        submitted = submit_modal(slack, rep, ids.ACTIVITY_VIEW, globex.id, {
            ids.ACTIVITY_INPUT: {"type": "static_select", "selected_option": None}, ids.NOTE_INPUT: text_input("Called the CFO")})
        assert opened["view"]["callback_id"] == ids.ACTIVITY_VIEW and "Globex" in json.dumps(opened["view"])
        assert submitted.json()["response_action"] == "update"
        [row] = _rows(slack, Activity, note="Called the CFO")
        assert (row.deal_id, row.rep_id) == (globex.id, rep.id)
        return
    _refused(slack, who)
    submitted = submit_modal(slack, rep, ids.ACTIVITY_VIEW, globex.id, {
        ids.ACTIVITY_INPUT: {"type": "static_select", "selected_option": None}, ids.NOTE_INPUT: text_input("Called the CFO")})
    _modal_refused(submitted, who, ids.NOTE_INPUT)
    assert _rows(slack, Activity, deal_id=globex.id) == before


@pytest.mark.parametrize("who", WHO)
def test_set_followup_button_and_modal(slack, who):
    rep, globex = person(slack, who), slack.floor.globex
    before = _rows(slack, FollowUp, deal_id=globex.id)
    day = (slack.runtime.now() + timedelta(days=3)).date()
    slack.click(rep, ids.SET_FOLLOWUP, str(globex.id))
    if who == "owner":  # the modal opens first; the form is sent from it
        [opened] = slack.emulator.wait_for("views.open")
        submitted = submit_modal(slack, rep, ids.FOLLOWUP_VIEW, globex.id, {
            ids.DUE_DATE_INPUT: {"type": "datepicker", "selected_date": day.isoformat()},
            ids.NOTE_INPUT: text_input("Chase the signature")})
        assert opened["view"]["callback_id"] == ids.FOLLOWUP_VIEW
        assert submitted.json()["response_action"] == "update"
        [row] = _rows(slack, FollowUp, note="Chase the signature")
        assert (row.deal_id, row.created_by_id, row.due_at.date()) == (globex.id, rep.id, day)
        return
    _refused(slack, who)
    submitted = submit_modal(slack, rep, ids.FOLLOWUP_VIEW, globex.id, {
        ids.DUE_DATE_INPUT: {"type": "datepicker", "selected_date": day.isoformat()},
        ids.NOTE_INPUT: text_input("Chase the signature")})
    _modal_refused(submitted, who, ids.DUE_DATE_INPUT)
    assert _rows(slack, FollowUp, deal_id=globex.id) == before


@pytest.mark.parametrize("who", WHO)
def test_criterion_button_and_modal(slack, who):
    rep, globex = person(slack, who), slack.floor.globex
    slack.click(rep, ids.MARK_CRITERION, str(globex.id))
    if who == "owner":  # the modal opens first; the form is sent from it
        [opened] = slack.emulator.wait_for("views.open")
        submitted = submit_modal(slack, rep, ids.CRITERION_VIEW, globex.id, {
            ids.CRITERION_INPUT: {"type": "static_select", "selected_option": {"value": "success_criteria_agreed"}},
            ids.EVIDENCE_INPUT: text_input("Signed criteria by email")})
        assert opened["view"]["callback_id"] == ids.CRITERION_VIEW
        assert submitted.json()["response_action"] == "update"
        [row] = _rows(slack, CriterionCheck, deal_id=globex.id, criterion_key="success_criteria_agreed")
        assert (row.checked_by_id, row.evidence) == (rep.id, "Signed criteria by email")
        return
    _refused(slack, who)
    submitted = submit_modal(slack, rep, ids.CRITERION_VIEW, globex.id, {
        ids.CRITERION_INPUT: {"type": "static_select", "selected_option": {"value": "success_criteria_agreed"}},
        ids.EVIDENCE_INPUT: text_input("Signed criteria by email")})
    _modal_refused(submitted, who, ids.CRITERION_INPUT)
    assert _rows(slack, CriterionCheck, deal_id=globex.id, criterion_key="success_criteria_agreed") == []


@pytest.mark.parametrize("who", WHO)
def test_advance_button_and_override_modal(slack, who):
    rep, globex = person(slack, who), slack.floor.globex
    slack.click(rep, ids.ADVANCE_STAGE, str(globex.id))
    if who == "owner":  # the modal opens first; the form is sent from it
        [opened] = slack.emulator.wait_for("views.open")
        submitted = submit_modal(slack, rep, ids.OVERRIDE_VIEW, globex.id, {ids.REASON_INPUT: text_input("CFO fast-tracked it")})
        assert opened["view"]["callback_id"] == ids.OVERRIDE_VIEW
        assert submitted.json()["response_action"] == "update"
        [move] = _rows(slack, StageChange, deal_id=globex.id)
        assert (move.to_stage, move.changed_by_id, move.override_reason) == ("close", rep.id, "CFO fast-tracked it")
        return
    _refused(slack, who)
    submitted = submit_modal(slack, rep, ids.OVERRIDE_VIEW, globex.id, {ids.REASON_INPUT: text_input("CFO fast-tracked it")})
    _modal_refused(submitted, who, ids.REASON_INPUT)
    assert _rows(slack, StageChange, deal_id=globex.id) == []
    assert _rows(slack, type(slack.floor.globex), id=globex.id)[0].stage_key == "validate"


@pytest.mark.parametrize("who", WHO)
def test_advance_button_when_every_criterion_is_met(slack, who):
    rep, hooli = person(slack, who), slack.floor.hooli
    with slack.runtime.session() as s:
        for key in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
            f.check(s, hooli, key, stage="discover")
    slack.click(rep, ids.ADVANCE_STAGE, str(hooli.id))
    if who == "owner":
        [told] = slack.emulator.wait_for("response_url")
        assert "Moved Hooli analytics to Validate" in told["text"]
        assert [m.changed_by_id for m in _rows(slack, StageChange, deal_id=hooli.id)] == [rep.id]
        return
    told = slack.emulator.wait_for("response_url")[0]
    assert told["text"] == REFUSAL[who] and "Hooli" not in json.dumps(told)
    assert _rows(slack, StageChange, deal_id=hooli.id) == []
    assert _rows(slack, type(hooli), id=hooli.id)[0].stage_key == "discover"


@pytest.mark.parametrize("who", WHO)
def test_complete_followup_button(slack, who):
    rep, globex = person(slack, who), slack.floor.globex
    followup = sorted(_rows(slack, FollowUp, deal_id=globex.id), key=lambda row: row.id)[0]
    slack.click(rep, ids.COMPLETE_FOLLOWUP, str(followup.id))
    told = slack.emulator.wait_for("response_url")[0]
    done = _rows(slack, FollowUp, id=followup.id)[0].done_at
    if who == "owner":
        assert "Send the pricing recap" in told["text"] and done is not None
        return
    assert told["response_type"] == "ephemeral" and done is None
    assert told["text"] == (SETUP_HELP if who == "stranger" else FOLLOWUP_NOT_FOUND)
    assert not any(secret in json.dumps(told) for secret in GLOBEX_SECRETS)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("button", [DONE, SNOOZE_WEEK])
def test_digest_done_and_snooze_buttons(slack, who, button):
    rep, globex = person(slack, who), slack.floor.globex
    followup = sorted(_rows(slack, FollowUp, deal_id=globex.id), key=lambda row: row.id)[0]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Your day"}},
              {"type": "actions", "block_id": "digest_item_1", "elements": []}]
    slack.click(rep, button, json.dumps({"f": followup.id, "d": globex.id}), block_id="digest_item_1",
                message_blocks=blocks)
    told = slack.emulator.wait_for("response_url")[0]
    [after] = _rows(slack, FollowUp, id=followup.id)
    if who == "owner":
        assert told["replace_original"] is True and told["blocks"][0] == blocks[0]
        assert after.done_at is not None if button == DONE else after.due_at >= followup.due_at + timedelta(days=7)
        return
    assert told["response_type"] == "ephemeral" and told.get("replace_original") is False  # the digest stays
    assert told["text"] == (SETUP_HELP if who == "stranger" else FOLLOWUP_NOT_FOUND)
    assert (after.done_at, after.due_at) == (followup.done_at, followup.due_at)


def _plan_question_buttons(globex):
    return [(ids.ASK_ABOUT_DEAL, "D-GLOBEX"), (COACH_ME, json.dumps({"d": globex.id, "x": "D-GLOBEX"}))]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("button", [ids.ASK_ABOUT_DEAL, COACH_ME])
def test_coach_me_and_ask_about_deal_buttons(slack, who, button):
    rep, globex = person(slack, who), slack.floor.globex
    value = dict(_plan_question_buttons(globex))[button]
    slack.click(rep, button, value, channel_id=f"D{rep.slack_user_id}")
    said = slack.emulator.wait_for("response_url", timeout=60)  # the first question of a process loads the router
    everything = json.dumps(said) + json.dumps([c.body for c in slack.emulator.calls if c.method != "users.info"])
    if who == "owner":
        assert "Globex platform rollout" in said[0]["text"] and "Send the pricing recap" in said[0]["text"]
        assert ids.MARK_CRITERION in json.dumps(said[0]["blocks"])
        return
    if who == "stranger":
        assert said[0]["text"] == SETUP_HELP
    assert not any(secret in everything for secret in GLOBEX_SECRETS + ("Globex platform rollout",)), said
    assert ids.MARK_CRITERION not in everything
