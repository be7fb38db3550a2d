"""Slack's ``table`` block and ``markdown`` block: answers use them where they fit and fall back where they do not;
the validating emulator knows both blocks' limits from Slack's reference and refuses what Slack would refuse."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coach.results import Card, DealList, ListedDeal, Passages, PipelineReports, Scorecard, Table
from bot.coach.rich import text_doc
from bot.coach.types import CoachAnswer
from bot.pipeline.periods import Period
from bot.slack.blocks import answer_messages
from storage.scorecard import Figures
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


# ---------------------------------------------------------------- deal lists and scorecards

def test_a_deal_list_in_a_dm_is_a_table_block_slack_accepts(slack):
    alice = slack.floor.alice
    slack.dm(alice, "show me my deals", ts="1700009101.000100")
    [post] = slack.emulator.wait_for("chat.postMessage")
    [table] = [b for b in post["blocks"] if b["type"] == "table"]
    assert [c["text"] for c in table["rows"][0]] == ["Deal", "Stage", "Amount"]
    assert ["Hooli analytics", "Discover", "15,000.00"] in [[c["text"] for c in row] for row in table["rows"]]
    assert table["column_settings"][2] == {"align": "right"}  # amounts are numbers
    assert "open deals" in json.dumps(post["blocks"])  # the list's title travels with it
    assert not slack.emulator.rejected()  # the emulator took the message as Slack would


def _deal_list(count: int) -> CoachAnswer:
    rows = tuple(ListedDeal(f"Deal {i}", "Discovery", Decimal(1000 * (count - i))) for i in range(count))
    words = text_doc("Your open deals, biggest first: " + ", ".join(r.name for r in rows[:15]))
    return CoachAnswer(DealList(words, tuple(f"D-{i}" for i in range(count)), title="Your open deals",
                                rows=rows), "deal_list")


@pytest.mark.parametrize("count, native", [(99, True), (100, False)])  # 99 deals and the header fill the block
def test_a_deal_list_too_long_for_the_table_block_is_shown_as_words(count, native):
    messages = answer_messages(_deal_list(count), ref="q", private=False)
    tables = [b for m in messages for b in m.blocks if b["type"] == "table"]
    assert bool(tables) is native
    assert ("Deal 0, Deal 1" in json.dumps(_blocks(messages))) is not native  # the words, as before
    with SlackEmulator() as emulator:
        client = WebClient(token="xoxb-test", base_url=emulator.base_url)
        for message in messages:
            client.chat_postMessage(channel="D0ALICE", **message.as_kwargs())
        assert not emulator.rejected()


def _scorecard(*cards: tuple[str, str]) -> CoachAnswer:
    day = datetime(2026, 7, 1, tzinfo=UTC)
    made = tuple(Card("rep", name, 1, i, Period(day, day, label, label, "UTC", False),
                      Figures(won_count=2, won_amount=Decimal(5000), lost_count=1, open_count=3))
                 for i, (name, label) in enumerate(cards))
    return CoachAnswer(Scorecard(text_doc("Numbers: won 2 deals."), made), "scorecard")


def test_a_scorecard_is_a_table_block_with_a_column_per_card():
    [message] = answer_messages(_scorecard(("Jordan Lee", "Q3 2026"), ("Sam Ortiz", "Q3 2026")), ref="q",
                                private=False)
    [table] = [b for b in message.blocks if b["type"] == "table"]
    assert [c["text"] for c in table["rows"][0]] == ["Figure", "Jordan Lee", "Sam Ortiz"]
    assert ["Win rate %", "66.7", "66.7"] in [[c["text"] for c in row] for row in table["rows"]]
    assert message_problems(message.blocks) == []
    # one person in two periods: a column per period
    [message] = answer_messages(_scorecard(("Jordan Lee", "Q3 2026"), ("Jordan Lee", "Q2 2026")), ref="q",
                                private=False)
    [table] = [b for b in message.blocks if b["type"] == "table"]
    assert [c["text"] for c in table["rows"][0]] == ["Figure", "Q3 2026", "Q2 2026"]


def test_a_scorecard_too_wide_for_the_table_block_is_shown_as_words():
    cards = [(f"Rep {i}", "Q3 2026") for i in range(20)]  # 20 cards and the label column: 21 columns
    messages = answer_messages(_scorecard(*cards), ref="q", private=False)
    assert not [b for b in _blocks(messages) if b["type"] == "table"]
    assert "Numbers: won 2 deals." in json.dumps(_blocks(messages))
    assert all(message_problems(m.blocks) == [] for m in messages)


def test_a_streamed_scorecard_ends_with_its_table_block(slack):
    alice = slack.floor.alice
    slack.dm(alice, "how am I doing this quarter?", ts="1700009201.000100")
    [stop] = slack.emulator.wait_for("chat.stopStream")
    [table] = [b for b in stop["blocks"] if b["type"] == "table"]
    assert [c["text"] for c in table["rows"][0]] == ["Figure", alice.name]
    assert "Your numbers" in slack.emulator.streams()[0]["text"]
    assert not slack.emulator.rejected()
