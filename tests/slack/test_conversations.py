"""DMs, mentions, thread follow-ups, streaming, escaping, bots and unknown people."""

import json

from sqlmodel import select

from bot.digest.actions import COACH_ME
from bot.slack import ids
from bot.slack.identity import SETUP_HELP
from storage.models import Rep
from tests.slack.harness import GLOBEX_PLAN, OTHER_CHANNEL, TEAM_CHANNEL, dm_channel, llm_coach, make_slack
from tests.slack.waiting import control, is_control_answer
from tests.utils import factories as f
from tests.utils.openai_server import FakeOpenAI
from tests.utils.slack_emulator import BOT_ID, BOT_USER_ID


def _action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] in ("actions", "context_actions") for e in b["elements"]]


def test_a_dm_gets_the_deal_plan_with_buttons_a_fallback_and_no_unfurling(slack):
    assert slack.dm(slack.floor.alice, "what should I do next on Globex?").status == 200
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == f"D{slack.floor.alice.slack_user_id}"
    assert post["unfurl_links"] is False and post["unfurl_media"] is False
    assert "Globex platform rollout" in post["text"] and "Send the pricing recap" in post["text"]
    assert "*" not in post["text"]  # the notification fallback is plain text
    assert {ids.MARK_CRITERION, ids.LOG_ACTIVITY, ids.SET_FOLLOWUP, ids.ADVANCE_STAGE, ids.COMPLETE_FOLLOWUP,
            ids.FEEDBACK} <= set(_action_ids(post["blocks"]))
    assert ids.SHARE_ANSWER not in _action_ids(post["blocks"])  # a DM is private already
    assert all(len(b["text"]["text"]) <= 3000 for b in post["blocks"] if b["type"] == "section")


def test_a_rep_asking_about_another_reps_deal_learns_nothing_about_it(slack):
    slack.dm(slack.floor.bob, "what should I do next on Globex?")
    [post] = slack.emulator.wait_for("chat.postMessage")
    said = slack.texts("chat.postMessage")
    assert "pricing recap" not in said and "Validate" not in said
    assert ids.MARK_CRITERION not in _action_ids(post["blocks"])


def test_a_mention_outside_the_team_channel_answers_the_asker_alone_in_the_thread(slack):
    slack.mention(slack.floor.alice, "what should I do next on Globex?", ts="1700000200.000200")
    [private] = slack.emulator.wait_for("chat.postEphemeral")
    assert private["channel"] == OTHER_CHANNEL and private["user"] == slack.floor.alice.slack_user_id
    assert private["thread_ts"] == "1700000200.000200"
    assert ids.SHARE_ANSWER in _action_ids(private["blocks"])
    control(slack, OTHER_CHANNEL)  # a process question there is answered in public, after the deal question
    [public] = slack.emulator.calls_to("chat.postMessage")
    assert is_control_answer(public)


def test_a_mention_in_the_team_channel_answers_everyone_in_the_thread(slack):
    slack.mention(slack.floor.alice, "what should I do next on Globex?", channel=TEAM_CHANNEL,
                  ts="1700000300.000300")
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == TEAM_CHANNEL and post["thread_ts"] == "1700000300.000300"
    assert "Globex platform rollout" in post["text"]
    assert "chat.postEphemeral" not in slack.emulator.methods()


def test_a_process_question_in_a_channel_is_answered_publicly(slack):
    slack.mention(slack.floor.alice, "what are the exit criteria of validate?", ts="1700000400.000400")
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == OTHER_CHANNEL and post["thread_ts"] == "1700000400.000400"
    assert "success criteria" in post["text"]


def test_after_a_mention_the_thread_continues_without_one_but_only_for_the_asker(slack):
    alice, bob = slack.floor.alice, slack.floor.bob
    slack.mention(alice, "what should I do next on Globex?", channel=TEAM_CHANNEL, ts="1700000500.000500")
    slack.emulator.wait_for("chat.postMessage")
    follow_up = {"type": "message", "channel": TEAM_CHANNEL, "channel_type": "channel",
                 "thread_ts": "1700000500.000500"}
    slack.sender.event({**follow_up, "user": alice.slack_user_id, "text": "and after that?", "ts": "1700000501.0"})
    second = slack.emulator.wait_for("chat.postMessage", 2)[1]
    assert second["thread_ts"] == "1700000500.000500"
    assert "Close" in second["text"]  # the thread's deal, one stage on
    slack.sender.event({**follow_up, "user": bob.slack_user_id, "text": "and after that?", "ts": "1700000502.0"})
    slack.sender.event({"type": "message", "channel": TEAM_CHANNEL, "channel_type": "channel",
                        "user": alice.slack_user_id, "text": "what next on Globex?", "ts": "1700000503.0"})
    control(slack, TEAM_CHANNEL, thread_ts="1700000500.000500")  # Alice, in her thread: answered
    posts = slack.emulator.calls_to("chat.postMessage")  # silent without a mention or a thread of theirs
    assert [is_control_answer(p) for p in posts] == [False, False, True], [p["text"][:60] for p in posts]


def test_a_follow_up_about_the_deal_in_focus_and_a_question_back_about_deals_stay_private_in_a_channel(slack):
    alice, thread = slack.floor.alice, "1700000550.000550"
    slack.mention(alice, "what should I do next on Globex?", ts=thread)
    slack.emulator.wait_for("chat.postEphemeral")
    follow_up = {"type": "message", "channel": OTHER_CHANNEL, "channel_type": "channel", "thread_ts": thread,
                 "user": alice.slack_user_id}
    # No stage named, a deal in focus: its open criteria are the deal's plan, to the asker alone.
    slack.sender.event({**follow_up, "text": "and which exit criteria are still open?", "ts": "1700000551.0"})
    second = slack.emulator.wait_for("chat.postEphemeral", 2)[1]
    assert second["thread_ts"] == thread and "Globex platform rollout" in second["text"]
    assert "Which stage do you mean" not in second["text"]
    # A question back that names her deals ("which deal?") is as private as the answer it leads to.
    slack.mention(alice, "whats next on it", ts="1700000560.000560")
    third = slack.emulator.wait_for("chat.postEphemeral", 3)[2]
    assert "Which deal do you mean" in third["text"] and "Hooli analytics" in third["text"]
    assert "chat.postMessage" not in slack.emulator.methods()


def test_messages_from_bots_including_itself_are_never_answered(slack):
    slack.dm(slack.floor.alice, "what should I do next on Globex?", bot_id="B0OTHER")
    slack.sender.event({"type": "message", "channel_type": "im", "channel": "D0SELF", "user": BOT_USER_ID,
                        "bot_id": BOT_ID, "text": "what should I do next on Globex?", "ts": "1700000600.0"})
    slack.sender.event({"type": "message", "subtype": "bot_message", "channel_type": "im", "channel": "D0X",
                        "bot_id": "B0X", "text": "<@U0BOT> what next on Globex?", "ts": "1700000601.0"})
    slack.sender.event({"type": "app_mention", "channel": OTHER_CHANNEL, "user": "U0BOTUSER", "bot_id": "B0X",
                        "text": "<@U0BOT> what next on Globex?", "ts": "1700000602.0"})
    for channel in (dm_channel(slack.floor.alice), "D0SELF", "D0X", OTHER_CHANNEL):  # a person, after the bots,
        control(slack, channel)                                                       # is answered in each place
    answers = [c.body for c in slack.emulator.calls if c.method.startswith("chat.")]
    assert len(answers) == 4 and all(is_control_answer(a) for a in answers)  # and only they are


def test_an_unknown_person_gets_only_the_setup_explanation(slack):
    slack.sender.event({"type": "message", "channel_type": "im", "channel": "D0STRANGER", "user": "U0STRANGER",
                        "text": "what should I do next on Globex?", "ts": "1700000700.0"})
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["text"] == SETUP_HELP
    assert "Globex" not in slack.texts("chat.postMessage")
    assert slack.emulator.calls_to("users.info")[0]["user"] == "U0STRANGER"


def test_a_rep_is_found_by_slack_email_once_then_by_id(runtime, floor, team_channel):
    with runtime.session() as s:
        rep = s.get(Rep, floor.hooli.owner_id)
        rep.slack_user_id = None
        s.add(rep)
    with make_slack(runtime, floor)(users={"U0NEWALICE": "Alice.Rep@example.com"}) as slack:
        event = {"type": "message", "channel_type": "im", "channel": "D0NEW", "user": "U0NEWALICE",
                 "text": "what should I do next on Hooli?"}
        slack.sender.event({**event, "ts": "1700000800.0"})
        slack.emulator.wait_for("chat.postMessage")
        slack.sender.event({**event, "ts": "1700000801.0"})
        slack.emulator.wait_for("chat.postMessage", 2)
        assert "Hooli analytics" in slack.texts("chat.postMessage")
        assert len(slack.emulator.calls_to("users.info")) == 1
        with slack.runtime.session() as s:
            assert s.exec(select(Rep.slack_user_id).where(Rep.id == floor.alice.id)).one() == "U0NEWALICE"


def test_deal_text_is_escaped_so_it_pings_and_links_nobody(slack):
    with slack.runtime.session() as s:
        f.deal(s, slack.floor.alice, "<!channel> urgent & <https://evil.example|click here>", account="Evil Corp",
               next_step="<@U0BOSS> call me", external_id="D-EVIL")
    slack.dm(slack.floor.alice, "what should I do next on D-EVIL?")
    slack.emulator.wait_for("chat.postMessage")
    said = slack.texts("chat.postMessage")
    assert "&lt;!channel&gt; urgent &amp; &lt;https://evil.example|click here&gt;" in said
    assert "<!channel>" not in said and "<https://evil" not in said


def test_a_long_answer_is_split_at_word_boundaries_within_block_kit_limits(slack):
    from bot.coach.results import Passages
    from bot.coach.rich import text_doc
    from bot.coach.types import CoachAnswer
    from bot.slack.blocks import answer_messages

    words = [f"word{i}" for i in range(2500)]
    messages = answer_messages(CoachAnswer(Passages(text_doc(" ".join(words))), "methodology"), ref="q", private=False)
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) > 3 and all(len(t) <= 3000 for t in sections)
    assert " ".join(sections).split() == words  # nothing lost, no word cut
    assert all(len(m.blocks) <= 50 and m.text.strip() for m in messages)


def test_an_llm_answer_streams_into_the_assistant_thread_once_checked(runtime, floor, team_channel):
    reply = ("First, send the pricing recap — it is overdue. Then draft the written success criteria with the "
             "champion and get the buyer to confirm them <in writing> & on email.")
    with FakeOpenAI(default_reply=reply, default_tool_reply=GLOBEX_PLAN) as llm, \
        make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        slack.dm(floor.alice, "what should I do next on Globex?", ts="1700000901.0", thread_ts="1700000900.000900")
        [stop] = slack.emulator.wait_for("chat.stopStream")
        [start] = slack.emulator.calls_to("chat.startStream")
        assert start["thread_ts"] == "1700000900.000900" and start["recipient_user_id"] == floor.alice.slack_user_id
        assert start["recipient_team_id"] == "T0TEAM"
        [stream] = slack.emulator.streams()
        assert stream["text"] == reply.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert ids.FEEDBACK in _action_ids(stop["blocks"])
        assert ids.MARK_CRITERION in json.dumps(stop["blocks"])
        assert "chat.postMessage" not in slack.emulator.methods()
        # The status showed while the coach worked, with loading messages, and came before the stream.
        [status] = slack.emulator.calls_to("assistant.threads.setStatus")
        assert status["thread_ts"] == "1700000900.000900" and status["status"] and status["loading_messages"]
        methods = slack.emulator.methods()
        assert methods.index("assistant.threads.setStatus") < methods.index("chat.startStream")


def test_a_streamed_llm_answer_whose_draft_fails_the_claim_check_never_shows_that_draft(runtime, floor, team_channel):
    leaky = ("Push Hooli analytics and Initech renewal forward too, they look similar to Globex in every way here, "
             "so one plan for all three accounts will save you a week of work.")  # other deals: the checker refuses
    checked = "Send the pricing recap first: it is overdue. Then agree the success criteria with the champion."
    with FakeOpenAI(default_tool_reply=GLOBEX_PLAN) as llm, \
        make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        llm.enqueue(GLOBEX_PLAN, leaky, checked)  # the tool, the refused draft, the rewrite that passes
        slack.dm(floor.alice, "what should I do next on Globex?", ts="1700000951.0", thread_ts="1700000950.0")
        slack.emulator.wait_for("chat.stopStream")
        [stream] = slack.emulator.streams()
        assert stream["text"] == checked and not stream["open"]
        everything_sent = json.dumps([c.body for c in slack.emulator.calls])
        assert "Initech" not in everything_sent and "Hooli" not in everything_sent  # not even for a moment
        assert len(llm.chat_requests()) == 3  # the draft was written, and refused before any chunk was sent
        assert "chat.update" not in slack.emulator.methods()  # nothing streamed had to be taken back


def test_a_draft_refused_twice_is_answered_by_the_composer_and_nothing_of_it_streams(runtime, floor, team_channel):
    leaky = ("Push Hooli analytics and Initech renewal forward too, they look similar to Globex in every way here, "
             "so one plan for all three accounts will save you a week of work.")
    with FakeOpenAI(default_reply=leaky, default_tool_reply=GLOBEX_PLAN) as llm, \
        make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        slack.dm(floor.alice, "what should I do next on Globex?", ts="1700000961.0", thread_ts="1700000960.0")
        [post] = slack.emulator.wait_for("chat.postMessage")
        assert "Send the pricing recap" in post["text"] and post["thread_ts"] == "1700000960.0"
        everything_sent = json.dumps([c.body for c in slack.emulator.calls])
        assert "Initech" not in everything_sent and "Hooli" not in everything_sent
        assert "chat.startStream" not in slack.emulator.methods()  # the composer's single plan is posted whole


def test_a_slash_command_answer_that_fails_the_check_never_reaches_slack(runtime, floor, team_channel):
    leaky = "Push Umbrella expansion too: Carol's buyer is ready to sign."  # another team's deal
    with FakeOpenAI(default_reply=leaky, default_tool_reply=GLOBEX_PLAN) as llm, \
        make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        slack.sender.command("/coach", "what should I do next on Globex?", user_id=floor.alice.slack_user_id)
        [reply] = slack.emulator.wait_for("response_url")
        assert "Send the pricing recap" in reply["text"]  # the composer's answer from the same tool results
        everything_sent = json.dumps([c.body for c in slack.emulator.calls])
        assert "Umbrella" not in everything_sent and "Carol" not in everything_sent
        assert len(llm.chat_requests()) == 3  # tool choice, the rejected wording, the rejected retry


def test_coach_me_and_a_picked_deal_answer_with_the_plan_and_never_call_the_model(runtime, floor):
    with FakeOpenAI(default_reply="never asked", default_tool_reply=GLOBEX_PLAN) as llm, \
        make_slack(runtime, floor, lambda rt: llm_coach(rt, llm))() as slack:
        slack.click(floor.alice, COACH_ME, json.dumps({"d": floor.hooli.id, "x": "D-HOOLI"}))
        slack.click(floor.alice, ids.ASK_ABOUT_DEAL, "D-GLOBEX")
        replies = slack.emulator.wait_for("response_url", 2)  # answered in parallel: in either order
        assert sorted("Hooli analytics" in r["text"] for r in replies) == [False, True]
        assert sorted("Globex platform rollout" in r["text"] for r in replies) == [False, True]
        assert all(ids.MARK_CRITERION in json.dumps(r["blocks"]) for r in replies)  # the deal plan's own buttons
        assert llm.chat_requests() == []
