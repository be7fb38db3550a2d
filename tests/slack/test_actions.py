"""Buttons and modals: every change through ``bot.core.deal_actions``, written with who and when; forgeries refused."""

import json
from datetime import timedelta

from sqlmodel import select

from bot.core.deal_actions import DEAL_NOT_FOUND
from bot.digest.actions import COACH_ME, DONE, SNOOZE_WEEK
from bot.slack import ids
from storage.models import Activity, AnswerFeedback, CriterionCheck, Deal, FollowUp, StageChange
from tests.slack.harness import submit_modal, text_input

FOLLOWUP_NOT_FOUND = "I can't find that follow-up among the deals you can see."



def _rows(slack, model, **where):
    with slack.runtime.session() as s:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(s.exec(query).all())


def test_criterion_met_opens_a_modal_and_the_submission_is_recorded_with_evidence(slack):
    alice, globex = slack.floor.alice, slack.floor.globex
    reply = slack.click(alice, ids.MARK_CRITERION, str(globex.id))
    assert (reply.status, reply.body) == (200, "")  # acknowledged at once; the modal follows
    [opened] = slack.emulator.wait_for("views.open")
    assert opened["view"]["callback_id"] == ids.CRITERION_VIEW
    options = opened["view"]["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == ["success_criteria_agreed"]
    reply = submit_modal(slack, alice, ids.CRITERION_VIEW, globex.id, {
        ids.CRITERION_INPUT: {"type": "static_select", "selected_option": {"value": "success_criteria_agreed"}},
        ids.EVIDENCE_INPUT: text_input("Champion emailed the signed criteria")})
    assert reply.status == 200 and reply.json()["response_action"] == "update"
    [check] = _rows(slack, CriterionCheck, deal_id=globex.id, criterion_key="success_criteria_agreed")
    assert (check.evidence, check.checked_by_id, check.met) == ("Champion emailed the signed criteria", alice.id, True)


def test_a_forged_button_or_submission_for_another_reps_deal_is_refused(slack):
    bob, globex = slack.floor.bob, slack.floor.globex
    slack.click(bob, ids.MARK_CRITERION, str(globex.id))
    [told] = slack.emulator.wait_for("response_url")
    assert told["text"] == DEAL_NOT_FOUND and told["response_type"] == "ephemeral"
    reply = submit_modal(slack, bob, ids.CRITERION_VIEW, globex.id, {
        ids.CRITERION_INPUT: {"type": "static_select", "selected_option": {"value": "success_criteria_agreed"}},
        ids.EVIDENCE_INPUT: text_input("forged")})
    assert reply.json() == {"response_action": "errors", "errors": {ids.CRITERION_INPUT: DEAL_NOT_FOUND}}
    slack.click(bob, ids.ADVANCE_STAGE, str(globex.id))
    slack.click(bob, ids.COMPLETE_FOLLOWUP, str(_rows(slack, FollowUp, deal_id=globex.id)[0].id))
    submit_modal(slack, bob, ids.OVERRIDE_VIEW, globex.id, {ids.REASON_INPUT: text_input("because")})
    submit_modal(slack, bob, ids.ACTIVITY_VIEW, globex.id, {ids.NOTE_INPUT: text_input("forged")})
    # Each click's refusal is its handler's last word (a modal would have opened instead): once all three are
    # in, nothing more can come from them.
    told = slack.emulator.wait_for("response_url", 3)
    assert sorted(t["text"] for t in told) == sorted([DEAL_NOT_FOUND, DEAL_NOT_FOUND, FOLLOWUP_NOT_FOUND])
    assert "views.open" not in slack.emulator.methods()
    assert not _rows(slack, CriterionCheck, evidence="forged")
    assert not _rows(slack, StageChange, deal_id=globex.id)
    assert not _rows(slack, Activity, note="forged")
    assert all(f.done_at is None for f in _rows(slack, FollowUp, deal_id=globex.id))


def test_a_manager_may_act_on_the_teams_deals(slack):
    manager, globex = slack.floor.manager, slack.floor.globex
    reply = submit_modal(slack, manager, ids.ACTIVITY_VIEW, globex.id, {
        ids.ACTIVITY_INPUT: {"type": "static_select", "selected_option": None}, ids.NOTE_INPUT: text_input("Coached Alice")})
    assert reply.json()["response_action"] == "update"
    [row] = _rows(slack, Activity, note="Coached Alice")
    assert row.rep_id == manager.id and row.deal_id == globex.id


def test_advancing_with_unmet_criteria_asks_for_a_reason_and_records_it(slack):
    alice, globex = slack.floor.alice, slack.floor.globex
    slack.click(alice, ids.ADVANCE_STAGE, str(globex.id))
    [opened] = slack.emulator.wait_for("views.open")
    assert opened["view"]["callback_id"] == ids.OVERRIDE_VIEW
    assert "written success criteria" in json.dumps(opened["view"])
    empty = submit_modal(slack, alice, ids.OVERRIDE_VIEW, globex.id, {ids.REASON_INPUT: text_input("  ")})
    assert empty.json()["response_action"] == "errors"
    assert not _rows(slack, StageChange, deal_id=globex.id)
    done = submit_modal(slack, alice, ids.OVERRIDE_VIEW, globex.id, {ids.REASON_INPUT: text_input("CFO fast-tracked it")})
    assert done.json()["response_action"] == "update"
    [move] = _rows(slack, StageChange, deal_id=globex.id)
    assert (move.from_stage, move.to_stage, move.override_reason, move.changed_by_id) == (
        "validate", "close", "CFO fast-tracked it", alice.id)
    [deal] = _rows(slack, Deal, id=globex.id)
    assert (deal.stage_key, deal.stage_entered_at) == ("close", move.changed_at)  # the deal itself moved


def test_advancing_with_every_criterion_met_moves_at_once(slack):
    alice, hooli = slack.floor.alice, slack.floor.hooli
    from tests.utils import factories as f

    with slack.runtime.session() as s:
        for key in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
            f.check(s, hooli, key, stage="discover")
    slack.click(alice, ids.ADVANCE_STAGE, str(hooli.id))
    [told] = slack.emulator.wait_for("response_url")
    assert "Moved Hooli analytics to Validate" in told["text"]
    [move] = _rows(slack, StageChange, deal_id=hooli.id)
    assert move.override_reason is None and move.changed_by_id == alice.id
    assert _rows(slack, Deal, id=hooli.id)[0].stage_key == "validate"


def test_follow_ups_are_set_with_a_date_picker_and_completed_with_a_button(slack):
    alice, hooli = slack.floor.alice, slack.floor.hooli
    slack.click(alice, ids.SET_FOLLOWUP, str(hooli.id))
    [opened] = slack.emulator.wait_for("views.open")
    today = slack.runtime.now().date()  # Alice works in UTC
    picker = opened["view"]["blocks"][1]["element"]
    assert (picker["type"], picker["initial_date"]) == ("datepicker", (today + timedelta(days=1)).isoformat())
    yesterday = (today - timedelta(days=1)).isoformat()
    past = submit_modal(slack, alice, ids.FOLLOWUP_VIEW, hooli.id, {
        ids.DUE_DATE_INPUT: {"type": "datepicker", "selected_date": yesterday}, ids.NOTE_INPUT: text_input("x")})
    assert past.json()["response_action"] == "errors"
    day = today + timedelta(days=3)
    reply = submit_modal(slack, alice, ids.FOLLOWUP_VIEW, hooli.id, {
        ids.DUE_DATE_INPUT: {"type": "datepicker", "selected_date": day.isoformat()},
        ids.NOTE_INPUT: text_input("Send the proposal")})
    assert reply.json()["response_action"] == "update"
    [followup] = _rows(slack, FollowUp, deal_id=hooli.id)
    assert (followup.due_at.date(), followup.due_at.hour, followup.created_by_id) == (day, 9, alice.id)
    slack.click(alice, ids.COMPLETE_FOLLOWUP, str(followup.id))
    [told] = slack.emulator.wait_for("response_url")
    assert "Send the proposal" in told["text"]
    assert _rows(slack, FollowUp, deal_id=hooli.id)[0].done_at is not None


def test_feedback_is_stored_per_person_and_message(slack):
    value = json.dumps({"q": "what next on Globex?"})
    slack.click(slack.floor.alice, ids.FEEDBACK_UP, value, message_ts="1700001000.000001")
    slack.emulator.wait_for("response_url")
    slack.click(slack.floor.alice, ids.FEEDBACK_DOWN, value, message_ts="1700001000.000001")
    slack.emulator.wait_for("response_url", 2)
    [row] = _rows(slack, AnswerFeedback, message_ts="1700001000.000001")
    assert (row.rep_id, row.helpful, row.question) == (slack.floor.alice.id, False, "what next on Globex?")


def test_share_in_channel_posts_the_answer_as_the_clicker_may_see_it(slack):
    value = json.dumps({"q": "what should I do next on Globex?", "t": "1700001100.0"})
    slack.click(slack.floor.alice, ids.SHARE_ANSWER, value, channel_id="C0RANDOM")
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == "C0RANDOM" and post["thread_ts"] == "1700001100.0"
    assert "Globex platform rollout" in post["text"]
    assert f"Shared by <@{slack.floor.alice.slack_user_id}>" in json.dumps(post["blocks"])
    assert ids.MARK_CRITERION not in json.dumps(post["blocks"])  # a shared copy carries no deal buttons
    assert slack.emulator.wait_for("response_url")[0].get("delete_original") is True


def _button(action_id: str) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": "Done"}, "action_id": action_id, "value": "1"}


def test_digest_buttons_complete_snooze_and_coach(slack):
    alice, globex = slack.floor.alice, slack.floor.globex
    followups = sorted(_rows(slack, FollowUp, deal_id=globex.id), key=lambda f: f.id)
    item_blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Send the pricing recap"}},
                   {"type": "actions", "block_id": "digest_item_1", "elements": [_button(DONE)]},
                   {"type": "actions", "block_id": "digest_item_2", "elements": [_button(SNOOZE_WEEK)]}]
    slack.click(alice, DONE, json.dumps({"f": followups[0].id, "d": globex.id}), block_id="digest_item_1",
                message_blocks=item_blocks)
    [replaced] = slack.emulator.wait_for("response_url")
    assert replaced["replace_original"] is True
    assert replaced["blocks"][1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "✅ Done"}]}
    assert replaced["blocks"][2]["block_id"] == "digest_item_2"
    before = _rows(slack, FollowUp, id=followups[1].id)[0].due_at
    slack.click(alice, SNOOZE_WEEK, json.dumps({"f": followups[1].id, "d": globex.id}), block_id="digest_item_2",
                message_blocks=item_blocks)
    slack.emulator.wait_for("response_url", 2)
    assert _rows(slack, FollowUp, id=followups[0].id)[0].done_at is not None
    assert _rows(slack, FollowUp, id=followups[1].id)[0].due_at >= before + timedelta(days=7)
    slack.click(alice, COACH_ME, json.dumps({"d": globex.id, "x": "D-GLOBEX"}))
    coached = slack.emulator.wait_for("response_url", 3)[2]
    assert "Globex platform rollout" in coached["text"]
    slack.click(slack.floor.bob, SNOOZE_WEEK, json.dumps({"f": followups[1].id, "d": globex.id}))
    assert "can't find" in slack.emulator.wait_for("response_url", 4)[3]["text"]
