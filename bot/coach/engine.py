"""The coach engine: one entry point, ``Coach.ask``, for every surface.

``ask`` reads the question (``understand``: which intent, which deal, which stage),
keeps the conversation's state (the deal in focus, a choice list, a write waiting
for "yes") and hands the question to the intent's handler. Deal resolution and
access are deterministic and happen here, before any handler runs; a question
the router is unsure of gets a short clarifying question, never a guess.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property

from bot.coach import composer, edge, proposals
from bot.coach.intents import Intents, all_intents
from bot.coach.intents.base import DEAL_PLACEHOLDER, Ask, Intent, Passages, stage_named
from bot.coach.intents.focus import rank
from bot.coach.intents.help import is_thanks
from bot.coach.intents.record import CLOSED_NEWS
from bot.coach.intents.stage_guide import StageSlots
from bot.coach.outcome import answer_closed
from bot.coach.resolve import mask_deals, mask_words, placed_like_a_deal, resolve_deal, unexplained_words
from bot.coach.results import Clarification, Combined, Note, NotFound
from bot.coach.rich import bullet, doc, line
from bot.coach.router import NOTHING_CLOSE, Route, Router, shared_router, spell_out
from bot.coach.targets import sets_a_target
from bot.coach.types import CoachAnswer, PartProgress, Progress
from bot.coach.understanding import Understanding
from bot.core.llm import make_chat_model
from bot.core.plan import DealRef, deal_ref
from bot.core.runtime import Runtime
from bot.pipeline.chat import answer_requests
from bot.pipeline.parser import carry_over, looks_like_pipeline_question, names_someone
from storage import conversations
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import Deal, DealStatus, Role

logger = logging.getLogger(__name__)

_ORDINALS = {"first": 0, "1st": 0, "one": 0, "1": 0, "second": 1, "2nd": 1, "two": 1, "2": 1, "third": 2, "3rd": 2,
             "three": 2, "3": 2, "fourth": 3, "4th": 3, "4": 3, "fifth": 4, "5th": 4, "5": 4, "last": -1}
# "the second one", "ok lets do the first one", "go with #2": a pick and nothing else.
_PICK = re.compile(r"^\s*(?:(?:ok(?:ay)?|alright|sure|cool|great|yes|yeah|yep)\b[\s,!.]*)?"
                   r"(?:(?:let'?s|i'?ll|i\s+will)\s+)?(?:(?:do|go\s+with|start\s+with|take|pick|open|work\s+on|"
                   r"look\s+at|show\s+me)\s+)?(?:the\s+)?#?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|one|"
                   r"two|three|[1-5])(?:\s+(?:one|deal|opp\w*))?\s*(?:pls|please)?\s*[.!?]?\s*$", re.I)
# The same inside a longer message: "ok the 2nd one, what's blocking it", "draft an email for #3".
_PICKED_IN = re.compile(r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\s+(?:one|deal|opp\w*)\b"
                        r"|#([1-5])\b|\bnumber\s+([1-5])\b", re.I)
_THIS_DEAL = re.compile(r"\b(?:it|its|it's|that deal|this deal|that one|this one|the deal|them|they|their)\b", re.I)
# Deals named by what they are rather than by name.
_BIGGEST_WORDS = r"(?:biggest|largest|top|most valuable)\s+(?:deal|opp\w*|account)"
_NEXT_CALL_WORDS = r"next\s+(?:call|meeting|mtg|touch\w*|follow[- ]?up)"
_BIGGEST = re.compile(rf"\b{_BIGGEST_WORDS}\b", re.I)
_NEXT_CALL = re.compile(rf"\b{_NEXT_CALL_WORDS}\b", re.I)
_DESCRIBED = re.compile(rf"\b(?:my|the|our)\s+(?:{_BIGGEST_WORDS}|{_NEXT_CALL_WORDS})\b", re.I)
_DEAL = re.escape(DEAL_PLACEHOLDER)  # the hand rules below read the question with a deal's name replaced by it
# What a deal-plan button stands for, as the notes are searched for tips (there is no question to read).
_DEAL_PLAN_READING = "what should i do next"
# "Globex confirmed budget", "the buyer at globex just agreed...": news to record, however long the rest is.
_TOLD = re.compile(rf"^(?:the )?(?:buyer|cto|ceo|cfo|champion|team|people)?\s*(?:at|from)?\s*{_DEAL}(?:'s \w+)?\s+(?:just\s+)?"
                   r"(?:confirmed|agreed|signed|named|approved|committed|told us|said yes)\b", re.I)
# A message that asks rather than tells: how, what, why, did, is... first (after the deal's name if it leads),
# or a question mark last; unless it asks for a write ("can you log that Globex confirmed budget?").
_ASKS = re.compile(rf"^\W*(?:{_DEAL}\W+)?(?:how|what|whats|what's|why|which|who|where|when|should i|did|does|is|are|was|"
                   r"were|has|have)\b", re.I)
_WH_FIRST = re.compile(r"^\W*(?:how|what|whats|what's|why|which|who|where|when|should|did|does|is|are|was|were)\b",
                       re.I)
_ASKS_TO_WRITE = re.compile(r"\b(?:log|record|add|note|remind|mark|save|jot|set)\b", re.I)
# A follow-on that only swaps the deal: "and Initech?", "what about hooli", "same for globex".
# "Zed's deals", "bobs opps": a person's deals, whoever Zed is; reading Zed as a deal's name would answer an
# unknown person differently from one the asker may not see.
_SOMEONES_DEALS = re.compile(r"\b[^\W\d_][\w.-]*?'?s\s+(?:deals|opps|opportunities|pipeline|book|numbers)\b", re.I)
_SWAP = re.compile(rf"^\s*(?:and|what about|how about|same for|now|ok|okay|also)?\s*{_DEAL}\s*[?.!]*\s*$", re.I)


class Coach:
    """Answers questions for a viewer. Build once per process; ``ask`` is safe to call from many threads."""

    def __init__(self, runtime: Runtime, retriever: Passages | None = None, chat_model=None,
                 router: Router | None = None, intents: Intents | None = None):
        self.runtime = runtime
        self.retriever = retriever
        self.chat_model = chat_model
        self.intents = intents if intents is not None else all_intents()
        self._router = router

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Coach:
        """The coach with the configured retriever (local or OpenAI embeddings) and chat model (if any)."""
        from knowledge.retriever import Retriever  # chromadb: imported only by a coach that searches the notes

        retriever = Retriever(runtime.settings, lambda: runtime.process)  # builds the index on first use if empty
        return cls(runtime, retriever=retriever, chat_model=make_chat_model(runtime.settings))

    @property
    def router(self) -> Router:
        """The intent router on the local embedding model (offline, already used for retrieval)."""
        if self._router is None:
            settings = self.runtime.settings
            model = settings.local_embedding_model
            self._router = shared_router(" ".join([model, *self.intents.packages]),
                                         lambda: _build_router(model, settings.home / "cache", self.intents))
        return self._router

    def warm_up(self) -> None:
        """Load the embedding model and the router now (seconds), not on the first question.

        Routing one question loads the model even when the examples' vectors come from the cache.
        """
        self.router.route("warm up")

    # -- entry point ---------------------------------------------------------------------------

    def ask(self, viewer: Viewer, question: str, *, conversation_key: str | None = None, now: datetime | None = None,
            on_delta: Callable[[str], None] | None = None, progress: Progress | None = None) -> CoachAnswer:
        """Answer ``question`` for ``viewer``; with ``conversation_key``, follow-ups keep their deal in focus.
        ``progress`` is told as each part of a multi-part answer (two questions at once) starts and is computed."""
        now = now or self.runtime.now()
        question = question.strip()
        with self.runtime.session() as session:
            convo = conversations.load_conversation(session=session, key=conversation_key, rep_id=viewer.rep_id) if conversation_key else None
            history = conversations.turns(convo)
            answer, state = self._answer(session, viewer, question, now, convo, history, on_delta, progress)
            if conversation_key:
                conversations.save_turn(session=session, key=conversation_key, rep_id=viewer.rep_id,
                                        deal_id=answer.deal.id if answer.deal else None, intent=answer.intent,
                                        question=question, answer=answer.text, now=now, state=state)
        return answer

    def understand(self, session, viewer: Viewer, question: str, last_intent: str | None = None,
                   in_focus: bool = False) -> Understanding:
        """Which intent, deals and stage ``question`` names, for ``viewer`` (only deals they may see).

        ``last_intent`` is the conversation's previous intent: "and Initech?" asks it again for another deal.
        ``in_focus``: the conversation has a deal in focus, which "it" and "them" may stand for.
        A message holding two questions is read as its first, with the second in ``also``.
        """
        summaries = _Book(session, viewer)  # read once per message
        clauses = _clauses(question)
        if len(clauses) == 2:
            first, second = (self._understand_one(summaries, c, last_intent, in_focus, viewer) for c in clauses)
            if not (first.unsure or second.unsure) and first.intent != second.intent:
                first.clauses, first.also = clauses, second
                return first
        return self._understand_one(summaries, question, last_intent, in_focus, viewer)

    def _understand_one(self, summaries: _Book, question: str, last_intent: str | None, in_focus: bool,
                        viewer: Viewer) -> Understanding:
        process = self.runtime.process
        resolution = resolve_deal(question, summaries.open)
        if resolution.matches and (len(resolution.matches) > 1 or unexplained_words(
                mask_deals(question, resolution.matches, DEAL_PLACEHOLDER), self.intents.example_words | {DEAL_PLACEHOLDER},
                process)):
            # "what happened on United Oil SLA?": the open United Oil deals match "united oil", but the closed SLA
            # deal is named in full; the deal named most fully wins (open ones first when named as fully).
            resolution = resolve_deal(question, summaries.open + summaries.closed)
        mentioned = None if resolution.matches else unexplained_words(question, self.intents.example_words, process)
        if mentioned:  # a name no open deal has: "what happened on Acme?" may be about a won or lost one
            closed = resolve_deal(question, summaries.closed)
            resolution, mentioned = (closed, None) if closed.matches else (resolution, mentioned)
        stage = stage_named(question, process)
        masked = mask_deals(question, resolution.matches, DEAL_PLACEHOLDER)
        # "my biggest deal", "my next call" name a deal too: the router reads them as one.
        masked = _DESCRIBED.sub(DEAL_PLACEHOLDER, masked)
        if not resolution.matches:
            masked = _MY_DEAL.sub(DEAL_PLACEHOLDER, masked)
        if is_thanks(question):
            return Understanding("help", None, rule="thanks")
        if looks_like_pipeline_question(question) and question.lower().lstrip().startswith("pipeline"):
            return Understanding("pipeline", None, rule="pipeline prefix")
        if sets_a_target(question):  # "set Alice's Q1 target to 300k": the pipeline intent proposes it
            return Understanding("pipeline", None, rule="set a target")
        if resolution.matches and _SWAP.match(masked) and last_intent in self._deal_intents():
            return Understanding(last_intent, None, resolution.matches, stage=stage, rule="same question, other deal")
        if resolution.matches and masked.strip(" ?.!").lower() == DEAL_PLACEHOLDER:
            return Understanding("deal_plan", None, resolution.matches, stage=stage, rule="a deal's name alone")
        asks = bool(_ASKS.match(masked) or question.rstrip().endswith("?")) and not _ASKS_TO_WRITE.search(masked)
        if resolution.matches and _TOLD.match(masked) and not asks:
            return Understanding("record", None, resolution.matches, stage=stage, rule="the buyer told us")
        if resolution.matches and CLOSED_NEWS.search(masked) and not (_WH_FIRST.match(masked) or
                                                                      question.rstrip().endswith("?")):
            return Understanding("record", None, resolution.matches, stage=stage, rule="the deal's outcome")
        # A question ("Globex: how do I handle their pricing pushback?") is never news to record.
        ruled_out = ("record",) if asks else ()
        route = self.router.route(masked, ruled_out=ruled_out)
        if mentioned and not (route.intent == "off_topic" and route.score >= OFF_TOPIC_SURE) \
                and not _SOMEONES_DEALS.search(question):  # "Zed's deals" names a person, as "Carol's deals" does
            # A deal we can't match ("next on Ghostbusters", "what's the status of Wonka") reads as any deal's
            # name would: where a name stands, or else all the unexplained words. That reading is taken when
            # the question is unclear as typed, or when it is much more like the examples read so
            # ("a message I can send Umbrella's buyer"); not when plain ("any advice on negotiating discounts").
            guess = self.router.route(mask_words(masked, placed_like_a_deal(question, mentioned) or mentioned,
                                                 DEAL_PLACEHOLDER), ruled_out=ruled_out)
            if self._reads_better(guess, route):
                route = guess
        elif in_focus and not resolution.matches and _THIS_DEAL.search(masked):
            # "nudge them", "what's blocking it": read as the deal in focus would be, when that reads closer.
            guess = self.router.route(_THIS_DEAL.sub(DEAL_PLACEHOLDER, masked), ruled_out=ruled_out)
            if guess.intent in self._deal_intents() and self._reads_better(guess, route):
                route = guess
        intent = route.intent
        # Pipeline words settle what the router is unsure of, and a list of problems for a named person or team
        # (only the reports scope by person: "stuck deals for Bob" must not answer with the asker's own list).
        # A confident reading otherwise stands ("what's gone stale in my pipe" as the attention list, "my
        # weighted pipeline" as a scorecard): it was right more often on 624 phrasings by two new authors.
        if looks_like_pipeline_question(question) and not resolution.matches:
            someone = names_someone(question)
            if ((not route.confident or (intent == "attention" and someone))
                    and (not mentioned or someone)):  # "why is Monarch stuck" is about a deal
                return Understanding("pipeline", route, stage=stage, rule="pipeline words")
        if route.closeness < NOTHING_CLOSE:  # like none of the coach's phrasings: most likely not about selling
            return Understanding("off_topic", route, resolution.matches, mentioned, stage, rule="nothing close")
        if not route.confident and route.runner_up:
            # Torn between two readings where one cannot be meant, the other is answered: one deal when no
            # deal is named or in focus ("is it at risk": it could only ask back which deal), or a manager's
            # question asked by a rep ("who else should I chase": the ranking would be refused).
            for cannot, rule in ((self._deal_intents() if not (resolution.matches or mentioned or in_focus)
                                  else set(), "no deal to ask about"),
                                 (self._managers_intents() if viewer.role == Role.rep else set(), "not for reps")):
                if (intent in cannot) != (route.runner_up in cannot):
                    meant = route.runner_up if intent in cannot else intent
                    return Understanding(meant, route, resolution.matches, mentioned, stage, rule=rule)
        return Understanding(intent, route, resolution.matches, mentioned, stage)

    # -- answering -----------------------------------------------------------------------------

    def _answer(self, session, viewer, question, now, convo, history, on_delta,
                progress: Progress | None = None) -> tuple[CoachAnswer, dict]:
        intents = self.intents
        if not question:
            return intents["help"].handle(self._ask(session, viewer, question, now, history, on_delta)), {}
        question = spell_out(question)  # "fu w/ hooli tmrw" reads as written out, to every rule below
        state = conversations.last_state(history)
        pending = self._pending_answer(session, viewer, question, now, state)
        if pending is not None:  # a yes or a no; or the follow-up proposed again for another day, waiting in turn
            return pending, ({"proposal": pending.proposal.to_json()} if pending.proposal else {})
        follow_up = self._pipeline_follow_up(question, convo, history)
        if follow_up is not None:
            return answer_requests(self.runtime, viewer, [follow_up], now=now), {}
        answered = self._answered_which(session, viewer, question, now, history, on_delta, state)
        if answered is not None:
            return answered
        again = self._asked_again(session, viewer, question, convo, history)
        if again is not None:
            question = again
        picked = self._picked_from_choices(session, viewer, question, state)
        if picked is not None:
            intent = intents.get(state.get("choice_for") or "deal_plan", intents["deal_plan"])
            ask = self._ask(session, viewer, question, now, history, on_delta, deal=picked)
            return self._run(intent, ask, None)
        question = self._name_the_pick(session, viewer, question, state)
        # Beyond what the coach does (send, book, quota, another's data): refused before anything is read as a deal.
        refused = edge.refusal(self._ask(session, viewer, question, now, history, on_delta))
        if refused is not None:
            return refused, {}
        last_intent = convo.last_intent if convo else None
        in_focus = bool(convo is not None and convo.deal_id)
        if self.chat_model is not None:  # the model reads the question; the router's reading is its hint
            # Imported here: openai's client takes a second or more to import, and the offline coach never needs it.
            from bot.coach import agent

            hint = self.understand(session, viewer, question, last_intent, in_focus)
            # Plainly outside selling, or asking what the coach does: the answer needs no model.
            if hint.unsure or intents[hint.intent].needs_model:
                def answer(asked: str, understood: Understanding) -> CoachAnswer:  # a tool call, as the asker
                    return self.answer_understood(session, viewer, asked, understood, now, convo, history, None)[0]

                worded = agent.answer(self.chat_model, self._ask(session, viewer, question, now, history, on_delta),
                                      hint, answer)
                if worded is not None:
                    return worded
        understood = self.understand(session, viewer, question, last_intent, in_focus)
        if understood.also is not None:
            return self._two_answers(session, viewer, understood, now, convo, history, progress)
        return self.answer_understood(session, viewer, question, understood, now, convo, history, on_delta)

    def answer_understood(self, session, viewer, question, understood: Understanding, now, convo, history,
                           on_delta) -> tuple[CoachAnswer, dict]:
        intent = self.intents[understood.intent]
        if (intent.slots is StageSlots and understood.stage is None and not understood.unsure
                and (understood.deals or (convo is not None and convo.deal_id))):
            # "and which exit criteria are still open?" names no stage but has a deal named or in focus: it asks
            # about that deal's criteria, which its plan lists (privately), not which stage of the process.
            intent = self.intents["deal_plan"]
        ask = self._ask(session, viewer, question, now, history, on_delta, stage=understood.stage,
                        read_as=understood.route.text if understood.route else "")
        named = understood.deals[0] if len(understood.deals) == 1 else None
        if named is not None and named.status != DealStatus.open and (understood.unsure or intent.needs_deal):
            # Whatever was asked of a won or lost deal ("what happened on Acme?"), how it ended is the answer.
            deal = deal_store.visible_deal(session=ask.session, viewer=ask.viewer, deal_id=named.id)
            return self._closed(ask, deal, understood.confidence), {}
        route = understood.route
        if understood.unsure and understood.mentioned and not understood.deals and {
                route.intent, route.runner_up} <= self._deal_intents():  # either reading needs that deal first
            return _not_found(understood.mentioned), {}
        if understood.unsure:
            return self._clarify(ask, route), {}
        if intent.needs_deal:
            found = self._deal_for(ask, understood, convo)
            if isinstance(found, CoachAnswer):
                state = {"choices": [d.id for d in found.choices], "choice_for": intent.name} if found.choices else {}
                if found.intent == "which_deal":  # "the hooli one", "the one in validate", "2": answers the question
                    state = {"which_for": intent.name, "asked": question, "options": self._own_deal_ids(ask)}
                found.confidence = understood.confidence
                return found, state
            if found.status != DealStatus.open:  # the deal in focus closed since: how it ended instead
                return self._closed(ask, found, understood.confidence), {}
            ask.deal = found
        return self._run(intent, ask, understood.confidence)

    def _two_answers(self, session, viewer, understood: Understanding, now, convo, history,
                     progress: Progress | None = None) -> tuple[CoachAnswer, dict]:
        """Two questions in one message, each answered in turn (``progress`` told as each starts and is done);
        the first answer's deal and buttons lead."""
        first_clause, second_clause = understood.clauses
        second_understood = understood.also
        if not second_understood.deals and self.intents[second_understood.intent].needs_deal:
            # "whats next on globex and what's blocking it": the second question is about the first one's deal
            second_understood.deals, second_understood.mentioned = understood.deals, None
        answers = []
        for number, (clause, reading) in enumerate(((first_clause, understood), (second_clause, second_understood)), 1):
            if progress is not None:
                progress(PartProgress(number, 2, clause, done=False))
            answers.append(self.answer_understood(session, viewer, clause, reading, now, convo, history, None)[0])
            if progress is not None:
                progress(PartProgress(number, 2, clause, done=True))
        first, second = answers
        first.result = Combined.of((first.result, second.result), also=second.intent)
        first.citations += [c for c in second.citations if c not in first.citations]
        first.deal, first.plan = first.deal or second.deal, first.plan or second.plan
        return first, {}

    @staticmethod
    def _closed(ask: Ask, deal: Deal, confidence: float | None) -> CoachAnswer:
        answer = answer_closed(ask, deal)
        answer.confidence = confidence
        return answer

    def _run(self, intent: Intent, ask: Ask, confidence: float | None) -> tuple[CoachAnswer, dict]:
        answer = intent.handle(ask)
        answer.confidence = confidence
        state = {"proposal": answer.proposal.to_json()} if answer.proposal else {}
        if answer.listed:
            state["listed"] = answer.listed
        return answer, state

    def _ask(self, session, viewer, question, now, history, on_delta, **slots) -> Ask:
        return Ask(runtime=self.runtime, session=session, viewer=viewer, question=question, now=now,
                   intents=self.intents, retriever=self.retriever, history=history, on_delta=on_delta, **slots)

    def _deal_for(self, ask: Ask, understood: Understanding, convo):
        """The deal the question is about, or the answer that says why there is none (not found, which one?)."""
        session, viewer = ask.session, ask.viewer
        if len(understood.deals) > 1:
            choices = [self._ref(session, viewer, s.id) for s in understood.deals]
            return CoachAnswer(Clarification(composer.compose_choices(choices)), "deal_choice", choices=choices)
        deal_id = understood.deals[0].id if understood.deals else None
        if deal_id is None and understood.mentioned and not _THIS_DEAL.search(ask.question):
            return _not_found(understood.mentioned)
        if deal_id is None:
            deal_id = self._deal_described(session, viewer, ask.question, ask.now)
        if deal_id is None and convo is not None:
            deal_id = convo.deal_id
        if deal_id is None and _MY_DEAL.search(ask.question):  # "whats next on my deal", with one deal: that one
            mine = self._own_deal_ids(ask)
            deal_id = mine[0] if len(mine) == 1 else None
        deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id) if deal_id else None
        if deal is not None:  # a focus deal is re-checked: access can change between turns
            return deal
        if understood.mentioned:
            return _not_found(understood.mentioned)
        mine = deal_store.open_deals_for(session=session, viewer=viewer, owner_id=viewer.rep_id)[:3]
        return CoachAnswer(Clarification(composer.compose_which_deal([d.name for d in mine])), "which_deal")

    @staticmethod
    def _own_deal_ids(ask: Ask) -> list[int]:
        return [d.id for d in deal_store.open_deals_for(session=ask.session, viewer=ask.viewer,
                                                        owner_id=ask.viewer.rep_id)]

    @staticmethod
    def _deal_described(session, viewer: Viewer, question: str, now: datetime) -> int | None:
        """"my biggest deal" (the largest open one), "my next call" (the deal whose follow-up is due soonest)."""
        if _BIGGEST.search(question):
            biggest = deal_store.open_deals_for(session=session, viewer=viewer, owner_id=viewer.rep_id)
            return biggest[0].id if biggest else None
        if _NEXT_CALL.search(question):
            upcoming = deal_store.open_followups_due_by(session=session, viewer=viewer, until=now + timedelta(days=366))
            return next((deal.id for followup, deal in upcoming if followup.due_at >= now), None)
        return None

    def _clarify(self, ask: Ask, route: Route) -> CoachAnswer:
        intents = self.intents
        candidates = [intents[name] for name in (route.intent, route.runner_up) if name in intents]
        candidates = [i for i in candidates if i.name not in ("off_topic", "help")]
        if not candidates:
            return intents["help"].handle(ask)
        example = self._example_deal(ask)
        offers = [bullet(f"{i.summary} — e.g. “{i.try_it.format(deal=example)}”" if i.try_it else i.summary)
                  for i in candidates]
        body = doc(line("I'm not sure what you're after. Did you mean:"), offers)
        return CoachAnswer(Clarification(body, "candidates", tuple(i.name for i in candidates)), "clarify",
                           confidence=route.score)

    def _example_deal(self, ask: Ask) -> str:
        mine = deal_store.open_deals_for(session=ask.session, viewer=ask.viewer, owner_id=ask.viewer.rep_id)
        return mine[0].name if mine else "your deal"

    def _pending_answer(self, session, viewer, question, now, state) -> CoachAnswer | None:
        """A "yes" or "no" to a write the previous answer proposed (or to nothing at all)."""
        decision = proposals.is_yes(question)
        if decision is None:
            return self._changed_day(session, viewer, question, now, state)
        if not state.get("proposal"):
            return CoachAnswer(Note(doc(line("There's nothing waiting for a yes or no from you right now. To record "
                                             "something, tell me what happened, e.g. “Globex confirmed budget”."))),
                               "nothing_pending")
        return proposals.answer_pending(runtime=self.runtime, session=session, viewer=viewer, state=state,
                                        confirmed=decision, now=now)

    def _changed_day(self, session, viewer, question, now, state) -> CoachAnswer | None:
        """"actually make it wed" to a proposed follow-up: the same follow-up proposed again for that day."""
        waiting = state.get("proposal") or {}
        if waiting.get("kind") != "followup" or not _NEW_DAY.match(question):
            return None
        deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=waiting["deal_id"])
        if deal is None:
            return None
        day = _NEW_DAY.match(question).group("day")
        asked = f"remind me to {waiting.get('note') or 'follow up'} {day}"
        return self._run(self.intents["record"], self._ask(session, viewer, asked, now, [], None, deal=deal), None)[0]

    def _picked_from_choices(self, session, viewer, question, state):
        """"the second one" after a list of deals to choose from, or of deals to work on."""
        match = _PICK.match(question)
        return _listed_deal(session, viewer, state, match.group(1)) if match else None

    @staticmethod
    def _name_the_pick(session, viewer, question: str, state: dict) -> str:
        """"ok the first one, what's blocking it" after a list: the question with that deal's name in its place."""
        match = _PICKED_IN.search(question)
        deal = _listed_deal(session, viewer, state, next(g for g in match.groups() if g)) if match else None
        return question if deal is None else f"{question[:match.start()]}{deal.name}{question[match.end():]}"

    def _answered_which(self, session, viewer, question, now, history, on_delta, state):
        """After "which deal do you mean?": "the hooli one", "the one in validate", "#2", "analytics" answer the
        question asked, for that deal (one of the asker's own, as listed)."""
        options, intent_name = state.get("options"), state.get("which_for")
        if not options or intent_name not in self.intents:
            return None
        deals = [d for d in (deal_store.visible_deal(session=session, viewer=viewer, deal_id=i) for i in options) if d]
        deal = _deal_in_short_answer(question, deals, self.runtime.process)
        if deal is None:
            return None
        ask = self._ask(session, viewer, state.get("asked") or question, now, history, on_delta, deal=deal)
        return self._run(self.intents[intent_name], ask, None)

    @staticmethod
    def _asked_again(session, viewer, question: str, convo, history: list[dict]) -> str | None:
        """The previous question asked again for another person ("and Maria?") or another period ("and for last
        quarter?"), as a question of its own: the same access rules hold, as they would for it typed in full."""
        if convo is None or convo.last_intent not in _ASKED_AGAIN:
            return None
        previous = next((turn["text"] for turn in reversed(history) if turn["role"] == "user"), None)
        rest = _FOLLOW_ON.sub("", question).strip(" ?.!,").lower()
        if previous is None or not rest:
            return None
        if _PERIOD_WORDS.fullmatch(rest):
            return f"{_PERIOD_WORDS.sub('', previous).strip(' ?.!,')} {rest}"
        if convo.last_intent in _FOR_PERSON and re.fullmatch(r"[a-z][a-z'-]+", rest) and rest not in _NOT_A_NAME and \
                not resolve_deal(rest, deal_store.visible_deal_summaries(session=session, viewer=viewer)).matches:
            return _FOR_PERSON[convo.last_intent].format(name=rest.capitalize())
        return None

    @staticmethod
    def _pipeline_follow_up(question: str, convo, history: list[dict]):
        """After a pipeline answer, "and September?" or "and for Bob?" asks for the same reports again."""
        if convo is None or not (convo.last_intent or "").startswith("pipeline"):
            return None
        asked = [turn["text"] for turn in history if turn["role"] == "user"]
        # The newest question that named a report: a second follow-up keeps the report of the first.
        return next((request for previous in reversed(asked) if (request := carry_over(previous, question))), None)

    def suggestions(self, viewer: Viewer, now: datetime | None = None) -> list[str]:
        """Questions worth asking right now, for the assistant's suggested prompts: the last one names
        the asker's most pressing deal (the top of the focus ranking)."""
        now = now or self.runtime.now()
        prompts = ["Where should I start today?", "Prep me for my next call"]
        with self.runtime.session() as session:
            mine = [r for r in rank(self._ask(session, viewer, "", now, [], None)) if r.deal.owner_id == viewer.rep_id]
        if mine:
            prompts.append(f"Draft a follow-up for {mine[0].deal.name}")
        prompts.append("How is my team's pipeline?" if viewer.is_manager else "Which follow-ups are overdue?")
        return prompts

    def deal_plan_answer(self, session, viewer: Viewer, deal: Deal, now: datetime) -> CoachAnswer:
        """The deal-plan answer for ``deal`` (one the viewer may see), picked by a button: nothing to read or
        route, no model call. A closed deal gets how it ended, as a question about it would."""
        ask = self._ask(session, viewer, "", now, [], None, deal=deal, read_as=_DEAL_PLAN_READING)
        if deal.status != DealStatus.open:
            return self._closed(ask, deal, None)
        return all_intents()["deal_plan"].handle(ask)

    # -- shared by intents -----------------------------------------------------------------------

    def _ref(self, session, viewer: Viewer, deal_id: int) -> DealRef:
        deal = deal_store.visible_deal(session=session, viewer=viewer, deal_id=deal_id)
        return deal_ref(deal_store.deal_state(session=session, deal=deal))

    @staticmethod
    def _reads_better(guess: Route, route: Route) -> bool:
        """Whether the reading with a deal where words stood (``guess``) is taken over the question as typed:
        when it is much more like the examples, or when it is closer and the question was unclear as typed."""
        gain = guess.closeness - route.closeness
        return gain >= CLOSER_AS_A_DEAL or (gain > 0 and not Coach._clear_without_the_name(route))

    @staticmethod
    def _clear_without_the_name(route: Route) -> bool:
        """The question reads plainly as typed: a confident reading, like some examples."""
        return route.intent != "off_topic" and route.confident and route.closeness >= NOTHING_CLOSE

    def _deal_intents(self) -> set[str]:
        return {name for name, intent in self.intents.items() if intent.needs_deal}

    def _managers_intents(self) -> set[str]:
        return {name for name, intent in self.intents.items() if intent.managers_only}


# A new day for a proposed follow-up: "actually make it wed", "change it to friday", "no, monday instead".
_NEW_DAY = re.compile(r"^\W*(?:(?:actually|no|oh|wait|sorry|hmm|ok)\b[\s,]*)*(?:(?:make|change|move|set) (?:it|that)"
                      r"(?: to| for)?\s+|(?:do|for)\s+)?(?P<day>(?:on |by )?(?:next |this )?(?:mon|tues?|wed|thu(?:rs?)?|fri|"
                      r"sat|sun)\w*|tomorrow|(?:dec|nov|jan)\w* \d{1,2}\w*)(?:\s+instead)?\W*$", re.I)
# "my deal", "my opp": a deal the asker means, not a list of deals.
_MY_DEAL = re.compile(r"\bmy\s+(?:deal|opp(?:ortunity)?|account)\b(?!s)", re.I)
# Answers about a person or a period, and how each is asked again for another person.
_FOR_PERSON = {"scorecard": "{name}'s scorecard", "deal_list": "{name}'s deals",
               "attention": "what needs attention for {name}", "scorecard_denied": "{name}'s scorecard",
               "deal_list_denied": "{name}'s deals"}
_ASKED_AGAIN = {*_FOR_PERSON, "team_ranking", "pipeline"}
_FOLLOW_ON = re.compile(r"^\W*(?:and|ok(?:ay)?|so|now|what about|how about|same for|same|and for|also|then|for)\b\s*"
                        r"(?:(?:what|how) about\s+|for\s+)?", re.I)
_PERIOD_WORDS = re.compile(r"\b(?:(?:this|last|past|previous|prior)\s+(?:week|month|quarter|year)|q[1-4](?:\s+\d{4})?|"
                           r"ytd|mtd|qtd|(?:in\s+)?\d{4}|(?:in\s+)?(?:january|february|march|april|may|june|july|"
                           r"august|september|october|november|december))\b", re.I)
_NOT_A_NAME = frozenset("me mine myself us we them team everyone yes no ok okay thanks thx why how what who else more "
                        "help hi hello hey cool great nice nope nah sure perfect awesome done again "
                        "less fewest most least worst best overdue stuck".split())
_GENERIC = frozenset("the one a an deal opp that this pls please ok okay yes yeah sure i mean meant in on for with "
                     "number no".split())


def _deal_in_short_answer(question: str, deals: list[Deal], process) -> Deal | None:
    """The deal a short answer picks among ``deals``: by place ("2", "#1", "the second"), by stage ("the one in
    validate") or by a word of its name ("the analytics deal", "globex pls"). None: the answer is no such pick."""
    text = question.lower().replace("’", "'")
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in _GENERIC]
    if not deals or not words or len(words) > 3:
        return None
    place = next((w for w in words if w in _ORDINALS), None)
    if place is not None and len(words) == 1:
        index = _ORDINALS[place]
        return deals[index] if -len(deals) <= index < len(deals) else None
    stage = stage_named(text, process)
    in_stage = [d for d in deals if stage is not None and d.stage_key == stage.key]
    if len(in_stage) == 1:
        return in_stage[0]
    named = [d for d in deals if any(w in re.findall(r"[a-z0-9]+", f"{d.name} {d.account or ''}".lower())
                                     for w in words)]
    return named[0] if len(named) == 1 else None


def _not_found(mentioned: str | None) -> CoachAnswer:
    return CoachAnswer(NotFound(composer.compose_not_found(mentioned), mentioned), "not_found")


def _listed_deal(session, viewer: Viewer, state: dict, place: str) -> Deal | None:
    """The deal at ``place`` ("second", "2nd", "3"...) of the list the newest answer showed, if the asker may see it."""
    listed = state.get("choices") or state.get("listed") or []
    index = _ORDINALS[place.lower()]
    if not listed or index >= len(listed):
        return None
    return deal_store.visible_deal(session=session, viewer=viewer, deal_id=listed[index])


def _build_router(model: str, cache_dir, intents: Intents, *, train_apart: bool = True) -> Router:
    import numpy as np

    from knowledge.embeddings import LocalEmbeddings, local_identity

    if train_apart and not Router.is_cached(intents.examples, cache_dir, local_identity(model)):
        _train_router_apart(model, cache_dir, intents.packages)
    embeddings = LocalEmbeddings(model)
    # The cache is keyed by the vectors' identity (model and runtime), not the model's name alone.
    return Router(intents.examples, lambda texts: np.asarray(embeddings.embed_array(texts), dtype=np.float32),
                  lambda text: np.asarray(embeddings.embed_query(text), dtype=np.float32),
                  cache_dir=cache_dir, model=local_identity(model))


def start_router_training(runtime: Runtime) -> None:
    """Starts embedding and training the router's examples in a child process now, when they are not cached,
    so that the work (half a minute of one core on a fresh data directory) overlaps what the caller does
    next (the demo indexes its notes and generates its company meanwhile); the first question waits for it."""
    from knowledge.embeddings import local_identity

    model, cache_dir, intents = runtime.settings.local_embedding_model, runtime.settings.home / "cache", all_intents()
    if not Router.is_cached(intents.examples, cache_dir, local_identity(model)):
        _TRAINING[str(cache_dir)] = _router_trainer(model, cache_dir, intents.packages)


def _train_router_apart(model: str, cache_dir, packages: tuple[str, ...]) -> None:
    """Embeds the examples and trains the router in a child process that leaves its cache behind (or waits
    for the one ``start_router_training`` started).

    Embedding thousands of examples and training (SciPy, scikit-learn) leave a process 140 MB larger for
    good, which a Slack worker would carry all its life and a one-shot ask would peak at; the process that
    routes reads the cache instead. When the child fails the caller builds the router itself, and so meets
    the same error (a model not installed, say) where it can report it.
    """
    child = _TRAINING.pop(str(cache_dir), None) or _router_trainer(model, cache_dir, packages)
    _, stderr = child.communicate()
    if child.returncode != 0:
        logger.warning("training the router apart failed (%s); training here:\n%s", child.returncode, stderr[-2000:])


_TRAINING: dict[str, subprocess.Popen] = {}  # cache directory -> the child training its router


def _router_trainer(model: str, cache_dir, packages: tuple[str, ...]) -> subprocess.Popen:
    code = ("import sys\nfrom bot.coach.engine import _build_router\nfrom bot.coach.intents import intents_in\n"
            "_build_router(sys.argv[1], __import__('pathlib').Path(sys.argv[2]), intents_in(*sys.argv[3:]), "
            "train_apart=False)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    return subprocess.Popen([sys.executable, "-c", code, model, str(cache_dir), *packages], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


class _Book:
    """The deals an asker may see, by name: the open ones read at once; the closed ones (a long list in real
    CRM data) only when a question names no open deal."""

    def __init__(self, session, viewer: Viewer):
        self._session, self._viewer = session, viewer
        self.open = deal_store.visible_deal_summaries(session=session, viewer=viewer)

    @cached_property
    def closed(self) -> list[deal_store.DealSummary]:
        return deal_store.visible_deal_summaries(session=self._session, viewer=self._viewer, closed=True)


# The router's probability above which a question with unknown words is outside selling whatever the words
# name: "tell me a joke about penguins" (1.0), "capital of australia" (0.94); not "why does Umbrella look so
# bad" (0.84), "what's the status of Wonka" (0.40).
OFF_TOPIC_SURE = 0.9
# How much closer to the examples a question must come with its unknown words read as a deal's name to be
# read so though it was clear as typed: "a message I can send Umbrella's buyer" +0.30; "any advice on
# negotiating discounts" +0.04, "how do I coach reps on qualifying better" +0.11.
CLOSER_AS_A_DEAL = 0.2

# Where one message holds two questions: "whats overdue and what should i do on globex", "x? y".
_SPLIT = re.compile(r"\?\s+(?=\S)|\s*;\s*|,?\s+(?:and|also|plus|&)(?:\s+then)?\s+(?=(?:what|which|how|why|who|where|when)(?:['’]?s)?\b"
                    r"|(?:is|are|can|could|should|do|does|draft|write|prep|show|list|give|tell|any)\b)", re.I)


def _clauses(question: str) -> list[str]:
    """The questions in a message, when it holds two of at least two words each; else the message."""
    parts = [p.strip(" ,") for p in _SPLIT.split(question) if p and p.strip(" ,")]
    return parts if len(parts) == 2 and all(len(p.split()) >= 2 for p in parts) else [question]

