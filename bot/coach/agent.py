"""LLM mode: the chat model chooses tools over the intents and words their results; every claim is checked.

One question costs at most ``MAX_MODEL_CALLS`` model calls: the first chooses tools (the
offline router's reading rides along as a hint; a failed call is tried once more), the next
words what the tools returned, and any call left rewrites an answer the claim checker rejected. Tools run the same intent
handlers as the offline coach, bound to the asker: access is enforced inside them, so no
wording of a question or of a tool call can widen it. When the model fails, times out or
chooses nothing usable, ``answer`` returns None and the offline router answers; when its
wording fails the check twice, the composer's text for the same tool results is shown. A wording that
leaves out what a tool says the rep must be told (a change HubSpot did not take) fails the check too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import openai
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import ValidationError

from bot.coach import claims
from bot.coach.intents.base import Ask, Intent, stage_named
from bot.coach.resolve import resolve_deal
from bot.coach.results import Clarification, Combined, Worded
from bot.coach.rich import joined, text_doc
from bot.coach.types import CoachAnswer
from bot.coach.understanding import Understanding
from bot.coach.wording import first_move
from bot.core.errors import InvalidInput
from bot.pipeline.chat import CLARIFY_TOOL, REPORT_TOOL, answer_requests, report_tools, requests_from_calls
from prompts import render_prompt
from storage import deals as deal_store

logger = logging.getLogger(__name__)

MAX_MODEL_CALLS = 3
CHOICE_ATTEMPTS = 2  # so a dead or slow model costs at most two timeouts before the offline coach answers
MAX_TOOL_CALLS = 3
_MODEL_ERRORS = (openai.OpenAIError, TimeoutError, ConnectionError)
# Answers shown as computed, never reworded: refusals, questions back, and (``Intent.as_computed``) a write's
# exact wording. These are the engine's own, outside any intent.
_AS_COMPUTED = frozenset({"not_found", "which_deal", "deal_choice", "clarify", "unknown", "nothing_pending",
                          "off_topic"})

# Answers an understood question for the asker: the engine's ``answer_understood``, run for each tool call.
AnswerUnderstood = Callable[[str, Understanding], CoachAnswer]


def _as_computed(kind: str, intents: Mapping[str, Intent]) -> bool:
    intent = intents.get(kind)
    return (intent is not None and intent.as_computed) or kind in _AS_COMPUTED or kind.endswith(("_denied", "_clarify")) \
        or kind.startswith("refused_")


def tools(intents: Mapping[str, Intent]) -> dict[str, Intent]:
    """The intents the model may call, by tool name: those that declare a ``tool``."""
    return {intent.tool.name: intent for intent in intents.values() if intent.tool is not None}


def tool_schema(intent: Intent) -> dict:
    """The OpenAI-style function tool for ``intent``: its parameters are its slots, each a string."""
    schema = intent.slots.model_json_schema()
    properties = {name: {k: v for k, v in spec.items() if k in ("type", "description")}
                  for name, spec in schema["properties"].items()}
    return {"type": "function", "function": {
        "name": intent.tool.name, "description": intent.tool.description,
        "parameters": {"type": "object", "properties": properties, "required": list(schema.get("required", ())),
                       "additionalProperties": False}}}


@dataclass
class Turn:
    """What this question's tools returned: the answers, and what the checker accepts as fact."""

    answers: list[CoachAnswer] = field(default_factory=list)
    facts: claims.Facts = field(default_factory=claims.Facts)
    rejections: int = 0


def tool_schemas(intents: Mapping[str, Intent]) -> list[dict]:
    """Every tool offered to the model: the intents' and the pipeline reports'."""
    return [tool_schema(intent) for intent in tools(intents).values()] + report_tools()


def answer(chat_model, ask: Ask, hint: Understanding, answer_understood: AnswerUnderstood) -> tuple[CoachAnswer, dict] | None:
    """The LLM's checked answer to ``ask`` and the conversation state it leaves; None when the offline coach should
    answer. ``hint`` is the router's reading; ``answer_understood`` runs each tool call as the asker."""
    viewer, now, history = ask.viewer, ask.now, ask.history
    model = chat_model.bind_tools(tool_schemas(ask.intents))
    system = render_prompt("coach_agent_system", company_process=f"the “{ask.process.name}” sales process",
                           person=viewer.name, role=viewer.role.value, today=now.date().isoformat(),
                           hint=f"{hint.intent}" + (f" ({hint.confidence:.2f})" if hint.confidence else ""))
    past = "\n".join(f"{t['role']}: {t['text'][:300]}" for t in history[-4:])
    messages = [SystemMessage(system),
                HumanMessage((f"Earlier in this conversation (data):\n<history>\n{past}\n</history>\n\n" if past else "")
                             + f"<question>{ask.question}</question>")]
    chosen, calls = None, 0
    while chosen is None and calls < CHOICE_ATTEMPTS:  # a failed call is tried once more, then the router answers
        calls += 1
        try:
            chosen = model.invoke(messages)
        except _MODEL_ERRORS as exc:
            logger.warning("LLM tool choice failed (attempt %d of %d): %s", calls, CHOICE_ATTEMPTS, exc)
    if chosen is None:
        return None
    turn = _run_tools(ask, answer_understood, chosen.tool_calls or [])
    if turn is None:
        return None
    first = turn.answers[0]
    state = {"proposal": first.proposal.to_json()} if first.proposal else {}
    if all(_as_computed(a.intent, ask.intents) for a in turn.answers):
        return _composed(turn), state
    messages += [AIMessage(content=chosen.content or "", tool_calls=chosen.tool_calls[:MAX_TOOL_CALLS]),
                 *_tool_messages(chosen.tool_calls[:MAX_TOOL_CALLS], turn)]
    first_wording = True
    while calls < MAX_MODEL_CALLS:
        calls += 1
        try:  # only the first wording streams: a rewrite replaces it whole (the surface shows the final text)
            text = _word(chat_model, messages, ask.on_delta if first_wording else None)
            first_wording = False
        except _MODEL_ERRORS as exc:
            logger.warning("LLM wording failed, the composer words the tool results: %s", exc)
            break
        named = deal_store.deal_names_among(session=ask.session, candidates=_ngrams(text))
        problems = (claims.problems(text, turn.facts, company_names=named) + dropped(text, turn.answers)
                    if text.strip() else ["empty answer"])
        problems += _left_out(text, turn)
        if not problems:
            return _worded(turn, text), state
        turn.rejections += 1
        logger.warning("LLM answer rejected (%d): %s", turn.rejections, "; ".join(problems))
        messages += [AIMessage(content=text), HumanMessage(render_prompt("coach_agent_retry",
                                                                         problems="\n".join(f"- {p}" for p in problems)))]
    return _composed(turn), state


def dropped(text: str, answers: list[CoachAnswer]) -> list[str]:
    """What an answer leaves out that the tools' results say the person must know: a deal plan's first move
    (an overdue follow-up first, as the composer puts it) and, among several deals, which deal it is about.
    Like a claim the tools did not return, a dropped essential sends the answer back (then the composer's)."""
    said = set(claims.words(text).split())
    missing = []
    for result in answers:
        plan = result.plan
        if result.intent != "deal_plan" or plan is None:
            continue
        move = first_move(plan)
        needed = [w for w in claims.words(move).split() if len(w) >= 4 and w not in _COMMON]
        if needed and sum(w in said for w in needed) * 2 < len(needed):
            missing.append(f"it leaves out the first move on {plan.deal.name}: {move}")
        if len(answers) > 1 and not set(claims.words(plan.deal.name).split()) & said:
            missing.append(f"it does not say which deal the plan is for: {plan.deal.name}")
    return missing


# Words of a first move that carry no part of it ("do the follow-up …, 3 days overdue").
_COMMON = frozenset("follow followup days overdue today with their from that this then have them".split())


def _run_tools(ask: Ask, answer_understood: AnswerUnderstood, calls: list[dict]) -> Turn | None:
    """Run the chosen tools as the asker; None when no call was usable (the offline coach answers)."""
    turn = Turn()
    offered = tools(ask.intents)
    report_calls = [c for c in calls[:MAX_TOOL_CALLS] if c.get("name") in (REPORT_TOOL, CLARIFY_TOOL)]
    for call in calls[:MAX_TOOL_CALLS]:
        intent = offered.get(call.get("name", ""))
        if intent is None:
            continue
        try:
            turn.answers.append(_run(ask, answer_understood, intent, call.get("args") or {}))
        except (InvalidInput, ValueError, TypeError) as exc:
            logger.warning("LLM tool call %s unusable: %s", call.get("name"), exc)
    if report_calls:
        try:
            requests, clarify = requests_from_calls(report_calls)
        except (InvalidInput, ValidationError, TypeError, ValueError) as exc:
            logger.warning("LLM report call unusable: %s", exc)
        else:
            turn.answers.append(CoachAnswer(Clarification(text_doc(clarify)), "pipeline_clarify") if clarify
                                else answer_requests(ask.runtime, ask.viewer, requests, now=ask.now))
    if not turn.answers:
        return None
    for i, result in enumerate(turn.answers):
        turn.facts.add(_payload(result, i))
    _collect(turn, ask)
    return turn


def _run(ask: Ask, answer_understood: AnswerUnderstood, intent: Intent, args: dict) -> CoachAnswer:
    """One tool call: its arguments checked against the intent's slots, then the question answered as the asker.

    Raises:
        ValueError: an argument the slots do not have, or one that is not text (pydantic's ``ValidationError``).
    """
    slots = intent.slots.model_validate({k: v for k, v in args.items() if v is not None})
    values = {k: v.strip() for k, v in slots.model_dump().items() if v.strip()}
    asked = ask.question
    if intent.tool.words and values:
        asked = " ".join(intent.tool.words.format_map(_Blank(values)).split())
    deals, mentioned = [], None
    if "deal" in values:
        summaries = deal_store.visible_deal_summaries(session=ask.session, viewer=ask.viewer)
        deals = resolve_deal(values["deal"], summaries).matches
        mentioned = None if deals else values["deal"]  # not theirs, or no such deal: the same reply
    stage = stage_named(values["stage"], ask.process) if "stage" in values else None
    understood = Understanding(intent.name, None, deals, mentioned, stage, rule=f"llm tool {intent.name}")
    return answer_understood(asked, understood)


class _Blank(dict):
    """Arguments the model left out read as nothing ("how is  doing this quarter" → the asker)."""

    def __missing__(self, key):
        return ""


def _payload(result: CoachAnswer, index: int) -> dict:
    sources = [{"tag": f"S{i}", "source": c.source, "section": c.section}
               for i, c in enumerate(result.citations, 1)]
    data = {k: v for k, v in result.data.items() if k not in ("tables",)}
    return {"result": result.intent, "text": result.text, "sources": sources, "data": data}


def _tool_messages(calls: list[dict], turn: Turn) -> list[ToolMessage]:
    """One message per call, in order; report calls share the pipeline answer (the last one)."""
    out, answers = [], iter(turn.answers)
    pipeline = turn.answers[-1] if any(c.get("name") in (REPORT_TOOL, CLARIFY_TOOL) for c in calls) else None
    for i, call in enumerate(calls):
        result = pipeline if call.get("name") in (REPORT_TOOL, CLARIFY_TOOL) else next(answers, None)
        content = json.dumps(_payload(result, i), ensure_ascii=False, default=str) if result else '{"result": "unusable"}'
        out.append(ToolMessage(content=content, tool_call_id=call.get("id") or f"call_{i}"))
    return out


def _collect(turn: Turn, ask: Ask) -> None:
    """Criteria and passages the tools returned: what the answer may say the buyer still has to confirm or cite."""
    texts = "\n".join(turn.facts.texts)
    for stage in ask.process.stages:
        turn.facts.criteria |= {c.text for c in stage.exit_criteria if json.dumps(c.text, ensure_ascii=False)[1:-1] in texts}
    turn.facts.passages = max((len(a.citations) for a in turn.answers), default=0)


def _word(chat_model, messages, on_delta) -> str:
    if on_delta is None:
        result = chat_model.invoke(messages)
        return result.content if isinstance(result.content, str) else ""
    pieces = []
    for chunk in chat_model.stream(messages):
        piece = chunk.content if isinstance(chunk.content, str) else ""
        if piece:
            pieces.append(piece)
            on_delta(piece)
    return "".join(pieces)


def _left_out(text: str, turn: Turn) -> list[str]:
    """What the tools said the rep must be told (``CoachAnswer.must_say``) and ``text`` does not say (compared
    as words: case and punctuation aside)."""
    said = f" {claims.words(text)} "
    return [f"it leaves out what the rep must be told; say it word for word: “{sentence}”"
            for answer in turn.answers for sentence in answer.must_say if f" {claims.words(sentence)} " not in said]


def _ngrams(text: str, longest: int = 6) -> set[str]:
    words = claims.words(text).split()
    return {" ".join(words[i:i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)}


def _worded(turn: Turn, text: str) -> CoachAnswer:
    """The first tool's answer (its deal, buttons and sources) in the model's checked words; reports keep their text."""
    answer = _composed(turn)
    reports = [a.result.doc() for a in turn.answers if a.intent == "pipeline"]
    answer.result = Worded(joined([text_doc(text.strip()), *reports]), answer.result)
    answer.worded_by_llm = True
    return answer


def _composed(turn: Turn) -> CoachAnswer:
    first = turn.answers[0]
    if len(turn.answers) > 1:
        first.result = Combined.of(tuple(a.result for a in turn.answers))
    for other in turn.answers[1:]:
        first.citations += [c for c in other.citations if c not in first.citations]
    first.llm_rejections = turn.rejections
    return first
