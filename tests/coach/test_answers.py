"""Answers as typed data: one result, three renderers (Slack mrkdwn, the terminal, JSON), no surface syntax in the coach.

These need no embedding model and no database: results and documents are built by hand, as a handler would.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

from bot.cli.output import answer_text
from bot.coach.results import (
    AttentionList,
    Combined,
    DealList,
    Decided,
    NotFound,
    PipelineReports,
    Proposed,
    Refusal,
    Table,
    Worded,
)
from bot.coach.rich import Mark, bullet, doc, joined, line, numbered, strong, text_doc
from bot.coach.types import CoachAnswer, Proposal
from bot.slack import ids
from bot.slack.blocks import MARKS, answer_messages
from tests.utils.block_kit import message_problems
from tests.utils.rendered import printed_as_plain, slack, terminal

COACH = Path(__file__).resolve().parents[2] / "bot" / "coach"
HOSTILE = "Ёлки & <Палки> *жирный* <!channel> <@U123> 👨‍👩‍👧"

PLAN_WORDS = doc(
    line(strong("Globex — Rollout"), " · Validate, day 25 of 20 expected (", strong("5 days over"), ")"),
    line("First: follow-up “Send the recap” is 3 days overdue.", mark=Mark.OVERDUE),
    line("Due today: “Book the workshop”.", mark=Mark.DUE_TODAY),
    line(strong("The buyer still has to confirm"), " (1 of 2):", gap=True),
    bullet("Buyer agreed on written success criteria"),
    line(strong("Next moves:"), gap=True),
    numbered(1, "Draft success criteria with the champion"),
    line("Run it past legal", prefix="↳", indent=3),
    line(strong("Playbook:"), " Lead with the insight.", gap=True, mark=Mark.TIP),
    line("Nothing else to chase.", mark=Mark.CELEBRATE),
)


def test_slack_shows_strong_spans_in_bold_and_marks_as_emoji():
    assert slack(PLAN_WORDS) == "\n".join([
        "*Globex — Rollout* · Validate, day 25 of 20 expected (*5 days over*)",
        "⚠️ First: follow-up “Send the recap” is 3 days overdue.",
        "📅 Due today: “Book the workshop”.",
        "",
        "*The buyer still has to confirm* (1 of 2):",
        "• Buyer agreed on written success criteria",
        "",
        "*Next moves:*",
        "1. Draft success criteria with the champion",
        "   ↳ Run it past legal",
        "",
        "💡 *Playbook:* Lead with the insight.",
        "Nothing else to chase. 🎉",
    ])
    assert set(MARKS) == set(Mark)  # every mark has its emoji


def test_plain_text_has_neither_emphasis_nor_marks():
    plain = PLAN_WORDS.plain()
    assert plain.splitlines()[:3] == ["Globex — Rollout · Validate, day 25 of 20 expected (5 days over)",
                                      "First: follow-up “Send the recap” is 3 days overdue.",
                                      "Due today: “Book the workshop”."]
    assert "*" not in plain and not any(emoji in plain for emoji in MARKS.values())


def test_the_terminal_prints_bold_and_colour_with_no_markup_characters():
    printed = answer_text(PLAN_WORDS)
    assert "*" not in printed.plain and not any(emoji in printed.plain for emoji in MARKS.values())
    bold = [printed.plain[s.start:s.end] for s in printed.spans if "bold" in str(s.style)]
    assert bold[:2] == ["Globex — Rollout", "5 days over"] and "Next moves:" in bold
    overdue = next(s for s in printed.spans if "red" in str(s.style))
    assert printed.plain[overdue.start:].startswith("! ")  # the overdue line carries its sign, in red
    # Data is printed as it is: brackets are not read as styles, asterisks are not stripped.
    assert terminal(doc(line(strong(HOSTILE), " [S1] [bold]x[/bold]"))) == f"{HOSTILE} [S1] [bold]x[/bold]"


def test_text_from_deals_is_escaped_for_slack_even_in_bold():
    words = doc(bullet(strong(HOSTILE), ": 2 overdue follow-ups"))
    assert slack(words) == ("• *Ёлки &amp; &lt;Палки&gt; *жирный* &lt;!channel&gt; &lt;@U123&gt; 👨‍👩‍👧*: "
                            "2 overdue follow-ups")


def _answer(result, intent="deal_list", **extra) -> CoachAnswer:
    return CoachAnswer(result, intent, **extra)


def _proposal() -> Proposal:
    return Proposal(kind="followup", deal_id=7, deal_name=HOSTILE, summary=f"{HOSTILE}: follow-up due Friday",
                    token="ab" * 16, due_at=datetime(2026, 11, 27, 9, tzinfo=UTC), note="Call the CFO")


def _pipeline() -> PipelineReports:
    table = Table(f"Pipeline by stage — {HOSTILE}", ("Stage", "Deals", "Amount"),
                  tuple((f"Stage {i} {HOSTILE}", i, 1000 * i) for i in range(400)))
    words = doc(line(strong(table.title)), bullet("Discover holds 3 deals"))
    return PipelineReports(words, (), (table,))


def kinds() -> list[CoachAnswer]:
    """One answer of each shape a renderer must handle: lists, a write, a decision, tables, two in one, LLM words."""
    listed = _answer(DealList(doc(line(strong("Your open deals"), " (2), biggest first:"),
                                  [bullet(strong(f"{HOSTILE} {i}"), " — Validate, 1,000") for i in range(2)]),
                              deals=("D-1", "D-2"), closing=(date(2026, 12, 1), date(2026, 12, 31))))
    attention = _answer(AttentionList(doc(line("Nothing to chase right now: no follow-up is overdue.",
                                               mark=Mark.CELEBRATE)), deals=(), kinds=("overdue",)), "attention")
    proposed = _answer(Proposed(doc(line("I'll record this:"), bullet(_proposal().summary)), _proposal(),
                                line("Reply ", strong("yes"), " to record it.")), "record", proposal=_proposal())
    decided = _answer(Decided(doc(line("Dropped — nothing was recorded.")), "ab" * 16, False), "record")
    pipeline = _answer(_pipeline(), "pipeline")
    both = _answer(Combined.of((attention.result, listed.result), also="deal_list"), "attention")
    worded = _answer(Worded(joined([text_doc("**Globex** is close.\n\n- ask for <!here> the date"),
                                    pipeline.result.doc()]), pipeline.result), "pipeline", worded_by_llm=True)
    return [listed, attention, proposed, decided, pipeline, both, worded]


def test_every_kind_fits_slack_prints_in_a_terminal_and_keeps_its_json():
    for answer in kinds():
        for private, interactive in ((True, True), (False, False)):
            messages = answer_messages(answer, ref="AbCdEfGhIjKl", private=private, interactive=interactive)
            for message in messages:
                assert message_problems(message.blocks) == [], (answer.intent, message_problems(message.blocks))
                assert message.text.strip()
        assert printed_as_plain(answer), answer.intent
        shown = json.loads(json.dumps(answer.to_json(), default=str))
        assert shown["answer"] == answer.text and shown["intent"] == answer.intent
        assert shown["data"] == {k: v for k, v in json.loads(json.dumps(answer.data, default=str)).items()
                                 if k != "reports"}


def test_json_keeps_each_kind_s_facts_and_two_answers_keep_the_first_one_s():
    listed, attention, proposed, decided, pipeline, both, worded = kinds()
    assert listed.data == {"deals": ["D-1", "D-2"], "stage": None, "closing": ["2026-12-01", "2026-12-31"]}
    assert proposed.data == {"kind": "followup"} and proposed.to_json()["proposal"]["token"] == "ab" * 16
    assert decided.data == {"proposal": "ab" * 16, "confirmed": False}
    assert pipeline.to_json()["data"]["tables"][0]["rows"][1] == [f"Stage 1 {HOSTILE}", 1, 1000]
    assert both.data == {"deals": [], "kinds": ["overdue"], "stage": None,
                         "closing": ["2026-12-01", "2026-12-31"], "also": "deal_list"}  # attention's deals win
    assert both.text.split("———")[1].strip() == listed.text
    assert worded.data == pipeline.data and worded.text.startswith("**Globex** is close.\n\n- ask for <!here>")


def test_a_proposal_s_hint_is_the_surface_s_to_choose():
    _, _, proposed, _, _, _, _ = kinds()
    assert slack(proposed).endswith("Reply *yes* to record it.")
    assert proposed.text.endswith("Reply yes to record it.")


def test_llm_words_are_escaped_for_slack_as_they_came():
    worded = kinds()[-1]
    rendered = slack(worded)
    assert rendered.startswith("**Globex** is close.\n\n- ask for &lt;!here&gt; the date\n\n*Pipeline by stage")


# A mrkdwn bold (``*word*``), a mention or link token, or a mark's emoji in any string the coach writes.
_SLACK_TOKEN = re.compile(r"<(?:!(?:channel|here|everyone|subteam|date)|@[UW]|#C|https?:)")  # mentions, links
_MRKDWN_BOLD = re.compile(r"(?<![\w*\\)\]?])\*[A-Za-z][^*\n]*\*")


# Strings of the coach that may hold an emoji: words a person types ("👍" is a yes), and the message a confirmed
# write returns, which the Slack buttons and ``ask --yes`` show as it is (a ``str``, not an answer).
READ_NOT_WRITTEN = {("proposals.py", "_YES_WORDS"), ("proposals.py", "_NO_WORDS"), ("proposals.py", "_REPLY_WORD"),
                    ("proposals.py", "apply")}


def _owner(tree: ast.AST, node: ast.AST) -> str:
    """The top-level name (assignment or function) a node belongs to."""
    for top in tree.body:
        if top.lineno <= node.lineno <= (top.end_lineno or top.lineno):
            if isinstance(top, ast.FunctionDef):
                return top.name
            if isinstance(top, ast.Assign) and isinstance(top.targets[0], ast.Name):
                return top.targets[0].id
    return ""


def _literal(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with each placeholder read as "X" (so ``f"*{name}*"`` is caught)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
    return None


def test_no_slack_syntax_inside_the_coach():
    found = []
    for path in sorted(COACH.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        docstrings |= {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        examples = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "examples"
                    for inner in ast.walk(node.value)}  # phrasings people type, as the router learns them
        for node in ast.walk(tree):
            text = _literal(node)
            if text is None or id(node) in docstrings | examples:
                continue
            emoji = any(mark in text for mark in MARKS.values()) and (path.name, _owner(tree, node)) not in READ_NOT_WRITTEN
            if _MRKDWN_BOLD.search(text) or emoji or _SLACK_TOKEN.search(text):
                found.append(f"{path.relative_to(COACH)}:{node.lineno}: {text[:60]!r}")
    assert found == [], "\n".join(found)


def test_a_refusal_or_a_name_not_found_is_not_offered_for_sharing():
    def share_offered(answer: CoachAnswer) -> bool:
        messages = answer_messages(answer, ref="AbCdEfGhIjKl", private=True)
        return ids.SHARE_ANSWER in json.dumps([m.blocks for m in messages])

    refused = _answer(Refusal(doc(line("I can only show you your own deals."))), "deal_list_denied")
    unknown = _answer(NotFound(doc(line("I can't find “Bob” among the people you can see.")), "Bob"), "not_found")
    assert not share_offered(refused) and not share_offered(unknown) and share_offered(kinds()[0])
