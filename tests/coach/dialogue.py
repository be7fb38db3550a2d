"""Scoring the coach on the blind sets of tests/coach/blind/: declines, conversations, writes.

Three files by new blind authors, who saw only a description of the product and of the coach tests'
sales floor (tests/bot/coach_fixtures.py), each split at random into ``tune`` (may be read while
improving the coach) and ``held_out`` (never read: only its aggregates are printed, by
bench/dialogue_bench.py). Every item is asked through ``Coach.ask`` as the person it names, at the
floor's moment (``tests.utils.factories.NOW``), the turns of a conversation in order under one
conversation key, each conversation on its own copy of the floor (a confirmed write changes it).

How the authors' labels map to the coach's typed results (``bot.coach.results``):

- ``decline`` with a ``kind`` (action, data, access, outside): a ``Refusal`` of that kind that says what
  it can't do and offers the nearest thing (``Refusal.offer``). A rep naming a deal they may not see gets
  the same ``Refusal`` as a name no deal has (kind ``access``, worded alike): that is how a refusal
  leaks nothing, so it is right for ``access``.
- ``answer`` (a control): anything but a refusal, a not-found or the off-topic answer.
- a conversation turn: ``record_proposal`` a ``Proposed`` write on the named deal; ``confirm`` and
  ``cancel`` a ``Decided`` yes or no; ``clarify`` a ``Clarification``; ``decline`` a ``Refusal``; an
  intent's name that intent's answer, about the named deal, the named person (a scorecard's card, a
  list's deals' owner), for the named period (its bounds), sorted as named (``most_first``: highest
  first).
- a write: ``criterion``, ``followup``, ``activity``, ``close_won``, ``close_lost`` a ``Proposed`` write
  of that kind on the named deal (a follow-up due that day in the rep's timezone; a criterion already
  recorded, said so with that criterion, is right too: nothing is written twice); ``not_news`` anything
  but a proposal; ``ask`` a ``Clarification`` (a question instead of a proposal).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from bot.coach.engine import Coach
from bot.coach.results import (
    AlreadyRecorded,
    Clarification,
    Combined,
    Decided,
    NotFound,
    Proposed,
    Refusal,
    Result,
    Scorecard,
    TeamRanking,
)
from bot.coach.types import CoachAnswer
from bot.core.config import Settings
from bot.core.runtime import Runtime
from bot.pipeline.periods import find_period
from storage import deals as deal_store
from storage.access import Viewer
from storage.timeutil import FixedClock, zone
from tests.bot.coach_fixtures import Floor, build_floor
from tests.conftest import SMALL_PROCESS
from tests.utils.factories import NOW

BLIND = Path(__file__).with_name("blind")
SETS = ("declines", "conversations", "writes")
PARTS = ("tune", "held_out")
# The authors wrote due dates against Friday Nov 20, 2026; a shifted clock shifts them too.
AUTHORS_TODAY = date(2026, 11, 20)
CRITERIA = {"success criteria": "success_criteria_agreed", "technical fit": "technical_fit_confirmed",
            "pain": "pain_confirmed", "budget": "budget_confirmed", "signer": "decision_maker_named"}


def load(name: str, part: str) -> list[dict]:
    """The items of one set's part (``held_out`` only for scoring: never print its items)."""
    return yaml.safe_load((BLIND / f"{name}.yaml").read_text(encoding="utf-8"))[part]


@dataclass
class Score:
    """Right and total per label, and the misses (printed for tuning parts only)."""

    right: int = 0
    total: int = 0
    per_label: dict[str, list[int]] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (text, expected, got)
    not_news_proposed: int = 0

    def add(self, label: str, ok: bool, text: str, got: str) -> None:
        self.total += 1
        self.right += ok
        counts = self.per_label.setdefault(label, [0, 0])
        counts[0] += ok
        counts[1] += 1
        if not ok:
            self.misses.append((text, label, got))

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


class Floors:
    """The floor built once in a temp SQLite file; each conversation gets a copy (writes change it)."""

    def __init__(self, router=None):
        self._dir = tempfile.TemporaryDirectory()
        self._base = Path(self._dir.name) / "floor.db"
        self._copies = 0
        runtime = self._runtime(self._base)
        self.floor: Floor = build_floor(runtime)
        runtime.engine.dispose()
        self.router = router

    def _runtime(self, path: Path) -> Runtime:
        settings = Settings(home=Path(self._dir.name), database_url=f"sqlite:///{path}", process_file=SMALL_PROCESS)
        return Runtime(settings, clock=FixedClock(NOW))

    @contextmanager
    def coach(self) -> Iterator[Coach]:
        """A coach on a fresh copy of the floor (its router shared by every copy)."""
        self._copies += 1
        path = Path(self._dir.name) / f"copy{self._copies}.db"
        shutil.copy(self._base, path)
        runtime = self._runtime(path)
        coach = Coach(runtime, router=self.router)
        try:
            yield coach
        finally:
            self.router = coach.router
            runtime.engine.dispose()
            path.unlink(missing_ok=True)

    def viewer(self, who: str) -> Viewer:
        f = self.floor
        return Viewer.of({"alice": f.alice, "bob": f.bob, "carol": f.carol, "maria": f.manager,
                          "ada": f.admin}[who])

    def close(self) -> None:
        self._dir.cleanup()


def parts_of(result: Result) -> tuple[Result, ...]:
    return result.parts if isinstance(result, Combined) else (result,)


def describe(answer: CoachAnswer) -> str:
    """What an answer was, in one line (for the misses of tuning parts)."""
    result = answer.result
    kind = getattr(result, "kind", None)
    extra = f" {kind}" if isinstance(result, Refusal) else ""
    if isinstance(result, Proposed):
        p = result.proposal
        extra = f" {p.kind}{'' if p.won is None else (' won' if p.won else ' lost')} on {p.deal_name}" \
                f"{' due ' + p.due_at.date().isoformat() if p.due_at else ''}"
    deal = f" [{answer.deal.name}]" if answer.deal else ""
    return f"{answer.intent} {type(result).__name__}{extra}{deal}: {answer.text[:140]!r}"


# -- declines ---------------------------------------------------------------------------------------


def decline_right(item: dict, answer: CoachAnswer) -> bool:
    result = answer.result
    if item["expect"] == "decline":
        if item["kind"] == "access" and isinstance(result, NotFound):
            return True  # worded alike for a hidden deal or person and one that doesn't exist: it leaks nothing
        return isinstance(result, Refusal) and result.kind == item["kind"] and bool(result.offer)
    refused = isinstance(result, Refusal | NotFound) or answer.intent == "off_topic"
    return not refused


def score_declines(floors: Floors, items: list[dict]) -> Score:
    score = Score()
    with floors.coach() as coach:
        for n, item in enumerate(items):
            answer = coach.ask(floors.viewer(item["as"]), item["text"], conversation_key=f"decline-{n}", now=NOW)
            label = f"decline {item['kind']}" if item["expect"] == "decline" else "answer"
            score.add(label, decline_right(item, answer), item["text"], describe(answer))
    return score


# -- writes -----------------------------------------------------------------------------------------


def authors_day(day: date) -> date:
    """A date the authors wrote against Nov 20, 2026, on this run's clock."""
    return day + (NOW.date() - AUTHORS_TODAY)


def write_right(item: dict, answer: CoachAnswer, viewer: Viewer) -> bool:
    expect, result = item["expect"], answer.result
    if expect == "not_news":
        return not isinstance(result, Proposed)
    if expect == "ask":
        return isinstance(result, Clarification)
    deal = item["deal"]
    if expect == "criterion" and isinstance(result, AlreadyRecorded):
        return answer.deal is not None and answer.deal.name == deal and result.criterion == CRITERIA[item["criterion"]]
    if not isinstance(result, Proposed):
        return False
    proposal = result.proposal
    if proposal.deal_name != deal:
        return False
    if expect == "criterion":
        return proposal.kind == "criterion" and proposal.criterion_key == CRITERIA[item["criterion"]]
    if expect == "followup":
        due = proposal.due_at.astimezone(zone(viewer.timezone)).date() if proposal.due_at else None
        return proposal.kind == "followup" and due == authors_day(item["due"])
    if expect in ("close_won", "close_lost"):
        return proposal.kind == "close" and proposal.won == (expect == "close_won")
    return proposal.kind == expect


def score_writes(floors: Floors, items: list[dict]) -> Score:
    score = Score()
    with floors.coach() as coach:
        for n, item in enumerate(items):
            viewer = floors.viewer(item["as"])
            answer = coach.ask(viewer, item["text"], conversation_key=f"write-{n}", now=NOW)
            ok = write_right(item, answer, viewer)
            if item["expect"] == "not_news" and not ok:
                score.not_news_proposed += 1
            score.add(item["expect"], ok, item["text"], describe(answer))
    return score


# -- conversations ----------------------------------------------------------------------------------


def period_of(words: str, viewer: Viewer, floors: Floors) -> tuple[datetime, datetime]:
    spec = find_period(words)
    assert spec is not None, f"the set names a period the parser does not read: {words!r}"
    period = spec.resolve(NOW, viewer.timezone)
    return period.start, period.end


def turn_right(turn: dict, answer: CoachAnswer, viewer: Viewer, floors: Floors, coach: Coach) -> bool:
    expect, result = turn["expect"], answer.result
    if expect == "record_proposal":
        return isinstance(result, Proposed) and result.proposal.deal_name == turn["deal"]
    if expect in ("confirm", "cancel"):
        return isinstance(result, Decided) and result.confirmed == (expect == "confirm")
    if expect == "clarify":
        return isinstance(result, Clarification)
    if expect == "decline":
        return isinstance(result, Refusal | NotFound)
    if answer.intent != expect:
        return False
    if "deal" in turn and (answer.deal is None or answer.deal.name != turn["deal"]):
        return False
    main = parts_of(result)[0]
    if "person" in turn and not _about_person(main, answer, turn["person"], coach, viewer, floors):
        return False
    if "period" in turn and _period(main) != period_of(turn["period"], viewer, floors):
        return False
    if "sort" in turn:
        return isinstance(main, TeamRanking) and main.lowest_first == (turn["sort"] == "least_first")
    return True


def _period(result: Result) -> tuple[datetime, datetime] | None:
    period = None
    if isinstance(result, TeamRanking):
        period = result.period
    elif isinstance(result, Scorecard):
        period = result.cards[0].period
    else:
        periods = [r.period for r in result.reports() if r.period is not None]
        period = periods[0] if periods else None
    return (period.start, period.end) if period else None


def _about_person(result: Result, answer: CoachAnswer, person: str, coach: Coach, viewer: Viewer,
                  floors: Floors) -> bool:
    """Whether the answer is about ``person``: their card, or a list of their deals (and only theirs)."""
    if isinstance(result, Scorecard):
        return result.cards[0].name == person
    if answer.deal is not None:
        return answer.deal.owner_name == person
    ids = [d["external_id"] if isinstance(d, dict) else d for d in result.data().get("deals") or []]  # focus: rows
    if not ids:
        return False
    rep_id = next(r.id for r in (floors.floor.alice, floors.floor.bob, floors.floor.carol) if r.name == person)
    with coach.runtime.session() as session:
        deals = [deal_store.visible_deal_by_external_id(session=session, viewer=viewer, external_id=i) for i in ids]
        owners = {deal.owner_id if deal else None for deal in deals}
    return owners == {rep_id}


def score_conversations(floors: Floors, conversations: list[dict]) -> Score:
    score = Score()
    for n, convo in enumerate(conversations):
        viewer = floors.viewer(convo["as"])
        with floors.coach() as coach:
            for turn in convo["turns"]:
                answer = coach.ask(viewer, turn["text"], conversation_key=f"convo-{n}", now=NOW)
                score.add(turn["expect"], turn_right(turn, answer, viewer, floors, coach), turn["text"],
                          describe(answer))
    return score


SCORERS = {"declines": score_declines, "conversations": score_conversations, "writes": score_writes}


def score(floors: Floors, name: str, part: str) -> Score:
    return SCORERS[name](floors, load(name, part))

