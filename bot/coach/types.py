"""What the coach computes and returns. Plain data, shared by every surface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from bot.coach.results import Proposal, Result
from bot.core.plan import DealPlan, DealRef


@dataclass(frozen=True)
class PartProgress:
    """A part of a multi-part answer started (``done`` False) or computed (``done`` True): part ``number`` of
    ``of``, named by ``title``, the asker's own words for it (never a model's)."""

    number: int
    of: int
    title: str
    done: bool


Progress = Callable[[PartProgress], None]  # told of each part as it is computed; a surface shows it


@dataclass(frozen=True)
class Citation:
    source: str   # file the passage came from, e.g. "methodologies/challenger.md"
    section: str  # heading or map path, e.g. "Stage: Discover"


@dataclass
class CoachAnswer:
    """An answer: the typed ``result`` (its words and facts), with what surfaces need for buttons and sources."""

    result: Result
    intent: str
    deal: DealRef | None = None
    plan: DealPlan | None = None
    citations: list[Citation] = field(default_factory=list)
    choices: list[DealRef] = field(default_factory=list)  # when the question matched several deals
    listed: list[int] = field(default_factory=list)  # ids of the deals a list showed, in order ("the second one")
    worded_by_llm: bool = False
    confidence: float | None = None  # how sure the router was of the intent (None: an exact rule decided)
    proposal: Proposal | None = None  # a write waiting for the person's confirmation
    llm_rejections: int = 0  # LLM answers the claim checker refused this turn
    freshness: str | None = None  # "deal data last synced 3 h ago": set by the service layer when CRM data is stale
    # Sentences whoever words the answer must carry, as they are (the CRM kept a change of the rep's out):
    # the LLM's wording that drops one is refused like a wrong claim (``bot.coach.agent``)
    must_say: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The answer's words as plain text (no emphasis, no marks): JSON, history and the LLM read this."""
        return self.result.doc().plain()

    @property
    def data(self) -> dict:
        """The result's facts as JSON values."""
        return self.result.data()

    def to_json(self) -> dict:
        """The ``stagecoach ask --json`` shape."""
        plan = self.plan
        data = self.data
        return {
            "answer": self.text,
            "intent": self.intent,
            "deal": (
                {"external_id": self.deal.external_id, "name": self.deal.name, "stage": self.deal.stage_key}
                if self.deal else None
            ),
            "unmet_criteria": [c.key for c in plan.unmet] if plan else [],
            "next_activities": [a.key for a in plan.next_activities] if plan else [],
            "overdue_followups": [
                {"id": f.id, "due_at": f.due_at.isoformat(), "note": f.note, "days_overdue": f.days_overdue}
                for f in plan.overdue_followups
            ] if plan else [],
            "citations": [asdict(c) for c in self.citations],
            "choices": [{"external_id": d.external_id, "name": d.name, "stage": d.stage_key} for d in self.choices],
            "reports": data.get("reports", []),  # pipeline answers: every figure behind the sentences
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "proposal": self.proposal.to_json() if self.proposal else None,
            "llm_rejections": self.llm_rejections,
            "data": {k: v for k, v in data.items() if k != "reports"},
            "freshness": self.freshness,
        }
