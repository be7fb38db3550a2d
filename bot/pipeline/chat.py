"""Pipeline questions in chat: read the question, run the reports, answer with their figures.

With an LLM the six reports are tools with typed arguments; the model only picks the
tool and its arguments, the report runs deterministically here, and the model may add
a short summary that is dropped if it states a number the report does not. Without an
LLM, or when the model fails, the deterministic parser reads the question. Access is
decided by the viewer in ``scope`` and storage, whatever the question or the model says.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import ValidationError

from bot.coach.types import CoachAnswer
from bot.errors import AccessDenied, InvalidInput, NotFound
from bot.llm import ATTEMPTS, Grounding, word_answer
from bot.pipeline.parser import parse_request
from bot.pipeline.periods import parse_period
from bot.pipeline.reports import REPORTS, Report
from bot.pipeline.service import ReportRequest, run_reports
from bot.pipeline.tables import cell
from bot.runtime import Runtime
from prompts import render_prompt
from storage.access import Viewer

logger = logging.getLogger(__name__)

MAX_TOOL_CALLS = 3
CLARIFY_TOOL = "ask_clarifying_question"
CLARIFY_LIMIT = 300
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")

_SCOPE_PROPERTIES = {
    "rep": {"type": "string", "description": "A rep's name or email when the question is about one person "
                                             "(\"for Alice\"); omit otherwise."},
    "team": {"type": "string", "description": "A team's name when the question names a team; omit otherwise."},
    "my_team": {"type": "boolean", "description": "True when the asker says my/our/the team."},
}
_PERIOD_PROPERTY = {"period": {"type": "string", "description": (
    "The period as asked: 'this month', 'last month', 'last week', 'this quarter', 'October', 'Q3', "
    "'2026-10', '2026-Q3', 'since Oct 1', or '2026-10-01..2026-10-31'. Omit for this month.")}}
TOOL_DESCRIPTIONS = {
    "status": "Open deals per stage now: count, total amount, weighted amount.",
    "flow": "Stage flow over a period: per stage, deals at the start, entered, left, at the end.",
    "time": "Time in stage: mean and median days of deals that left each stage in a period, and current dwell.",
    "stuck": "Stuck deals now: open deals over their stage's expected days, with owner and unmet exit criteria.",
    "conversion": "Conversion: share of deals that entered each stage in a period and advanced.",
    "bottlenecks": "Bottlenecks: stages with the lowest conversion or longest dwell, and the exit criteria most "
                   "often unmet there.",
}


def report_tools() -> list[dict]:
    """The reports as OpenAI-style function tools, plus one to ask back when the request is unclear."""
    tools = []
    for kind in REPORTS:
        properties = dict(_SCOPE_PROPERTIES)
        if kind not in ("status", "stuck"):  # those two are "now"; a period means nothing to them
            properties.update(_PERIOD_PROPERTY)
        tools.append({"type": "function", "function": {
            "name": kind, "description": TOOL_DESCRIPTIONS[kind],
            "parameters": {"type": "object", "properties": properties, "additionalProperties": False}}})
    tools.append({"type": "function", "function": {
        "name": CLARIFY_TOOL, "description": "Ask the manager one short question when the request is unclear.",
        "parameters": {"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]}}})
    return tools


def answer_pipeline_question(runtime: Runtime, viewer: Viewer, question: str, *, now: datetime,
                             chat_model: BaseChatModel | None = None) -> CoachAnswer:
    """The answer to a pipeline question: report figures in ``data``, sentences in ``text``."""
    if chat_model is not None:
        picked = _pick_with_model(chat_model, viewer, question, now)
        if picked is not None:
            requests, clarify = picked
            if clarify:
                return CoachAnswer(clarify, "pipeline_clarify")
            answer = _answer(runtime, viewer, requests, now)
            if answer.intent == "pipeline":
                _add_summary(chat_model, answer, question)
            return answer
    parsed = parse_request(question)
    if parsed.request is None:
        return CoachAnswer(parsed.clarify or "", "pipeline_clarify")
    return _answer(runtime, viewer, [parsed.request], now)


def answer_request(runtime: Runtime, viewer: Viewer, request: ReportRequest, *, now: datetime) -> CoachAnswer:
    """The answer to a request already read (a follow-up completed from the conversation)."""
    return _answer(runtime, viewer, [request], now)


def _answer(runtime: Runtime, viewer: Viewer, requests: list[ReportRequest], now: datetime) -> CoachAnswer:
    reports: list[Report] = []
    try:
        for request in requests:
            reports += run_reports(runtime, viewer, request, now=now)
    except AccessDenied as exc:
        return CoachAnswer(f"Sorry, {exc}.", "pipeline_denied")
    except (NotFound, InvalidInput) as exc:
        return CoachAnswer(f"{_sentence(str(exc))} Which rep, team or period did you mean?", "pipeline_clarify")
    return CoachAnswer(answer_text(reports), "pipeline", data=answer_data(reports))


def answer_text(reports: list[Report]) -> str:
    """Each report's title and a manager's sentences (the tables travel in ``data``)."""
    parts = []
    for report in reports:
        lines = [f"*{report.title}*"] + [f"• {line}" for line in report.lines] + report.notes
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def answer_data(reports: list[Report]) -> dict:
    """Report payloads, and the same figures as plain tables for chat surfaces."""
    return {"reports": [r.to_json() for r in reports], "tables": [table_data(r) for r in reports]}


def table_data(report: Report) -> dict:
    """``{"title", "columns", "rows"}``: numbers stay numbers; money whole, shares in percent."""
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
        rows.append(values)
    return {"title": report.title, "columns": columns, "rows": rows}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


# -- the LLM path -------------------------------------------------------------------------------


def _pick_with_model(chat_model: BaseChatModel, viewer: Viewer, question: str,
                     now: datetime) -> tuple[list[ReportRequest], str | None] | None:
    """The reports the model asked for (or its clarifying question); None when it failed or chose nothing usable."""
    system = render_prompt("pipeline_system", role=viewer.role.value, today=now.date().isoformat(),
                           reports=", ".join(REPORTS))
    messages = [SystemMessage(system), HumanMessage(question)]
    try:
        model = chat_model.bind_tools(report_tools())
    except (NotImplementedError, AttributeError):
        return None
    for attempt in range(1, ATTEMPTS + 1):
        try:
            message = model.invoke(messages)
        except (openai.OpenAIError, TimeoutError, ConnectionError) as exc:
            logger.warning("pipeline tool call failed (attempt %d of %d): %s", attempt, ATTEMPTS, exc)
            continue
        calls = getattr(message, "tool_calls", None) or []
        try:
            return _requests_from_calls(calls)
        except (InvalidInput, ValidationError, TypeError, ValueError) as exc:
            logger.warning("pipeline tool call unusable (attempt %d of %d): %s", attempt, ATTEMPTS, exc)
    logger.warning("LLM picked no pipeline report; the parser reads the question")
    return None


def _requests_from_calls(calls: list[dict]) -> tuple[list[ReportRequest], str | None] | None:
    if not calls:
        return None
    requests = []
    for call in calls[:MAX_TOOL_CALLS]:
        name, args = call.get("name"), call.get("args") or {}
        if name == CLARIFY_TOOL:
            text = str(args.get("question", "")).strip()
            if text and len(text) <= CLARIFY_LIMIT:
                return [], text
            raise ValueError("empty or long clarifying question")
        if name not in REPORTS:
            raise ValueError(f"unknown tool {name!r}")
        unknown = set(args) - {"rep", "team", "my_team", "period"}
        if unknown:
            raise ValueError(f"unknown arguments {sorted(unknown)}")
        period = args.get("period")
        requests.append(ReportRequest(
            (name,), period=parse_period(str(period)) if period and name not in ("status", "stuck") else None,
            rep=_text_arg(args, "rep"), team=_text_arg(args, "team"), whole_team=bool(args.get("my_team"))))
    return requests, None


def _text_arg(args: dict, key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{key} must be text")
    return value.strip() or None


def _add_summary(chat_model: BaseChatModel, answer: CoachAnswer, question: str) -> None:
    """Prepend the model's short summary when every number in it is one the reports show."""
    facts = answer.text
    user = render_prompt("pipeline_summary", question=question, facts=facts,
                         tables=json.dumps(answer.data["tables"], ensure_ascii=False))
    summary = word_answer(chat_model, system=render_prompt("pipeline_summary_system"), user=user,
                          grounding=Grounding(0, frozenset()))
    if not summary:
        return
    shown = set(_numbers(facts + json.dumps(answer.data["tables"])))
    invented = [n for n in _numbers(summary) if n not in shown]
    if invented:
        logger.warning("pipeline summary dropped: numbers not in the report: %s", ", ".join(invented))
        return
    answer.text = f"{summary}\n\n{answer.text}"
    answer.worded_by_llm = True


def _numbers(text: str) -> list[str]:
    """Numbers as written, without thousands separators or a trailing ".0"."""
    return [n.replace(",", "").removesuffix(".0") for n in _NUMBER.findall(text)]
