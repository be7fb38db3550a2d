"""What an intent is, and what its handler is given.

An intent is one thing the coach can do: the phrasings the router learns it from,
whether it needs a deal, and a handler that turns an ``Ask`` into a ``CoachAnswer``
(its text and the structured data behind it). Handlers read through storage
functions that take the asker's ``Viewer``, so access holds whatever the wording.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.coach.router import normalize
from bot.coach.types import Citation, CoachAnswer
from bot.core.plan import DealPlan, build_plan
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import Deal

if TYPE_CHECKING:
    from bot.coach.engine import Coach
    from knowledge.process_map import ProcessMap, Stage
    from knowledge.retriever import Passage

# Router examples write "acme" wherever a deal's name goes: the router reads questions with the
# deal's name replaced by the same word, so "why is Globex stuck" and "why is acme stuck" read alike.
DEAL_PLACEHOLDER = "acme"


@dataclass
class Ask:
    """One question being answered: who asks, what they said, what it names, and the means to answer."""

    coach: Coach
    session: Session
    viewer: Viewer
    question: str
    now: datetime
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

    @property
    def process(self) -> ProcessMap:
        return self.coach.runtime.process

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
        """Playbook and methodology passages relevant enough to show (none without a retriever).

        ``context``: texts of the process map that narrow the search (a stage, its open criteria), searched
        together with ``query``; see ``Retriever.search``.
        """
        return self.coach.passages(query, context=context, stage_key=stage_key, k=k, kinds=kinds, sources=sources)

    def map_citation(self, stage: Stage) -> Citation:
        return Citation(f"processes/{Path(self.process.source).name}", f"Stage: {stage.name}")


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
        examples: phrasings the router learns it from, ``acme`` standing for any deal's name; read by the
            registry from the YAML file beside the intent's module (``deal_plan.yaml`` for ``deal_plan.py``).
    """

    name: str
    summary: str
    handle: Callable[[Ask], CoachAnswer]
    needs_deal: bool = False
    try_it: str | None = None
    managers_only: bool = False
    examples: tuple[str, ...] = ()
