"""Issue 13, points 1, 4 and 5, and Slack's refusals: answers Slack would reject in a real workspace.

Every message goes through the emulator's Block Kit check (``tests.utils.block_kit``), which answers
``invalid_blocks`` as Slack does; the harness fails any test in which Slack would have refused something.
"""

import json
import logging

from sqlmodel import select

from bot.slack import ids
from storage.models import AnswerFeedback, FollowUp
from tests.utils import factories as f
from tests.utils.block_kit import message_problems
from tests.utils.slack_emulator import feedback_click


def _buttons(blocks: list[dict], block_id: str) -> list[dict]:
    return next(b["elements"] for b in blocks if b.get("block_id") == block_id)


def test_point1_two_followups_due_get_two_done_buttons_slack_accepts_and_each_works(slack):
    alice = slack.floor.alice
    slack.dm(alice, "What should I do next on Globex?")
    [post] = slack.emulator.wait_for("chat.postMessage")  # before the fix: invalid_blocks, the asker saw nothing
    done = _buttons(post["blocks"], "deal_followups")
    assert len(done) == 2 and len({b["action_id"] for b in done}) == 2
    assert message_problems(post["blocks"]) == []
    slack.click(alice, done[1]["action_id"], done[1]["value"], channel_id=post["channel"])
    [told] = slack.emulator.wait_for("response_url")
    assert "Confirm workshop attendees" in told["text"]
    with slack.runtime.session() as s:
        assert s.get(FollowUp, int(done[1]["value"])).done_at is not None
        assert s.get(FollowUp, int(done[0]["value"])).done_at is None


def test_point1_several_matching_deals_offer_choices_slack_accepts_and_the_second_answers(slack):
    alice = slack.floor.alice
    with slack.runtime.session() as s:
        f.deal(s, alice, "Globex EMEA expansion", account="Globex Corporation", stage="discover",
               external_id="D-GLOBEX-EMEA")
    slack.dm(alice, "What should I do next on Globex?")
    [post] = slack.emulator.wait_for("chat.postMessage")
    choices = _buttons(post["blocks"], "deal_choices")
    assert len(choices) == 2 and len({b["action_id"] for b in choices}) == 2
    second = next(b for b in choices if b["value"] == "D-GLOBEX-EMEA")
    slack.click(alice, second["action_id"], second["value"], channel_id=post["channel"])
    [answer] = slack.emulator.wait_for("response_url")
    assert "Globex EMEA expansion" in answer["text"] and "pricing recap" not in answer["text"]


def test_point5_a_long_deal_name_with_an_ampersand_keeps_the_advance_confirm_within_300(slack):
    alice = slack.floor.alice
    name = ("Globex & Sons — " + "Отдел продаж & логистики " * 12)[:290]
    with slack.runtime.session() as s:
        deal = f.deal(s, alice, name, account="Globex & Sons", stage="discover", external_id="D-LONG")
        for key in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
            f.check(s, deal, key)
    slack.dm(alice, "What should I do next on D-LONG?")
    [post] = slack.emulator.wait_for("chat.postMessage")  # before the fix: 358 characters, the answer refused
    advance = next(b for b in _buttons(post["blocks"], "deal_actions") if b["action_id"] == ids.ADVANCE_STAGE)
    text = advance["confirm"]["text"]["text"]
    assert len(text) <= 300 and text.endswith("…")
    assert text.count("&") == text.count("&amp;")  # no escape cut in two, nothing left unescaped


def test_point4_a_540_character_cyrillic_question_shares_and_its_feedback_keeps_the_question(slack):
    alice = slack.floor.alice
    question = ("Что мне делать дальше по сделке Globex? " + "Клиент просил подробности о цене и сроках, " * 12)[:540]
    assert len(question) == 540
    slack.sender.command("/coach", question, user_id=alice.slack_user_id, channel_id="C0RANDOM")
    [answer] = slack.emulator.wait_for("response_url")
    row = _buttons(answer["blocks"], "answer_feedback")
    by_id = {b["action_id"]: b["value"] for b in row}
    assert all(len(v.encode()) <= 2000 for v in by_id.values()) and len(by_id[ids.SHARE_ANSWER]) <= 16
    thumbs_up = feedback_click(answer["blocks"], helpful=True)
    assert len(thumbs_up["value"]) <= 2000
    slack.click(alice, ids.FEEDBACK, thumbs_up["value"], channel_id="C0RANDOM", action=thumbs_up)
    slack.click(alice, ids.SHARE_ANSWER, by_id[ids.SHARE_ANSWER], channel_id="C0RANDOM")
    [shared] = slack.emulator.wait_for("chat.postMessage")  # before the fix: "That button is out of date"
    assert shared["channel"] == "C0RANDOM" and "Globex" in json.dumps(shared["blocks"], ensure_ascii=False)
    with slack.runtime.session() as s:
        [feedback] = s.exec(select(AnswerFeedback)).all()
    assert feedback.question == question  # before the fix: cut, or lost


def test_a_message_slack_refuses_anyway_reaches_the_person_as_text_and_the_blocks_are_logged(slack, caplog):
    slack.emulator.script("chat.postMessage", {"ok": False, "error": "invalid_blocks",
                                               "errors": ["invalid additional property: surprise"]})
    with caplog.at_level(logging.ERROR, logger="bot.slack.delivery"):
        slack.dm(slack.floor.alice, "What should I do next on Globex?")
        refused, retried = slack.emulator.wait_for("chat.postMessage", 2)
    assert refused.get("blocks") and "blocks" not in retried
    assert "Send the pricing recap" in retried["text"]  # the answer itself, as plain text
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.slack.delivery"]
    assert logged and "invalid_blocks" in logged[0] and "deal_followups" in logged[0]


def test_a_home_view_slack_refuses_is_replaced_by_a_plain_one(slack, caplog):
    from bot.slack.listeners.events.app_home_opened import HOME_FALLBACK

    slack.emulator.script("views.publish", {"ok": False, "error": "invalid_blocks"})
    with caplog.at_level(logging.ERROR):
        slack.sender.event({"type": "app_home_opened", "user": slack.floor.alice.slack_user_id, "channel": "D0HOME",
                            "tab": "home"})
        refused, plain = slack.emulator.wait_for("views.publish", 2)
    assert "Globex" in json.dumps(refused["view"]) and HOME_FALLBACK in json.dumps(plain["view"], ensure_ascii=False)
    assert any("Home view" in r.getMessage() for r in caplog.records)


def test_a_form_slack_refuses_is_told_to_the_clicker(slack):
    from bot.slack.delivery import FORM_REFUSED

    slack.emulator.script("views.open", {"ok": False, "error": "invalid_blocks"})
    slack.click(slack.floor.alice, ids.MARK_CRITERION, str(slack.floor.globex.id))
    [told] = slack.emulator.wait_for("response_url")
    assert told["text"] == FORM_REFUSED and told["response_type"] == "ephemeral"


def test_a_digest_slack_refuses_anyway_goes_out_as_text(slack):
    from bot.digest.deliver import deliver_due
    from tests.digest.fixtures import poster_for
    from tests.utils.factories import NOW

    slack.emulator.script("chat.postMessage", {"ok": False, "error": "invalid_blocks"})
    summary = deliver_due(slack.runtime, poster_for(slack.runtime, slack.emulator), day=NOW.date())
    posts = slack.emulator.calls_to("chat.postMessage")  # digests go out in parallel: any order
    [retried] = [p for p in posts if "blocks" not in p]
    [refused] = [p for p in posts if p["channel"] == retried["channel"] and p.get("blocks")]
    assert retried["text"] == refused["text"] and ("digest" in retried["text"] or "roll-up" in retried["text"])
    assert len(posts) == len({p["channel"] for p in posts}) + 1  # each person once, the refused one again as text
    assert summary.ok and not summary.of("failed")
