"""What the coach computes and returns. Plain data, shared by every surface."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from bot.coach.results import Result
from bot.core.plan import DealPlan, DealRef


@dataclass(frozen=True)
class Citation:
    source: str   # file the passage came from, e.g. "methodologies/challenger.md"
    section: str  # heading or map path, e.g. "Stage: Discover"


@dataclass(frozen=True)
class Proposal:
    """A change the person asked for in words; nothing is written until they confirm it.

    ``kind`` is ``criterion`` (the buyer confirmed an exit criterion; ``evidence`` is the
    person's words), ``followup`` (``due_at`` and ``note``), ``activity`` (``note`` and,
    when it matches the map, ``activity_key``) or ``close`` (``won``; ``note`` is the reason). ``token`` names this proposal, so that
    confirming it twice writes once.
    """

    kind: str
    deal_id: int
    deal_name: str
    summary: str  # what will be written, in words, for the confirmation prompt
    token: str
    stage_key: str | None = None
    criterion_key: str | None = None
    criterion_stage: str | None = None  # an earlier stage's criterion, never confirmed there; None: stage_key's
    evidence: str | None = None
    due_at: datetime | None = None
    note: str | None = None
    activity_key: str | None = None
    won: bool | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["due_at"] = self.due_at.isoformat() if self.due_at else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> Proposal:
        due = data.get("due_at")
        return cls(**{**data, "due_at": datetime.fromisoformat(due) if due else None})


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
        }
