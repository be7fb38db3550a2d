"""Reports as text and Block Kit: within Slack's limits, names escaped."""

from __future__ import annotations

from bot.coach.engine import Coach
from bot.pipeline.reports import build_report
from bot.pipeline.scope import resolve_scope
from bot.pipeline.tables import HEADER_LIMIT, SECTION_LIMIT, report_blocks, report_text
from storage.access import Viewer
from storage.models import Deal
from tests.pipeline.history import NOW
from tests.utils import factories as f


def stuck_report(runtime, history):
    viewer = Viewer.of(history.admin)
    with runtime.session() as s:
        scope = resolve_scope(session=s, viewer=viewer, company_timezone="UTC")
        return build_report("stuck", session=s, viewer=viewer, process=runtime.process, scope=scope, period=None,
                            now=NOW)


def test_blocks_escape_deal_names_and_stay_within_limits(runtime, history):
    with runtime.session() as s:
        s.get(Deal, history.deals["A"].id).name = "<!channel> & " + "x" * 280
        for i in range(20):  # enough long sentences to overflow one section
            f.deal(s, history.bob, f"{i:02d} " + "y" * 280, stage="close", days_in_stage=40 + i, now=NOW)
    report = stuck_report(runtime, history)
    assert len(report.lines) == 15
    blocks = report_blocks(report, intro="Three deals are over their expected days.")
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
    texts = [b["text"]["text"] for b in blocks[1:] if b["type"] == "section"]
    assert all(len(t) <= SECTION_LIMIT for t in texts)
    assert "<!channel>" not in "".join(texts) and "&lt;!channel&gt; &amp;" in "".join(texts)


def test_text_has_title_table_and_sentences(runtime, history):
    text = report_text(stuck_report(runtime, history))
    lines = text.splitlines()
    assert lines[0] == "Stuck deals — everyone, now"
    assert lines[2].split() == ["Deal", "Owner", "Stage", "Days", "Over", "Amount"]
    assert any(line.startswith("• Deal J (Carol Rep) — Validate, 42 days (22 over)") for line in lines)


def test_chat_answer_tables_are_plain_data(runtime, history):
    answer = Coach(runtime).ask(Viewer.of(history.manager), "conversion in October", now=NOW)
    table = answer.data["tables"][0]
    assert table["columns"] == ["Stage", "In", "Adv", "Lost", "Still", "Conv %"]
    assert table["rows"][1] == ["Validate", 3, 1, 1, 1, 33.3]
