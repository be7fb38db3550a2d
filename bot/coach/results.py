"""What an intent returns: a typed result per kind of answer, its facts and the composer's wording of them.

Every result has ``body``, the deterministic composer's words (``bot.coach.rich.Doc``, no surface's
syntax), and its facts as typed fields. Surfaces render ``doc()`` and ``tables()``; ``data()`` is the
same facts as JSON (``stagecoach ask --json``'s ``data`` and ``reports``, what the LLM is given with
the words and what its answer is checked against).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.coach.rich import Doc, Line, joined

if TYPE_CHECKING:
    from bot.pipeline.periods import Period
    from bot.pipeline.reports import Report
    from storage.scorecard import Figures

SEPARATOR = "———"  # between two answers in one message


@dataclass(frozen=True)
class Proposal:
    """A change the person asked for in words; nothing is written until they confirm it.

    ``kind`` is ``criterion`` (the buyer confirmed an exit criterion; ``evidence`` is the
    person's words), ``followup`` (``due_at`` and ``note``), ``activity`` (``note`` and,
    when it matches the map, ``activity_key``), ``close`` (``won``; ``note`` is the reason) or ``target`` (``target``, no deal). ``token`` names this proposal, so that
    confirming it twice writes once.
    """

    kind: str
    deal_id: int | None  # None: a write about no deal (a target)
    deal_name: str  # for a target, whose it is
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
    target: dict | None = None  # kind ``target``: ``bot.pipeline.targets.TargetPlan.to_json()``

    def to_json(self) -> dict:
        data = asdict(self)
        data["due_at"] = self.due_at.isoformat() if self.due_at else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> Proposal:
        due = data.get("due_at")
        return cls(**{**data, "due_at": datetime.fromisoformat(due) if due else None})


@dataclass(frozen=True)
class Table:
    """Figures as a table: numbers stay numbers (renderers align and format them)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def to_json(self) -> dict:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows]}


@dataclass(frozen=True)
class Result:
    """An answer's words (``body``) and nothing else; every kind below adds its facts."""

    body: Doc

    def doc(self) -> Doc:
        """The words to show."""
        return self.body

    def data(self) -> dict:
        """The facts as JSON values."""
        return {}

    def tables(self) -> tuple[Table, ...]:
        return ()

    def table_view(self) -> Table | None:
        """The answer's rows as one table, for a surface that can show it in place of the words (Slack's table
        block); None when the answer has no rows. The words say the same, for surfaces that show text."""
        return None

    def reports(self) -> tuple[Report, ...]:
        """Pipeline reports behind the answer (surfaces chart some of them)."""
        return ()


# -- words only -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Help(Result):
    """What the coach can do (help, off-topic, unknown), or a word back to a thank-you."""

    thanks: bool = False

    def data(self) -> dict:
        return {"thanks": True} if self.thanks else {}


@dataclass(frozen=True)
class Refusal(Result):
    """What the coach can't do, said plainly, with the nearest thing it can (the same words whoever or
    whatever was named: a refusal never tells whether a hidden deal, person or team exists).

    ``kind``: ``action`` (a thing it doesn't do: send, book, delete, change the CRM), ``data`` (data it
    doesn't have: pay plans, news, phone numbers), ``access`` (what the asker may not see) or
    ``outside`` (outside selling). ``offer``: the nearest thing it can do, as a question to ask it.
    """

    kind: str = "access"
    offer: str | None = None

    def data(self) -> dict:
        return {"refused": self.kind, "offer": self.offer}


@dataclass(frozen=True)
class NotFound(Result):
    """No deal or person the asker may see by that name."""

    mentioned: str | None = None


@dataclass(frozen=True)
class Clarification(Result):
    """A question back: which deal, which stage, which criterion, which period, what was meant.

    ``options`` are keys the person may pick from, in ``data()`` under ``options_key``; ``needs`` says what
    is missing ("due date").
    """

    options_key: str | None = None
    options: tuple[str, ...] = ()
    needs: str | None = None

    def data(self) -> dict:
        out: dict = {self.options_key: list(self.options)} if self.options_key else {}
        return {**out, "needs": self.needs} if self.needs else out


@dataclass(frozen=True)
class Note(Result):
    """A short statement with nothing behind it (nothing waiting for a yes, say)."""


# -- one deal -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealPlanResult(Result):
    """What to do next on a deal (the plan itself travels on the answer: ``CoachAnswer.plan``)."""


@dataclass(frozen=True)
class NextStage(Result):
    """What comes after a deal's stage."""


@dataclass(frozen=True)
class Diagnosis(Result):
    verdict: str
    reasons: tuple[str, ...]
    next_move: str
    days_in_stage: int
    expected_days: int
    days_over: int
    unmet: tuple[str, ...]
    unconfirmed_earlier: tuple[str, ...]  # "stage.criterion"
    last_activity_days: int | None
    close_date: date | None
    close_date_passed: bool
    overdue_followups: int

    def data(self) -> dict:
        return {"days_in_stage": self.days_in_stage, "expected_days": self.expected_days, "days_over": self.days_over,
                "unmet": list(self.unmet), "unconfirmed_earlier": list(self.unconfirmed_earlier),
                "last_activity_days": self.last_activity_days,
                "close_date": self.close_date.isoformat() if self.close_date else None,
                "close_date_passed": self.close_date_passed, "overdue_followups": self.overdue_followups,
                "verdict": self.verdict, "reasons": list(self.reasons), "next_move": self.next_move}


@dataclass(frozen=True)
class BuyerQuestion:
    stage_key: str
    criterion_key: str
    question: str
    activity_key: str | None
    activity: str | None


@dataclass(frozen=True)
class OpenFollowUp:
    note: str | None
    due_at: datetime
    days_overdue: int


@dataclass(frozen=True)
class CallPrep(Result):
    buyer_state: str | None
    confirmed: tuple[str, ...]
    questions: tuple[BuyerQuestion, ...]
    open_followups: tuple[OpenFollowUp, ...]

    def data(self) -> dict:
        return {"buyer_state": self.buyer_state, "confirmed": list(self.confirmed),
                "questions": [{k: v for k, v in asdict(q).items() if k != "activity"} for q in self.questions],
                "open_followups": [{"note": f.note, "due_at": f.due_at.isoformat(), "days_overdue": f.days_overdue}
                                   for f in self.open_followups]}


@dataclass(frozen=True)
class EmailDraft(Result):
    subject: str
    mail: str  # the email's body, as the buyer would read it
    criterion_key: str | None
    criterion_stage: str | None
    proposed_date: date

    def data(self) -> dict:
        return {"subject": self.subject, "body": self.mail, "criterion_key": self.criterion_key,
                "criterion_stage": self.criterion_stage, "proposed_date": self.proposed_date.isoformat()}


@dataclass(frozen=True)
class StageMove:
    from_stage: str | None
    to_stage: str
    changed_at: datetime


@dataclass(frozen=True)
class Outcome(Result):
    """A closed deal: how it ended and how it got there."""

    status: str
    closed_at: datetime | None
    last_stage: str | None  # None: history shows no stage before the close
    moves: tuple[StageMove, ...]

    def data(self) -> dict:
        return {"status": self.status, "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "last_stage": self.last_stage,
                "moves": [[m.from_stage, m.to_stage, m.changed_at.isoformat()] for m in self.moves]}


# -- writes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposed(Result):
    """A write waiting for the person's word; ``hint`` says how to give it (a surface may say it its way)."""

    proposal: Proposal
    hint: Line | None = None

    def doc(self) -> Doc:
        return self.body + Doc((self.hint,)) if self.hint else self.body

    def data(self) -> dict:
        return {"kind": self.proposal.kind}


@dataclass(frozen=True)
class AlreadyRecorded(Result):
    criterion: str
    criterion_stage: str | None = None

    def data(self) -> dict:
        stage = {"criterion_stage": self.criterion_stage} if self.criterion_stage else {}
        return {"criterion": self.criterion, **stage, "already_met": True}


@dataclass(frozen=True)
class Decided(Result):
    """A yes or no to a proposed write, and what came of it."""

    token: str
    confirmed: bool

    def data(self) -> dict:
        return {"proposal": self.token, "confirmed": self.confirmed}


# -- lists ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FocusRow:
    external_id: str
    name: str
    score: int
    reasons: tuple[str, ...]
    first_move: str


@dataclass(frozen=True)
class FocusList(Result):
    rows: tuple[FocusRow, ...] = ()

    def data(self) -> dict:
        return {"deals": [{**asdict(r), "reasons": list(r.reasons)} for r in self.rows]}


@dataclass(frozen=True)
class AttentionList(Result):
    deals: tuple[str, ...]  # external ids of every deal with a problem asked about, most pressing first
    kinds: tuple[str, ...]

    def data(self) -> dict:
        return {"deals": list(self.deals), "kinds": list(self.kinds)}


@dataclass(frozen=True)
class ListedDeal:
    """One row of a deal list: what its line says."""

    name: str
    stage: str
    amount: Decimal
    owner: str | None = None  # shown in a team's list


@dataclass(frozen=True)
class DealList(Result):
    deals: tuple[str, ...]  # external ids, biggest first
    stage: str | None = None
    closing: tuple[date, date] | None = None
    title: str = ""
    rows: tuple[ListedDeal, ...] = ()  # every deal listed, biggest first (the words show the first few)

    def table_view(self) -> Table | None:
        if not self.rows:
            return None
        owners = any(row.owner for row in self.rows)
        columns = ("Deal", "Stage", "Amount", *(("Owner",) if owners else ()))
        return Table(self.title, columns, tuple((row.name, row.stage, row.amount, *((row.owner,) if owners else ()))
                                                for row in self.rows))

    def data(self) -> dict:
        return {"deals": list(self.deals), "stage": self.stage,
                "closing": [day.isoformat() for day in self.closing] if self.closing else None}


# -- people and reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """One scorecard: whose (``kind`` self, rep or team), for which period, and the figures."""

    kind: str
    name: str
    people: int
    rep_id: int | None
    period: Period
    figures: Figures

    @property
    def title(self) -> str:
        """"Your numbers — Q3 2026", "Bob Brown's numbers — …", "Numbers for East — …"."""
        whose = {"self": "Your numbers", "rep": f"{self.name}'s numbers"}.get(self.kind, f"Numbers for {self.name}")
        return f"{whose} — {self.period.label}"

    def to_json(self) -> dict:
        return {"whose": {"kind": self.kind, "name": self.name, "people": self.people, "rep_id": self.rep_id},
                "period": self.period.to_json(), "figures": self.figures.to_json()}


@dataclass(frozen=True)
class Scorecard(Result):
    """One card, or two side by side (two people, or one person in two periods)."""

    cards: tuple[Card, ...]

    def data(self) -> dict:
        if len(self.cards) == 1:
            return self.cards[0].to_json()
        return {"compare": [card.to_json() for card in self.cards]}

    def table_view(self) -> Table | None:
        """One row per figure, one column per card (a person, or a period when one person's are compared)."""
        if not self.cards:
            return None
        rows = tuple((label, *(figure(card.figures) for card in self.cards)) for label, figure in _CARD_ROWS)
        one_period = len({card.period.label for card in self.cards}) == 1  # else one person in two periods
        columns = ("Figure", *(card.name if one_period else card.period.label for card in self.cards))
        return Table(" vs ".join(card.title for card in self.cards), columns, rows)


_CARD_ROWS = (  # a scorecard's figures as table rows: the label and the figure (numbers stay numbers)
    ("Deals won", lambda f: f.won_count),
    ("Won amount", lambda f: f.won_amount),
    ("Win rate %", lambda f: None if f.win_rate is None else 100 * f.win_rate),
    ("Deals lost", lambda f: f.lost_count),
    ("New deals", lambda f: f.new_count),
    ("New pipeline", lambda f: f.new_amount),
    ("Open deals now", lambda f: f.open_count),
    ("Open pipeline now", lambda f: f.open_amount),
    ("Weighted pipeline", lambda f: f.weighted_amount),
    ("Overdue follow-ups", lambda f: f.overdue_followups),
    ("Over stage norm", lambda f: f.over_norm),
)


@dataclass(frozen=True)
class RankedRep:
    rep_id: int
    name: str
    value: float | None
    figures: Figures


@dataclass(frozen=True)
class TeamRanking(Result):
    metric: str
    metric_named: bool
    lowest_first: bool
    team: str
    period: Period | None
    ranking: tuple[RankedRep, ...]

    def data(self) -> dict:
        return {"metric": self.metric, "metric_named": self.metric_named,
                "order": "lowest first" if self.lowest_first else "highest first", "team": self.team,
                "period": self.period.to_json() if self.period else None,
                "ranking": [{"rep_id": r.rep_id, "name": r.name, "value": r.value, "figures": r.figures.to_json()}
                            for r in self.ranking]}


@dataclass(frozen=True)
class PipelineReports(Result):
    """Pipeline reports: each one's title and sentences in ``body``, its figures in ``table_list``."""

    report_list: tuple[Report, ...] = ()
    table_list: tuple[Table, ...] = ()

    def data(self) -> dict:
        return {"reports": [r.to_json() for r in self.report_list], "tables": [t.to_json() for t in self.table_list]}

    def tables(self) -> tuple[Table, ...]:
        return self.table_list

    def reports(self) -> tuple[Report, ...]:
        return self.report_list


# -- knowledge ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageGuide(Result):
    stage: str
    exit_criteria: tuple[str, ...]
    activities: tuple[str, ...]

    def data(self) -> dict:
        return {"stage": self.stage, "exit_criteria": list(self.exit_criteria), "activities": list(self.activities)}


@dataclass(frozen=True)
class Passages(Result):
    """Methodology and playbook passages (their sources travel as the answer's citations)."""


# -- several at once ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Combined(Result):
    """Two or more answers in one message, the first one's facts first; ``also``: the second question's intent."""

    parts: tuple[Result, ...]
    also: str | None = None

    @classmethod
    def of(cls, parts: tuple[Result, ...], also: str | None = None) -> Combined:
        return cls(joined([p.doc() for p in parts], SEPARATOR), parts, also)

    def data(self) -> dict:
        merged: dict = {}
        for part in reversed(self.parts):  # the first answer's keys win
            merged = {**merged, **part.data()}
        return {**merged, "also": self.also} if self.also else merged

    def tables(self) -> tuple[Table, ...]:
        return tuple(t for p in self.parts for t in p.tables())

    def reports(self) -> tuple[Report, ...]:
        return tuple(r for p in self.parts for r in p.reports())


@dataclass(frozen=True)
class Worded(Result):
    """An LLM's checked words (``body``, the model's text as it wrote it) for the facts of ``base``."""

    base: Result

    def data(self) -> dict:
        return self.base.data()

    def tables(self) -> tuple[Table, ...]:
        return self.base.tables()

    def reports(self) -> tuple[Report, ...]:
        return self.base.reports()
