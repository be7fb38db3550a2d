"""Everything the app can send, rendered from hostile data and checked the way Slack checks it.

Deal, account, rep and team names at their column's length, with ``&<>``, emoji, Cyrillic and mrkdwn;
notes of 300 characters; more deals than a Home tab or a digest shows. Each answer kind, the digests,
App Home and every modal must pass ``tests.utils.block_kit`` (what Slack would answer ``invalid_blocks`` to).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.coach.engine import Coach
from bot.core.plan import build_plan
from bot.digest import compute
from bot.digest.types import Due, Recipient
from bot.service.home import home
from bot.slack.blocks import answer_messages, text_messages
from bot.slack.digest import message_for
from bot.slack.home import home_view
from bot.slack.modals import activity_modal, criterion_modal, done_view, followup_modal, override_modal
from bot.slack.mrkdwn import escape
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import Rep, Role
from storage.timeutil import zone
from tests.utils import factories as f
from tests.utils.block_kit import message_problems, view_problems
from tests.utils.factories import NOW
from tests.utils.rendered import printed_as_plain

HOSTILE = "Ёлки & <Палки> *жирный* _курсив_ ~зачёркнуто~ `код` <!channel> <@U123> 🚀👍🏽👨‍👩‍👧 &amp; "


def hostile(length: int, tag: str) -> str:
    """``tag`` then hostile text, exactly ``length`` characters."""
    return (f"{tag} " + HOSTILE * (length // len(HOSTILE) + 2))[:length]


@pytest.fixture
def hostile_floor(runtime):
    runtime.process  # noqa: B018  (activate the small map)
    with runtime.session() as s:
        team = f.team(s, hostile(120, "East"))
        manager = f.rep(s, hostile(200, "Maria"), team=team, role=Role.manager, email="maria@example.com",
                        slack_user_id="U0MARIA")
        rep = f.rep(s, hostile(200, "Alice"), team=team, email="alice@example.com", slack_user_id="U0ALICE")
        stages = ["discover", "validate", "close"]
        for i in range(45):
            deal = f.deal(s, rep, hostile(300, f"D{i:02d}"), account=hostile(300, f"Acc{i:02d}"), stage=stages[i % 3],
                          days_in_stage=5 + 7 * i, amount=1_000 * (i + 1), external_id=f"D-H{i:02d}",
                          close_date=(NOW - timedelta(days=i)).date())
            if i % 3 == 0:  # discover with every criterion met: ready to advance (the confirm dialog)
                for key in ("pain_confirmed", "budget_confirmed", "decision_maker_named"):
                    f.check(s, deal, key, evidence=hostile(300, "ev"))
            for n in range(3):
                f.followup(s, deal, NOW - timedelta(days=n - 1, hours=1), note=hostile(300, f"note{n}"))
            f.activity(s, deal, NOW - timedelta(days=2), key="discovery_call", note=hostile(300, "act"))
        other = f.rep(s, hostile(200, "Bob"), team=team, email="bob@example.com", slack_user_id="U0BOB")
        f.deal(s, other, hostile(300, "D00"), external_id="D-BOB")  # the same start as one of Alice's
        return s.get(Rep, rep.id), s.get(Rep, manager.id)


QUESTIONS = [
    "where do i start today", "what should I do next on D-H00", "what's next on D-H01", "why is D-H02 stuck",
    "prep me for my call with D-H03", "draft a follow-up to D-H04", "how am I doing this quarter",
    "what should I ask in discovery", "how do I get out of Validate", "D-H05 confirmed budget",
    "add a follow-up on D-H06 for Friday: " + hostile(200, "x"), "which of my deals need attention",
    "show me my deals", "how would a Challenger rep handle a pricing objection", "stage flow last month",
    "what should I do next on D0", "what should I do next on Ghostbusters", "what's the weather in Paris?",
    "help", "which follow-ups are overdue?", hostile(540, "Что дальше"),
]
MANAGER_QUESTIONS = [
    "how is my team's pipeline?", "stage flow this quarter", "time in stage this quarter", "conversion this year",
    "where are the bottlenecks", "which deals are stuck", "who on my team has the most overdue follow-ups",
    "how's " + hostile(40, "Alice") + " doing", "what should I do next on D-H07",
]


def _check_answer(answer) -> None:
    """Slack takes its messages; the terminal prints its words and nothing else; ``ask --json`` keeps its facts."""
    for private, interactive in ((True, True), (False, True), (False, False)):
        for message in answer_messages(answer, ref="AbCdEfGhIjKl", private=private, interactive=interactive):
            assert message_problems(message.blocks) == [], (answer.intent, message_problems(message.blocks))
            assert message.text.strip()
    assert printed_as_plain(answer), answer.intent
    shown = json.loads(json.dumps(answer.to_json(), ensure_ascii=False))
    assert shown["answer"] == answer.text and shown["data"] == {k: v for k, v in answer.data.items() if k != "reports"}


def test_every_answer_kind_fits_slack(runtime, hostile_floor):
    rep, manager = hostile_floor
    coach = Coach(runtime)
    intents = set()
    for viewer, questions in ((Viewer.of(rep), QUESTIONS), (Viewer.of(manager), MANAGER_QUESTIONS)):
        for question in questions:
            answer = coach.ask(viewer, question, conversation_key=f"render:{viewer.rep_id}")
            intents.add(answer.intent)
            _check_answer(answer)
    assert len(intents) >= 15, sorted(intents)  # the questions reached most kinds of answer
    for text in (hostile(9000, "long"), "&" * 7000, "👨‍👩‍👧" * 2000):
        for message in text_messages(text):
            assert message_problems(message.blocks) == []


def test_digests_and_app_home_fit_slack(runtime, hostile_floor):
    rep, manager = hostile_floor
    with runtime.session() as s:
        for person, kind in ((rep, "rep"), (manager, "manager")):
            recipient = Recipient.of(s.get(Rep, person.id))
            due = Due(recipient, kind, NOW.astimezone(zone(recipient.timezone)).date(), NOW)
            [digest] = compute.build(session=s, process=runtime.process, dues=[due])
            message = message_for(digest)
            assert message_problems(message.blocks) == [], (kind, message_problems(message.blocks))
    for person in (rep, manager):
        assert view_problems(home_view(home(runtime, Viewer.of(person), NOW))) == []


def test_every_modal_fits_slack(runtime, hostile_floor):
    rep, _ = hostile_floor
    with runtime.session() as s:
        plans = []
        for deal in deal_store.open_deals_for(session=s, viewer=Viewer.of(rep))[:6]:
            plans.append(build_plan(deal_store.deal_state(session=s, deal=deal), runtime.process, NOW))
    activities = [(f"a{i}", hostile(300, f"activity{i}")) for i in range(120)]
    for plan in plans:
        views = [activity_modal(plan, activities), followup_modal(plan, NOW.date()),
                 override_modal(plan, [hostile(300, f"crit{i}") for i in range(8)]), done_view(escape(hostile(2000, "ok")))]
        if plan.unmet:
            views.append(criterion_modal(plan))
        for view in views:
            assert view_problems(view) == [], (view.get("callback_id"), view_problems(view))
