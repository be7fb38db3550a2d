"""The coach engine: one entry point, ``Coach.ask``, for every surface.

Routing, deal resolution, access and the plan are deterministic; retrieval adds
methodology passages; the LLM (when configured) only words the result, and the
composer does when it is not, or when the LLM fails.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.coach import composer
from bot.coach.plan import build_plan, deal_ref
from bot.coach.resolve import resolve_deal
from bot.coach.types import Citation, CoachAnswer, DealPlan, DealRef
from bot.llm import Grounding, make_chat_model, word_answer
from bot.pipeline.chat import answer_pipeline_question, answer_request
from bot.pipeline.parser import carry_over, looks_like_pipeline_question
from bot.runtime import Runtime
from bot.text import plural
from knowledge.process_map import Stage
from prompts import render_prompt
from storage import conversations
from storage import deals as deal_store
from storage.access import Viewer
from storage.timeutil import local_midnight_utc, zone

logger = logging.getLogger(__name__)

_ATTENTION = re.compile(r"\b(need(s)? (my )?attention|overdue|follow[- ]?ups?|due today|at risk|priorit\w*|slipping)\b", re.I)
_BIGGEST = re.compile(r"\b(biggest|largest|top) deal\b", re.I)
_STAGE_QUESTION = re.compile(r"\b(exit|entry|criteria|criterion|activities|stage)\b", re.I)
_AFTER = re.compile(r"\b(after that|then what|and then|what next after|after this)\b", re.I)
_FOLLOW_ON = re.compile(r"^\s*(and|what about|how about|ok|okay|then|next|after|also|so)\b", re.I)
_DEAL_TARGET = re.compile(r"\b(?:on|for|with|about|at)\s+([A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*)")
PASSAGES_FOR_TIPS = 2
PASSAGES_FOR_QUESTIONS = 3
PASSAGE_CHARS = 700


class Coach:
    """Answers questions for a viewer. Build once per process; ``ask`` is safe to call from many threads."""

    def __init__(self, runtime: Runtime, retriever=None, chat_model=None):
        self.runtime = runtime
        self.retriever = retriever
        self.chat_model = chat_model

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Coach:
        """The coach with the configured retriever (local or OpenAI embeddings) and chat model (if any)."""
        from knowledge.retriever import Retriever

        retriever = Retriever(runtime.settings, lambda: runtime.process)  # builds the index on first use if empty
        return cls(runtime, retriever=retriever, chat_model=make_chat_model(runtime.settings))

    # -- entry point ---------------------------------------------------------------------------

    def ask(self, viewer: Viewer, question: str, *, conversation_key: str | None = None, now: datetime | None = None,
            on_delta: Callable[[str], None] | None = None) -> CoachAnswer:
        """Answer ``question`` for ``viewer``; with ``conversation_key``, follow-ups keep their deal in focus."""
        now = now or self.runtime.now()
        question = question.strip()
        with self.runtime.session() as session:
            convo = conversations.load_conversation(session=session, key=conversation_key, rep_id=viewer.rep_id) if conversation_key else None
            history = conversations.turns(convo)
            answer = self._route(session, viewer, question, now, convo, history, on_delta)
            if conversation_key:
                conversations.save_turn(session=session, key=conversation_key, rep_id=viewer.rep_id,
                                        deal_id=answer.deal.id if answer.deal else None, intent=answer.intent,
                                        question=question, answer=answer.text, now=now)
        return answer

    def _route(self, session, viewer, question, now, convo, history, on_delta) -> CoachAnswer:
        if not question:
            return CoachAnswer(composer.compose_unknown(viewer.is_manager), "unknown")
        if looks_like_pipeline_question(question):
            return answer_pipeline_question(self.runtime, viewer, question, now=now, chat_model=self.chat_model)
        follow_up = self._pipeline_follow_up(question, convo, history)
        if follow_up is not None:
            return answer_request(self.runtime, viewer, follow_up, now=now)
        focus_deal_id = convo.deal_id if convo else None

        summaries = deal_store.visible_deal_summaries(session=session, viewer=viewer)
        stage = self._stage_named(question)
        if stage is not None and _STAGE_QUESTION.search(question):
            return self._stage_answer(stage)
        resolution = resolve_deal(question, summaries)
        if len(resolution.matches) > 1:
            choices = [self._ref(session, viewer, s.id) for s in resolution.matches]
            return CoachAnswer(composer.compose_choices(choices), "deal_choice", choices=choices)
        target_id = resolution.deal.id if resolution.deal else None
        if target_id is None and _BIGGEST.search(question):
            biggest = deal_store.open_deals_for(session=session, viewer=viewer, owner_id=viewer.rep_id)
            target_id = biggest[0].id if biggest else None
        if target_id is None and _ATTENTION.search(question):
            return self._attention(session, viewer, now)
        if target_id is None and focus_deal_id and (_FOLLOW_ON.search(question) or _AFTER.search(question) or len(question.split()) <= 4):
            target_id = focus_deal_id
        if target_id is not None:
            deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=target_id)
            if deal is not None:  # a focus deal is re-checked: access can change between turns
                return self._deal_answer(session, viewer, deal, question, now, history, on_delta)
        mentioned = _DEAL_TARGET.search(question)
        if mentioned and self._stage_named(mentioned.group(1)) is None and not self._passages(question, None, 1):
            return CoachAnswer(composer.compose_not_found(mentioned.group(1)), "not_found")
        return self._general_answer(viewer, question, history, on_delta)

    @staticmethod
    def _pipeline_follow_up(question: str, convo, history: list[dict]):
        """After a pipeline answer, "and September?" or "and for Bob?" asks for the same reports again."""
        if convo is None or not (convo.last_intent or "").startswith("pipeline"):
            return None
        asked = [turn["text"] for turn in history if turn["role"] == "user"]
        # The newest question that named a report: a second follow-up keeps the report of the first.
        return next((request for previous in reversed(asked) if (request := carry_over(previous, question))), None)

    # -- deal answers --------------------------------------------------------------------------

    def plan_for(self, session, viewer: Viewer, deal_id: int, now: datetime) -> DealPlan | None:
        """The plan for a deal the viewer may see (None otherwise) — what buttons and App Home show."""
        deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id)
        if deal is None:
            return None
        return build_plan(deal_store.deal_state(session=session, deal=deal), self.runtime.process, now)

    def _deal_answer(self, session, viewer, deal, question, now, history, on_delta) -> CoachAnswer:
        process = self.runtime.process
        plan = build_plan(deal_store.deal_state(session=session, deal=deal), process, now)
        stage = process.stage(plan.stage_key)
        query = " ".join([question, stage.name, *(c.text for c in plan.unmet[:2])])
        tips = self._passages(query, stage.key, PASSAGES_FOR_TIPS)
        citations = [self._map_citation(stage), *(Citation(p.source, p.section) for p in tips)]
        intent = "deal_plan"
        if _AFTER.search(question) and plan.next_stage_name:
            text = self._after_that(plan, process.next_stage(stage.key))
            return CoachAnswer(text, intent, deal=plan.deal, plan=plan, citations=citations[:1])
        text, worded = composer.compose_deal_plan(plan, tips, now), False
        if self.chat_model is not None:
            visible = deal_store.visible_deal_summaries(session=session, viewer=viewer)
            others = {d.name.lower() for d in visible} | {d.account.lower() for d in visible}
            mine = {deal.name.lower(), deal.account.lower()}
            forbidden = {o for o in others if len(o) >= 4 and not any(o in m or m in o for m in mine)}
            forbidden |= {c.key for s in process.stages if s.key != stage.key for c in s.exit_criteria}
            user = render_prompt("coach_deal", question=question, history=_history_block(history),
                                 facts=_facts_block(plan, now), process=_process_block(stage), sources=_sources_block(tips))
            llm_text = word_answer(self.chat_model, system=self._system_prompt(), user=user,
                                   grounding=Grounding(len(tips), frozenset(forbidden)), on_delta=on_delta)
            if llm_text:
                text, worded = llm_text, True
        return CoachAnswer(text, intent, deal=plan.deal, plan=plan, citations=citations, worded_by_llm=worded)

    def _after_that(self, plan: DealPlan, following: Stage) -> str:
        lines = [f"Once the buyer confirms what's open in {plan.stage_name}, *{composer.deal_heading(plan.deal)}* "
                 f"moves to *{following.name}*" + (f" — {following.buyer_state}" if following.buyer_state else ".")]
        lines.append("There the buyer needs to confirm:")
        lines += [f"• {c.text}" for c in following.exit_criteria]
        if following.activities:
            lines.append(f"Your first move there: {following.activities[0].text}.")
        return "\n".join(lines)

    def _attention(self, session, viewer: Viewer, now: datetime) -> CoachAnswer:
        process = self.runtime.process
        today_start = local_midnight_utc(now.astimezone(zone(viewer.timezone)).date(), zone(viewer.timezone))
        overdue: dict[int, list] = {}
        for followup, deal in deal_store.open_followups_due_by(session=session, viewer=viewer, until=today_start):
            overdue.setdefault(deal.id, []).append(followup)
        rows = []
        for deal in deal_store.open_deals_for(session=session, viewer=viewer):
            reasons, severity = [], 0
            if deal.id in overdue:
                oldest = (today_start - overdue[deal.id][0].due_at).days + 1
                count = len(overdue[deal.id])
                late = plural(oldest, 'day') + " late"
                reasons.append(f"1 overdue follow-up, {late}" if count == 1 else f"{count} overdue follow-ups, the oldest {late}")
                severity += 100 + oldest
            stage = process.stage(deal.stage_key)
            over = (now - deal.stage_entered_at).days - (stage.expected_days if stage else 0)
            if stage and over > 0:
                reasons.append(f"{plural(over, 'day')} over the {stage.expected_days} expected in {stage.name}")
                severity += over
            if deal.close_date and deal.close_date < now.date():
                reasons.append(f"close date {deal.close_date:%b %d} has passed")
                severity += 50
            if reasons:
                rows.append((severity, deal, reasons))
        rows.sort(key=lambda r: (-r[0], r[1].name))
        # Full references (a few queries each) only for the deals shown: a big book flags hundreds.
        shown = [(self._ref(session, viewer, deal.id), reasons) for _, deal, reasons in rows[:10]]
        text = composer.compose_attention(shown, viewer.is_manager)
        if len(rows) > 10:
            text += f"\n…and {len(rows) - 10} more."
        return CoachAnswer(text, "attention", data={"deals": [deal.external_id for _, deal, _ in rows]})

    def _ref(self, session, viewer: Viewer, deal_id: int) -> DealRef:
        deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id)
        return deal_ref(deal_store.deal_state(session=session, deal=deal))

    # -- general answers -----------------------------------------------------------------------

    def _stage_named(self, text: str) -> Stage | None:
        words = re.findall(r"[a-z]+", text.lower())
        for stage in self.runtime.process.stages:
            if stage.key in words or stage.name.lower() in text.lower():
                return stage
        return None

    def _stage_answer(self, stage: Stage) -> CoachAnswer:
        text = composer.compose_stage(stage, self.runtime.process)
        return CoachAnswer(text, "criteria", citations=[self._map_citation(stage)])

    def _general_answer(self, viewer: Viewer, question: str, history: list[dict], on_delta) -> CoachAnswer:
        passages = self._passages(question, None, PASSAGES_FOR_QUESTIONS)
        if not passages:  # nothing relevant: say so rather than let a model improvise
            return CoachAnswer(composer.compose_unknown(viewer.is_manager), "unknown")
        citations = [Citation(p.source, p.section) for p in passages]
        text, worded = composer.compose_passages(passages), False
        if self.chat_model is not None:
            stage_keys = {p.stage_key for p in passages if p.stage_key}
            stages = [s for s in self.runtime.process.stages if s.key in stage_keys]
            user = render_prompt("coach_general", question=question, history=_history_block(history),
                                 process="\n\n".join(_process_block(s) for s in stages) or "(none)",
                                 sources=_sources_block(passages))
            forbidden = {c.key for s in self.runtime.process.stages if s.key not in stage_keys for c in s.exit_criteria}
            llm_text = word_answer(self.chat_model, system=self._system_prompt(), user=user,
                                   grounding=Grounding(len(passages), frozenset(forbidden)), on_delta=on_delta)
            if llm_text:
                text, worded = llm_text, True
        return CoachAnswer(text, "methodology", citations=citations, worded_by_llm=worded)

    def _passages(self, query: str, stage_key: str | None, k: int) -> list:
        if self.retriever is None:
            return []
        kinds = ["methodology", "playbook"]
        return self.retriever.search(query, stage_key=stage_key, kinds=kinds, k=k)

    def _system_prompt(self) -> str:
        return render_prompt("coach_system", company_process=f"the “{self.runtime.process.name}” sales process")

    def _map_citation(self, stage: Stage) -> Citation:
        return Citation(f"processes/{Path(self.runtime.process.source).name}", f"Stage: {stage.name}")


# -- prompt blocks: only this deal's facts, each value data, never instructions ------------------

def _facts_block(plan: DealPlan, now: datetime) -> str:
    facts = {
        "deal": plan.deal.name, "account": plan.deal.account, "owner": plan.deal.owner_name,
        "stage": plan.stage_name, "buyer_state": plan.buyer_state,
        "days_in_stage": plan.days_in_stage, "expected_days": plan.expected_days,
        "confirmed_by_buyer": [c.text for c in plan.met],
        "not_yet_confirmed": [c.text for c in plan.unmet],
        "next_activities": [a.text for a in plan.next_activities],
        "overdue_followups": [{"note": f.note, "days_overdue": f.days_overdue} for f in plan.overdue_followups],
        "due_today": [f.note for f in plan.due_today_followups],
        "last_activity": ({"days_ago": (now - plan.last_activity_at).days, "note": plan.last_activity_note}
                          if plan.last_activity_at else None),
        "earlier_stage_criteria_never_confirmed": [c.text for c in plan.unconfirmed_earlier],
        "next_stage": plan.next_stage_name,
    }
    return json.dumps(facts, ensure_ascii=False, indent=1, default=str)


def _process_block(stage: Stage) -> str:
    lines = [f"Stage {stage.name}: expected {stage.expected_days} days."]
    lines += [f"- exit criterion: {c.text}" for c in stage.exit_criteria]
    lines += [f"- activity: {a.text} (moves: {', '.join(a.supports)})" for a in stage.activities]
    return "\n".join(lines)


def _sources_block(passages) -> str:
    if not passages:
        return "(none)"
    return "\n\n".join(f"[S{i}] {p.title} — {p.section}:\n{p.text[:PASSAGE_CHARS]}" for i, p in enumerate(passages, 1))


def _history_block(history: list[dict]) -> str:
    return "\n".join(f"{t['role']}: {t['text'][:300]}" for t in history[-4:]) or "(none)"

