"""The deterministic reading of pipeline questions, on a table of phrasings."""

from __future__ import annotations

from datetime import date

import pytest

from bot.pipeline.parser import looks_like_pipeline_question, parse_request
from bot.pipeline.periods import PeriodSpec, parse_period
from tests.utils.factories import NOW

MONTH = PeriodSpec("relative", unit="month", offset=0)
LAST_MONTH = PeriodSpec("relative", unit="month", offset=-1)

# question -> (reports, period, rep, team, my team)
PHRASINGS = [
    ("How is my team's pipeline?", ("status",), None, None, None, True),
    ("how's the pipeline", ("status",), None, None, None, False),
    ("How many deals per stage?", ("status",), None, None, None, False),
    ("weighted pipeline by stage for Alice", ("status",), None, "Alice", None, False),
    ("Stage flow in October", ("flow",), PeriodSpec("month", month=10), None, None, False),
    ("stage flow last month", ("flow",), LAST_MONTH, None, None, False),
    ("Pipeline: flow this month", ("flow",), MONTH, None, None, False),
    ("what moved in and out of each stage in Q3?", ("flow",), PeriodSpec("quarter", quarter=3), None, None, False),
    ("how long do deals sit in each stage?", ("time",), None, None, None, False),
    ("time in stage since Oct 1", ("time",), PeriodSpec("since", first=date(4, 10, 1)), None, None, False),
    ("average days in stage for Team West last quarter", ("time",), PeriodSpec("relative", unit="quarter", offset=-1),
     None, "West", False),
    ("What's stuck?", ("stuck",), None, None, None, False),
    ("Where are deals getting stuck?", ("stuck",), None, None, None, False),
    ("which deals are stalled for bob", ("stuck",), None, "bob", None, False),
    ("conversion rates for Alice last quarter", ("conversion",), PeriodSpec("relative", unit="quarter", offset=-1),
     "Alice", None, False),
    ("what's our stage conversion 2026-10-01..2026-10-31", ("conversion",),
     PeriodSpec("range", first=date(2026, 10, 1), last=date(2026, 10, 31)), None, None, False),
    ("where do deals drop off in our funnel?", ("bottlenecks",), None, None, None, False),
    ("what's the funnel conversion by stage?", ("conversion",), None, None, None, False),
    ("any bottlenecks in the East team this quarter?", ("bottlenecks",), PeriodSpec("relative", unit="quarter"),
     None, "East", False),
    ("Team West's bottlenecks in September", ("bottlenecks",), PeriodSpec("month", month=9), None, "West", False),
    ("flow and conversion last month", ("flow", "conversion"), LAST_MONTH, None, None, False),
    # Counting moves is the flow, not the counts per stage.
    ("how many deals moved out of discover last month", ("flow",), LAST_MONTH, None, None, False),
    ("how many deals came into validate in october", ("flow",), PeriodSpec("month", month=10), None, None, False),
    ("how many deals entered each stage this month", ("flow",), MONTH, None, None, False),
    ("how many open deals are in propose", ("status",), None, None, None, False),
]


@pytest.mark.parametrize(("question", "kinds", "period", "rep", "team", "my_team"), PHRASINGS)
def test_phrasings(question, kinds, period, rep, team, my_team):
    assert looks_like_pipeline_question(question)
    parsed = parse_request(question)
    assert parsed.clarify is None
    request = parsed.request
    assert (request.kinds, request.period, request.rep, request.team, request.whole_team) == (
        kinds, period, rep, team, my_team)


@pytest.mark.parametrize("question", [
    "what next on globex", "What should I do next on Globex?", "which of my deals need attention?",
    "What are the exit criteria for Discover?", "how do I handle pricing pushback?", "What's my biggest deal?",
    "How would a Challenger rep handle a pricing objection?", "and after that?", "Umbrella", "",
    "what should I do about the stuck Globex deal?",
])
def test_coach_questions_are_not_pipeline_questions(question):
    assert not looks_like_pipeline_question(question)


@pytest.mark.parametrize("question", ["what's our win rate this quarter", "how's jordan doing vs sam on win rate"])
def test_win_rate_is_a_scorecard_figure_not_stage_conversion(question):
    assert not looks_like_pipeline_question(question)


def test_a_lowercase_word_after_for_is_a_name_only_if_someone_has_it():
    assert parse_request("stuck deals for bob").request.optional_name
    assert not parse_request("stuck deals for Bob").request.optional_name


@pytest.mark.parametrize(("question", "asks"), [
    ("Pipeline: October", "Which view do you want for October"),
    ("Pipeline: the numbers", "Which view do you want:"),
    ("pipeline since Feb 30", "couldn't read the period"),
])
def test_unclear_requests_get_a_question_back(question, asks):
    parsed = parse_request(question)
    assert parsed.request is None
    assert asks in parsed.clarify


@pytest.mark.parametrize(("flag", "start", "end"), [
    ("2026-10", "2026-10-01", "2026-11-01"),
    ("2026-Q3", "2026-07-01", "2026-10-01"),
    ("last-month", "2026-10-01", "2026-11-01"),
    ("2026-10-05..2026-10-20", "2026-10-05", "2026-10-21"),
])
def test_period_flags(flag, start, end):
    period = parse_period(flag).resolve(NOW, "UTC")
    assert (period.start.date().isoformat(), period.end.date().isoformat()) == (start, end)


def test_a_period_that_has_not_ended_ends_now():
    period = parse_period("this-month").resolve(NOW, "UTC")
    assert period.to_now and period.end == NOW
