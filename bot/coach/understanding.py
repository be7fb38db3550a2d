"""What a question asks for, read before anything is answered: shared by the engine and the LLM agent."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.coach.router import Route
from knowledge.process_map import Stage
from storage import deals as deal_store


@dataclass
class Understanding:
    """What a question asks for, before anything is answered."""

    intent: str
    route: Route | None  # None when an exact rule decided
    deals: list[deal_store.DealSummary] = field(default_factory=list)  # the visible deals it names
    mentioned: str | None = None  # words that look like a deal's name but name no deal the asker may see
    stage: Stage | None = None
    rule: str | None = None  # the exact rule that decided, if any
    also: Understanding | None = None  # a second question in the same message
    clauses: list[str] = field(default_factory=list)  # the message split into its two questions, when it held two

    @property
    def confidence(self) -> float | None:
        return None if self.route is None or self.rule else self.route.score

    @property
    def unsure(self) -> bool:
        """The router decided, and not clearly enough to answer without asking."""
        return self.rule is None and self.route is not None and not self.route.confident
