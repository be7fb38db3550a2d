"""Answers about deal data say when the CRM sync last refreshed it, when that is older than twice the interval."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.cli import output
from bot.coach.engine import Coach
from bot.service.coaching import ask, deal_plan_answer
from bot.slack.blocks import answer_messages
from tests.utils.sync_state import record_sync, with_hubspot

STALE = "deal data last synced 3 h ago"


def _texts(answer) -> list[str]:
    blocks = [b for m in answer_messages(answer, ref="r1", private=True) for b in m.blocks]
    return [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]


def _cli(answer) -> str:
    with output.console.capture() as captured:
        output.print_answer(answer.result.doc(), answer.freshness)
    return captured.get()


def test_a_deal_answer_on_stale_data_says_so_in_slack_the_cli_and_json(runtime, floor, clock):
    crm = with_hubspot(runtime)
    record_sync(crm, at=clock.now() - timedelta(hours=3))
    answer = ask(Coach(crm), floor.viewer(floor.alice), "What should I do next on Globex?")
    assert answer.intent == "deal_plan" and answer.freshness == STALE
    assert f"_{STALE}_" in _texts(answer)
    assert _cli(answer).rstrip().endswith(STALE)
    as_json = json.loads(json.dumps(answer.to_json()))
    assert as_json["freshness"] == STALE and as_json["deal"]["external_id"] == "D-GLOBEX"
    plan = deal_plan_answer(Coach(crm), floor.viewer(floor.alice), deal_id=floor.globex.id).answer
    assert plan.freshness == STALE


def test_fresh_data_help_answers_and_no_crm_add_no_line(runtime, floor, clock):
    crm = with_hubspot(runtime)
    record_sync(crm, at=clock.now() - timedelta(minutes=29))  # the interval is 15 minutes: still fresh
    fresh = ask(Coach(crm), floor.viewer(floor.alice), "What should I do next on Globex?")
    assert fresh.intent == "deal_plan" and fresh.freshness is None and fresh.to_json()["freshness"] is None
    assert not any("synced" in text for text in _texts(fresh)) and "synced" not in _cli(fresh)
    clock.advance(timedelta(hours=3))
    stale_help = ask(Coach(crm), floor.viewer(floor.alice), "help")
    assert stale_help.intent == "help" and stale_help.freshness is None
    no_crm = ask(Coach(runtime), floor.viewer(floor.alice), "What should I do next on Globex?")  # same old sync row
    assert no_crm.intent == "deal_plan" and no_crm.freshness is None
