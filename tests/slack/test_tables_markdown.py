"""Slack's ``table`` block and ``markdown`` block: answers use them where they fit and fall back where they do not;
the validating emulator knows both blocks' limits from Slack's reference and refuses what Slack would refuse."""

import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coach.results import Passages, PipelineReports, Table
from bot.coach.rich import text_doc
from bot.coach.types import CoachAnswer
from bot.slack.blocks import answer_messages
from tests.slack.harness import dm_channel
from tests.utils.block_kit import message_problems
from tests.utils.slack_emulator import SlackEmulator


def _report(*tables: Table) -> CoachAnswer:
    return CoachAnswer(PipelineReports(text_doc("Your pipeline."), (), tables), "pipeline")


def _table(rows: int, columns: int = 3, title: str = "Open deals by stage") -> Table:
    names = ("Stage", "Deals", "Amount", *(f"Extra {i}" for i in range(columns - 3)))[:columns]
    return Table(title, names, tuple((f"Stage {r}", r, 1000 * r, *([""] * (columns - 3)))[:columns]
                                     for r in range(rows)))


def _blocks(messages) -> list[dict]:
    return [b for m in messages for b in m.blocks]


def test_a_report_that_fits_is_a_table_block_slack_accepts():
    [message] = answer_messages(_report(_table(5)), ref="q", private=False)
    [table] = [b for b in message.blocks if b["type"] == "table"]
    assert table["rows"][0] == [{"type": "raw_text", "text": t} for t in ("Stage", "Deals", "Amount")]
    assert table["rows"][2] == [{"type": "raw_text", "text": t} for t in ("Stage 1", "1", "1,000")]
    assert table["column_settings"][1:] == [{"align": "right"}, {"align": "right"}]  # numbers right-aligned
    assert "```" not in json.dumps(message.blocks)
    assert message_problems(message.blocks) == []


@pytest.mark.parametrize("rows, columns", [(100, 3), (20, 21)])  # 100 rows + the header; 21 columns
def test_a_table_too_big_for_the_block_falls_back_to_code_blocks(rows, columns):
    messages = answer_messages(_report(_table(rows, columns)), ref="q", private=False)
    blocks = _blocks(messages)
    assert not [b for b in blocks if b["type"] == "table"] and "```" in json.dumps(blocks)
    assert all(message_problems(m.blocks) == [] for m in messages)


def test_the_largest_table_that_fits_is_still_a_table_block():
    [message] = answer_messages(_report(_table(99, 20)), ref="q", private=False)
    [table] = [b for b in message.blocks if b["type"] == "table"]
    assert len(table["rows"]) == 100 and len(table["rows"][0]) == 20
    assert message_problems(message.blocks) == []  # empty cells are sent as "—": Slack refuses empty text


def test_two_tables_go_in_two_messages_each_with_its_title():
    messages = answer_messages(_report(_table(3, title="By stage"), _table(4, title="By owner")), ref="q",
                               private=False)
    with_tables = [m for m in messages if any(b["type"] == "table" for b in m.blocks)]
    assert len(with_tables) == 2
    assert all(sum(b["type"] == "table" for b in m.blocks) == 1 for m in messages)
    assert "By owner" in with_tables[1].blocks[0]["text"]["text"]  # the title travels with its table
    assert all(message_problems(m.blocks) == [] for m in messages)


def test_a_long_plan_is_one_markdown_block_and_a_longer_one_is_split_into_sections():
    words = " ".join(f"step{i}" for i in range(900))  # about 7,000 characters: more than a section holds
    [message] = answer_messages(CoachAnswer(Passages(text_doc(words)), "methodology"), ref="q", private=False)
    [markdown] = [b for b in message.blocks if b["type"] == "markdown"]
    assert markdown["text"] == words and not [b for b in message.blocks if b["type"] == "section"]
    assert message_problems(message.blocks) == []
    longer = " ".join(f"step{i}" for i in range(2000))  # about 16,000: over the markdown blocks' 12,000
    blocks = _blocks(answer_messages(CoachAnswer(Passages(text_doc(longer)), "methodology"), ref="q", private=False))
    assert not [b for b in blocks if b["type"] == "markdown"]
    assert " ".join(b["text"]["text"] for b in blocks if b["type"] == "section").split() == longer.split()


def test_markdown_escapes_what_would_ping_or_link():
    [message] = answer_messages(CoachAnswer(Passages(text_doc("<!channel> [click](https://evil.example) " * 200)),
                                            "methodology"), ref="q", private=False)
    [markdown] = [b for b in message.blocks if b["type"] == "markdown"]
    assert "<!channel>" not in markdown["text"] and "](" not in markdown["text"].replace("\\](", "")


def test_the_validator_refuses_what_slacks_reference_refuses():
    cell = {"type": "raw_text", "text": "x"}
    assert message_problems([{"type": "table", "rows": [[cell]] * 101}]) == ["blocks[0]: table has 101 rows, more than 100"]
    assert message_problems([{"type": "table", "rows": [[cell] * 21]}]) == [
        "blocks[0]: table row 0 has 21 cells, more than 20"]
    assert message_problems([{"type": "table", "rows": [[{"type": "mrkdwn", "text": "x"}]]}])
    assert message_problems([{"type": "table", "rows": [[{"type": "raw_text", "text": ""}]]}])
    assert message_problems([{"type": "table", "rows": [[cell]], "column_settings": [{"align": "justify"}]}])
    assert message_problems([{"type": "table", "rows": []}]) == ["blocks[0]: table without rows"]
    assert message_problems([{"type": "table", "rows": [[cell]]}] * 2) == ["only_one_table_allowed: 2 tables"]
    assert message_problems([{"type": "markdown", "text": "x" * 6001}, {"type": "markdown", "text": "y" * 6000}]) == [
        "markdown blocks hold 12001 characters, more than 12000"]
    assert message_problems([{"type": "markdown", "text": "x" * 6000}] * 2) == []
    assert message_problems([{"type": "markdown"}]) == ["blocks[0]: markdown block without text"]


def test_the_emulator_answers_a_second_table_with_invalid_attachments():
    table = {"type": "table", "rows": [[{"type": "raw_text", "text": "x"}]]}
    with SlackEmulator() as emulator:
        client = WebClient(token="xoxb-test", base_url=emulator.base_url)
        client.chat_postMessage(channel="D0ALICE", text="one", blocks=[table])
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="D0ALICE", text="two", blocks=[table, table])
        assert refused.value.response["error"] == "invalid_attachments"
        with pytest.raises(SlackApiError) as too_long:
            client.chat_postMessage(channel="D0ALICE", text="md", blocks=[{"type": "markdown", "text": "x" * 12_001}])
        assert too_long.value.response["error"] == "invalid_blocks"
        assert len(emulator.calls_to("chat.postMessage")) == 1


def test_a_managers_pipeline_question_in_a_dm_gets_a_table_block_slack_accepts(slack):
    manager = slack.floor.manager
    slack.dm(manager, "how is my team's pipeline?", ts="1700009001.000100")
    posts = slack.emulator.wait_for("chat.postMessage")
    tables = [b for p in posts for b in p["blocks"] if b["type"] == "table"]
    assert tables and all(len(t["rows"]) <= 100 for t in tables)
    assert posts[0]["channel"] == dm_channel(manager)
