"""What an intent is, and what its handler is given.

An intent is one thing the coach can do: whether it needs a deal, the slots the LLM agent fills
when it calls it as a tool, who may see its answers, and a handler that turns an ``Ask`` into a
``CoachAnswer`` (its text and the structured data behind it). Its example phrasings are data, in
the YAML file beside its module. Handlers read through storage functions that take the asker's
``Viewer``, so access holds whatever the wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from bot.coach.router import normalize
from bot.coach.types import Citation, CoachAnswer
from bot.core.config import Settings
from bot.core.plan import DealPlan, build_plan
from bot.core.runtime import Runtime
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import Deal

if TYPE_CHECKING:
    from knowledge.process_map import ProcessMap, Stage
    from knowledge.retriever import Passage

# The router reads questions with the deal's name replaced by one word, so "why is Globex stuck" and "why is
# Initech stuck" read alike. It is a word no customer is called: with "acme", a real Acme read as any deal's
# name and, once closed, as a word the coach knows rather than a name to look up. One word of letters, so
# every tokenizer (router, resolver, record's content words) keeps it whole.
DEAL_PLACEHOLDER = "xdealx"
# How the examples files write a deal's name (easier to read and write); read as DEAL_PLACEHOLDER.
EXAMPLES_DEAL = "acme"


class Passages(Protocol):
    """Searches the methodology notes and playbooks (``knowledge.retriever.Retriever``)."""

    def search(self, query: str, *, context: Sequence[str] = (), stage_key: str | None = None,
               kinds: Sequence[str] | None = None, k: int = 4, sources: Sequence[str] | None = None) -> list[Passage]:
        ...


@dataclass
class Ask:
    """One question being answered: who asks, what they said, what it names, and the means to answer:
    the process map and settings (from ``runtime``), the notes (``retriever``), the session, every intent.

    ``runtime`` is also what another engine's service takes (the pipeline reports run in their own
    transaction); handlers read through ``session``, never open one.
    """

    runtime: Runtime
    session: Session
    viewer: Viewer
    question: str
    now: datetime
    intents: Mapping[str, Intent]  # every intent the coach knows (the help answer lists them)
    retriever: Passages | None = None  # None: no passages (tips and methodology answers go without)
    history: list[dict] = field(default_factory=list)
    deal: Deal | None = None  # the deal it is about (named, chosen or in focus); always one the asker may see
    stage: Stage | None = None  # a stage the question names
    on_delta: Callable[[str], None] | None = None
    read_as: str = ""  # the question as the router read it (deal names masked), when the router read it

    @property
    def question_as_read(self) -> str:
        """The text to search the notes with for the question: the router's reading, whose embedding it
        already computed (lowercase, shorthand spelled out, a deal's name not mistaken for a topic)."""
        return self.read_as or normalize(self.question)

    @cached_property
    def process(self) -> ProcessMap:
        """The active process map, read once for the question."""
        return self.runtime.process

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @cached_property
    def plan(self) -> DealPlan:
        """The deterministic plan for ``deal`` (which must be set)."""
        assert self.deal is not None, "plan asked for with no deal"
        return build_plan(deal_store.deal_state(session=self.session, deal=self.deal), self.process, self.now)

    def plan_of(self, deal: Deal) -> DealPlan:
        """The plan of another deal the asker may see (focus ranks several)."""
        return build_plan(deal_store.deal_state(session=self.session, deal=deal), self.process, self.now)

    def passages(self, query: str, *, context: Sequence[str] = (), stage_key: str | None = None, k: int = 2,
                 kinds: tuple[str, ...] = ("methodology", "playbook"), sources: Sequence[str] = ()) -> list[Passage]:
        """Playbook and methodology passages relevant enough to show (none without a retriever; the
        retriever drops those under its measured threshold).

        ``context``: texts of the process map that narrow the search (a stage, its open criteria), searched
        together with ``query``; see ``Retriever.search``.
        """
        if self.retriever is None:
            return []
        return self.retriever.search(query, context=context, stage_key=stage_key, kinds=list(kinds), k=k,
                                     sources=list(sources) or None)

    def stage_named(self, text: str) -> Stage | None:
        """The stage ``text`` names by key or name ("discovery" names Discover)."""
        return stage_named(text, self.process)

    def map_citation(self, stage: Stage) -> Citation:
        return Citation(f"processes/{Path(self.process.source).name}", f"Stage: {stage.name}")


def stage_named(text: str, process: ProcessMap) -> Stage | None:
    """The stage of ``process`` that ``text`` names by key or name ("discovery" names Discover)."""
    words = re.findall(r"[a-z]+", text.lower())
    for stage in process.stages:
        name = stage.name.lower()
        if stage.key in words or any(w == name or (w.startswith(name) and len(w) - len(name) <= 3) for w in words):
            return stage
    return None


class Slots(BaseModel):
    """What an intent reads from a question besides the intent itself: none, unless a subclass adds fields.

    Each field is a string the person said (a deal "as the person named it", a period "as asked"); the LLM
    agent's tool for the intent takes them as its arguments, and its schema is derived from these fields.
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class DealSlots(Slots):
    deal: str = Field(description="As the person named it.")


class PersonSlots(Slots):
    person: str = Field("", description="A teammate; omit for the asker.")


PERIOD_AS_ASKED = "As asked; omit if none."  # a period slot's description


@dataclass(frozen=True)
class Tool:
    """How the LLM agent offers an intent: a function tool named ``name`` whose arguments are the intent's slots.

    Args:
        name: the tool's name, as the model calls it.
        description: what it does, for the model.
        words: how the arguments read as a question for the intent's handler ("how is {person} doing
            {period}"); None passes the person's own question.
    """

    name: str
    description: str
    words: str | None = None


@dataclass(frozen=True)
class Intent:
    """One thing the coach can do.

    Args:
        name: the label in answers, ``ask --json`` and the phrasing tests.
        summary: what it does, for the help answer ("what to do next on a deal").
        handle: the handler; it returns the answer and the data behind it.
        needs_deal: the engine finds the deal first (named, chosen, or in focus) or says why it can't.
        try_it: a sample question for the help answer; ``{deal}`` becomes one of the asker's deals.
        managers_only: a rep asking gets a refusal (the handler says so); a rep torn between it and
            another reading gets the other.
        slots: what it reads from a question (the deal, a person, a period...), typed.
        tool: how the LLM agent may call it (its arguments are ``slots``); None: the agent never calls it.
        public: its answers are about the process only, never a deal, a person or a figure: they may be
            shown to everyone in a channel.
        needs_model: with a chat model configured, the model reads questions routed here; False: the
            offline answer is as good (what the coach does, a question outside selling).
        as_computed: its answer is shown as computed, never reworded by the model (a write's exact
            wording, the list of what the coach does).
        menu: its place in the help answer's list of what the coach does (lower first; with ``try_it``);
            None: not listed.
        menu_for_managers: listed to managers only.
        examples: phrasings the router learns it from, ``DEAL_PLACEHOLDER`` standing for any deal's name (the
            examples files write ``acme``, which the registry reads as the placeholder); read by the
            registry from the YAML file beside the intent's module (``deal_plan.yaml`` for ``deal_plan.py``).
    """

    name: str
    summary: str
    handle: Callable[[Ask], CoachAnswer]
    needs_deal: bool = False
    try_it: str | None = None
    managers_only: bool = False
    slots: type[Slots] = Slots
    tool: Tool | None = None
    public: bool = False
    needs_model: bool = True
    as_computed: bool = False
    menu: int | None = None
    menu_for_managers: bool = False
    examples: tuple[str, ...] = ()
