"""Pipeline questions in chat: read the question, run the reports, answer with their figures.

The deterministic parser reads the question; in LLM mode the reports are also tools
with typed arguments (``report_tools``), which the coach's agent offers the model beside
the coaching tools (bot/coach/agent.py) and turns into requests with ``requests_from_calls``.
Either way the reports run here, and access is decided by the viewer in ``scope`` and
storage, whatever the question or the model says.
"""

from __future__ import annotations

from datetime import datetime

from bot.coach.results import Clarification, PipelineReports, Refusal, Table
from bot.coach.rich import Doc, bullet, doc, joined, line, strong, text_doc
from bot.coach.types import CoachAnswer
from bot.core.errors import AccessDenied, InvalidInput, NotFound
from bot.core.runtime import Runtime
from bot.pipeline.parser import parse_request
from bot.pipeline.periods import parse_period
from bot.pipeline.reports import REPORTS, Report
from bot.pipeline.service import ReportRequest, run_reports
from bot.pipeline.tables import cell
from storage.access import Viewer

MAX_TOOL_CALLS = 3
CLARIFY_TOOL = "ask_clarifying_question"
CLARIFY_LIMIT = 300

REPORT_TOOL = "pipeline_report"
_REPORT_PROPERTIES = {
    "report": {"type": "string", "enum": list(REPORTS), "description": (
        "status: open deals per stage now. flow: per stage, at start, entered, left, at end of a period. "
        "time: days in each stage. stuck: open deals over their stage's expected days. conversion: share of "
        "deals entering each stage that advanced. bottlenecks: stages with the worst conversion or dwell. "
        "velocity: win rate (overall and from each stage), average won amount, sales cycle, sales velocity. "
        "observed: how deals really move through the process map (skips, moves back, real days per stage, "
        "which exit criteria predict winning). warnings: open deals with a warning (stalled, close date passed, "
        "no activity, earlier exit criteria unmet), each with its reason. slippage: deals whose close date was "
        "pushed out of the period, how often and by how many days. changes: the forecast waterfall from the "
        "period's start to its end (pipeline closing this quarter: new, pulled in, pushed out, amount changes, won, "
        "lost, moved to omitted). forecast: open deals closing in the period by forecast category (commit, best case, "
        "pipeline, omitted), won so far, and the target with its coverage when one is set.")},
    "period": {"type": "string", "description": "As asked ('last month', 'October', 'Q3', 'since Oct 1'); omit if none."},
    "rep": {"type": "string", "description": "A rep's name when asked about one person."},
    "team": {"type": "string", "description": "A team's name when one is named."},
    "my_team": {"type": "boolean", "description": "True for my/our/the team."},
}


def report_tools() -> list[dict]:
    """The reports as one OpenAI-style function tool, plus one to ask back when the request is unclear."""
    return [
        {"type": "function", "function": {
            "name": REPORT_TOOL, "description": "Pipeline figures: one report per call, access-checked.",
            "parameters": {"type": "object", "properties": _REPORT_PROPERTIES, "required": ["report"],
                           "additionalProperties": False}}},
        {"type": "function", "function": {
            "name": CLARIFY_TOOL, "description": "Ask one short question when the request is unclear.",
            "parameters": {"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]}}},
    ]


def answer_pipeline_question(runtime: Runtime, viewer: Viewer, question: str, *, now: datetime) -> CoachAnswer:
    """The answer to a pipeline question read by the deterministic parser: figures in ``data``, sentences in ``text``."""
    parsed = parse_request(question)
    if parsed.request is None:
        return CoachAnswer(Clarification(text_doc(parsed.clarify or "")), "pipeline_clarify")
    return answer_requests(runtime, viewer, [parsed.request], now=now)


def answer_requests(runtime: Runtime, viewer: Viewer, requests: list[ReportRequest], *, now: datetime) -> CoachAnswer:
    """The answer to requests already read (by the parser, from the conversation, or from an LLM's tool calls)."""
    reports: list[Report] = []
    try:
        for request in requests:
            reports += run_reports(runtime, viewer, request, now=now)
    except AccessDenied as exc:
        return CoachAnswer(Refusal(doc(line(f"Sorry, {exc}.")), "access",
                                   "ask for your own numbers, e.g. “my win rate this quarter”"), "pipeline_denied")
    except (NotFound, InvalidInput) as exc:
        return CoachAnswer(Clarification(doc(line(f"{_sentence(str(exc))} Which rep, team or period did you mean?"))),
                           "pipeline_clarify")
    return CoachAnswer(PipelineReports(answer_doc(reports), tuple(reports), tuple(table_of(r) for r in reports)),
                       "pipeline")


def answer_doc(reports: list[Report]) -> Doc:
    """Each report's title and a manager's sentences (the figures travel as tables)."""
    return joined([doc(line(strong(report.title)), [bullet(text) for text in report.lines],
                       [line(note) for note in report.notes]) for report in reports])


def table_of(report: Report) -> Table:
    """The report's figures as a table: numbers stay numbers; money whole, shares in percent."""
    columns = [f"{c.header} %" if c.kind == "pct" else c.header for c in report.columns]
    rows = []
    for row in report.rows:
        values = []
        for column in report.columns:
            value = row.get(column.key)
            if value is None or column.kind in ("int", "days"):
                values.append(value)
            elif column.kind == "money":
                values.append(int(round(float(value))))
            elif column.kind == "pct":
                values.append(round(float(value) * 100, 1))
            else:
                values.append(cell(value, column.kind))
        rows.append(tuple(values))
    return Table(report.title, tuple(columns), tuple(rows))


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def requests_from_calls(calls: list[dict]) -> tuple[list[ReportRequest], str | None]:
    """The report requests (or the clarifying question) a model's tool calls ask for.

    Raises:
        ValueError, TypeError, InvalidInput: a call names no report or has arguments we cannot read.
    """
    requests = []
    for call in calls[:MAX_TOOL_CALLS]:
        name, args = call.get("name"), call.get("args") or {}
        if name == CLARIFY_TOOL:
            text = str(args.get("question", "")).strip()
            if text and len(text) <= CLARIFY_LIMIT:
                return [], text
            raise ValueError("empty or long clarifying question")
        if name != REPORT_TOOL:
            raise ValueError(f"unknown tool {name!r}")
        unknown = set(args) - set(_REPORT_PROPERTIES)
        if unknown:
            raise ValueError(f"unknown arguments {sorted(unknown)}")
        kind, period = args.get("report"), args.get("period")
        if kind not in REPORTS:
            raise ValueError(f"unknown report {kind!r}")
        requests.append(ReportRequest(
            (kind,), period=parse_period(str(period)) if period and kind not in ("status", "stuck", "warnings") else None,
            rep=_text_arg(args, "rep"), team=_text_arg(args, "team"), whole_team=bool(args.get("my_team"))))
    return requests, None


def _text_arg(args: dict, key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{key} must be text")
    return value.strip() or None
