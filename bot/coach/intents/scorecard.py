"""A person's results: a rep's "how am I doing this quarter", a manager's "how is Carla doing" or "how's the team doing".

The figures for a period (this quarter unless the question names one): deals won (count and
amount), win rate (won ÷ closed), new pipeline (deals created); and as of now: the open and
weighted pipeline, overdue follow-ups, and deals over their stage's norm. Definitions are in
``storage.scorecard.Figures``.

Whose: the asker's own by default; a teammate's or the team's total for a manager (everyone's
for an admin), or two of those side by side ("how's Jordan doing vs Sam"). A rep who names anyone else gets one refusal whoever was named, so it never
says whether that person exists; a manager naming someone outside their team hears what they
would for a name nobody has. Storage reads through the viewer's access as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from bot.coach.intents.base import PERIOD_AS_ASKED, Ask, Intent, PersonSlots, Tool
from bot.coach.people import is_self, person_mentioned, visible_person
from bot.coach.results import Card, Clarification, NotFound, Refusal, Scorecard
from bot.coach.rich import Doc, bullet, doc, joined, line, strong
from bot.coach.types import CoachAnswer
from bot.core.errors import InvalidInput
from bot.core.text import money, plural
from bot.digest.rows import stuck_cutoffs
from bot.pipeline.periods import MONTHS, Period, PeriodSpec, find_period
from bot.pipeline.scope import resolve_scope
from storage import deals as deal_store
from storage import scorecard as store
from storage.models import Rep, Role
from storage.timeutil import local_midnight_utc, zone

NAME = "scorecard"
DEFAULT_PERIOD = PeriodSpec("relative", unit="quarter", offset=0)  # "how am I doing" asks about this quarter
REP_REFUSAL = "I can only show your own numbers — ask your manager for the team's."

# The team as a whole: "how's the team doing", "how are we doing", "our numbers".
_TEAM = re.compile(r"\b(?:(?:my|our|the)\s+(?:whole\s+|sales\s+)?team(?:'s)?|team(?:'s)? (?:numbers|results|stats)"
                   r"|everyone|everybody|all (?:my |the )?reps|how (?:are|did|have|is) we|we doing"
                   r"|our (?:numbers|results|quarter|month))\b", re.I)
# Period phrases are dropped before looking for a name: "numbers for bob this month" names Bob, and
# "my numbers for last month" names nobody. Month names count only after a preposition (April is a name too).
_PERIOD_PHRASE = re.compile(
    r"\b(?:(?:this|last|past|previous|prior|current)\s+(?:\d+\s+)?(?:days?|weeks?|wk|months?|mo|quarters?|qtr|q|years?|yr)"
    r"|[wmqy]td|q[1-4](?:\s+\d{4})?|\d{4}-(?:q[1-4]|\d{1,2})|so far|to date|today|yesterday"
    rf"|(?:in|for|during|since|over|of)\s+(?:{'|'.join(MONTHS)}|{'|'.join(m[:3] for m in MONTHS)}|sept)\b(?:\s+\d{{4}})?)\b",
    re.I)
# "how's my month": the current one (periods reads "this month", not a possessive).
_OWN_UNIT = re.compile(r"\b(?:my|our|the|his|her|their)\s+(week|month|quarter|year)\b", re.I)
# Two people side by side: "how's jordan doing vs sam", "alice's numbers vs bob's this month".
_VERSUS = re.compile(r"\s+(?:vs\.?|v\.|versus|compared (?:to|with))\s+", re.I)
_LAST_ALONE = re.compile(r"(?:the\s+)?(?:last|previous|prior)(?:\s+one)?", re.I)
# person_mentioned reads "how is X doing"; the past tense asks the same about a person.
_DID_DO = re.compile(r"\bhow\s+did\s+([A-Za-z][\w.-]*(?:\s+[A-Za-z][\w.-]*)?)\s+do\b", re.I)


@dataclass(frozen=True)
class Whose:
    """Whose figures an answer gives: the asker (``self``), one teammate (``rep``), or the ``team``."""

    kind: str
    label: str  # "Bob Brown", "East", "everyone"
    reps: list[Rep]  # the people covered
    timezone: str  # the one the period is read in, as for pipeline reports
    owner_ids: list[int] | None  # None: every owner the asker may see


def named_person(question: str) -> str | None:
    """The person a question names as typed ("Jordan Lee"), period words aside; None when it names nobody."""
    text = _PERIOD_PHRASE.sub(" ", question.replace("’", "'"))
    text = _DID_DO.sub(r"how is \1 doing", text)
    return person_mentioned(text)


def report_period(ask: Ask, timezone: str) -> Period:
    """The period the question names, else this quarter, in ``timezone`` as of ``ask.now``.

    Raises:
        InvalidInput: the period cannot be read ("since Feb 30") or has not begun.
    """
    return (period_asked(ask.question) or DEFAULT_PERIOD).resolve(ask.now, timezone)


def period_asked(text: str) -> PeriodSpec | None:
    """The period ``text`` names ("last quarter", "how's my month"), or None.

    Raises:
        InvalidInput: the period cannot be read ("since Feb 30").
    """
    spec = find_period(text)
    if spec is None and (own := _OWN_UNIT.search(text)):
        spec = PeriodSpec("relative", unit=own.group(1).lower(), offset=0)
    return spec


def team_of(ask: Ask) -> Whose:
    """A manager's team (everyone for an admin): the people they may see, in the team's timezone."""
    scope = resolve_scope(session=ask.session, viewer=ask.viewer, company_timezone=ask.settings.timezone)
    reps = deal_store.visible_reps(session=ask.session, viewer=ask.viewer)
    return Whose("team", scope.label, reps, scope.timezone, None)


def figures_by_owner(ask: Ask, whose: Whose, period: Period) -> dict[int, store.Figures]:
    """Each covered owner's figures for ``period``, as of ``ask.now`` (owners with none are absent)."""
    process = ask.process
    return store.figures_by_owner(
        session=ask.session, viewer=ask.viewer, start=period.start, end=period.end, owner_ids=whose.owner_ids,
        today_starts={r.timezone: _today_start(r.timezone, ask.now) for r in whose.reps},
        stuck_entered_by=stuck_cutoffs(process, ask.now),
        probabilities={s.key: s.probability for s in process.stages if s.probability is not None},
    )


def handle(ask: Ask) -> CoachAnswer:
    sides = _sides(ask.question)
    if sides and (sides[1][0] or _TEAM.search(sides[1][1])):  # "how's Jordan doing vs Sam"
        return _side_by_side(ask, [_whose(ask, named, words) for named, words in sides])
    whose = _whose(ask, named_person(ask.question), ask.question)
    if isinstance(whose, CoachAnswer):
        return whose
    periods = _periods_compared(sides) if sides else None
    if periods:  # "how am i doing vs last quarter"
        return _side_by_side(ask, [whose, whose], periods)
    card = _card(ask, whose)
    if isinstance(card, CoachAnswer):
        return card
    return CoachAnswer(Scorecard(card[0], (card[1],)), NAME)


def _sides(question: str) -> list[tuple[str | None, str]] | None:
    """(the name it gives, its words) for each side of "how's Jordan doing vs Sam" or "my numbers vs last
    month"; None for a question with no "vs"."""
    sides = _VERSUS.split(question)
    if len(sides) != 2:
        return None
    read = []
    for side in sides:
        named = named_person(side)
        bare = _PERIOD_PHRASE.sub(" ", side).split()
        if named is None and 1 <= len(bare) <= 2:  # "vs sam", "jordan vs ...": a name standing alone
            named = person_mentioned(f"how is {' '.join(bare)} doing")
        read.append((named, side))
    return read


def _periods_compared(sides: list[tuple[str | None, str]]) -> list[PeriodSpec] | None:
    """The two periods of "my numbers vs last month": the second side's, and the first side's or else the
    current one of the same unit (this month against last month); None when the second side names none."""
    try:
        before, after = period_asked(sides[0][1]), find_period(sides[1][1])
    except InvalidInput:
        return None  # read again as one question, whose answer says what is wrong with the period
    if after is None and _LAST_ALONE.fullmatch(sides[1][1].strip(" ?.!")) and before and before.kind == "relative":
        after = PeriodSpec("relative", unit=before.unit, offset=before.offset - 1)  # "this month vs last"
    if after is None:
        return None
    if before is None:
        before = PeriodSpec("relative", unit=after.unit, offset=0) if after.kind == "relative" else DEFAULT_PERIOD
    return [before, after]


def _side_by_side(ask: Ask, whose: list[Whose | CoachAnswer], periods: list[PeriodSpec] | None = None) -> CoachAnswer:
    """Two cards, one above the other: two people for the question's period, or one person for ``periods``
    (the second card then only with what differs by period). The first refusal or not-found answer stands."""
    cards = []
    for i, one in enumerate(whose):
        card = one if isinstance(one, CoachAnswer) else _card(
            ask, one, periods[i] if periods else None, period_only=bool(periods) and i > 0)
        if isinstance(card, CoachAnswer):
            return card
        cards.append(card)
    return CoachAnswer(Scorecard(joined([words for words, _ in cards]), tuple(card for _, card in cards)), NAME)


def _card(ask: Ask, whose: Whose, spec: PeriodSpec | None = None, *, period_only: bool = False
          ) -> tuple[Doc, Card] | CoachAnswer:
    """One person's (or the team's) figures for ``spec`` (else the question's period): the words and the card."""
    try:
        period = spec.resolve(ask.now, whose.timezone) if spec else report_period(ask, whose.timezone)
    except InvalidInput as exc:
        return unreadable_period(exc, f"{NAME}_clarify")
    figures = store.total(figures_by_owner(ask, whose, period).values())
    card = Card(whose.kind, whose.label, len(whose.reps), whose.reps[0].id if whose.kind != "team" else None,
                period, figures)
    return _text(whose, period, figures, card.title, period_only=period_only), card


def unreadable_period(error: InvalidInput, intent: str) -> CoachAnswer:
    """The question back when the period asked for cannot be read."""
    return CoachAnswer(Clarification(doc(line(f"I couldn't read the period ({error}). Try “this month”, "
                                              "“last quarter” or “October”."))), intent)


def _whose(ask: Ask, named: str | None, words: str) -> Whose | CoachAnswer:
    """Whose figures ``words`` ask for (``named``: the person they name), or the refusal or not-found answer."""
    viewer, session = ask.viewer, ask.session
    if named and is_self(viewer, named):
        named = None
    team = named is None and bool(_TEAM.search(words))
    if viewer.role == Role.rep and (named or team):
        return CoachAnswer(Refusal(doc(line(REP_REFUSAL)), "access", "ask “my scorecard” for your own numbers"), f"{NAME}_denied")  # the same words whoever was named
    if team:
        return team_of(ask)
    if named:
        person = visible_person(session=session, viewer=viewer, name=named)
        if person is None:  # outside the team reads as nobody by that name
            return CoachAnswer(NotFound(doc(line(f"I can't find “{named}” among the people you can see.")), named),
                               "not_found")
    else:
        person = session.get(Rep, viewer.rep_id)
    scope = resolve_scope(session=session, viewer=viewer, company_timezone=ask.settings.timezone,
                          rep=person.email)
    kind = "self" if person.id == viewer.rep_id else "rep"
    return Whose(kind, person.name, [person], scope.timezone, [person.id])


def _text(whose: Whose, period: Period, f: store.Figures, title: str, *, period_only: bool = False) -> Doc:
    """The card; ``period_only`` leaves out the figures as of now (open pipeline, overdue, over the norm),
    which a second card for an earlier period would only repeat."""
    if f.closed_count:
        win_rate = f"{f.win_rate:.0%} ({f.won_count} won of {f.closed_count} closed)"
    else:
        win_rate = f"no deals closed in {period.label}"
    lines = [
        line(strong(title)),
        bullet(f"Won: {_deals(f.won_count, f.won_amount)}"),
        bullet(f"Win rate: {win_rate}"),
        bullet(f"New pipeline: {_deals(f.new_count, f.new_amount)}"),
    ]
    lines += [] if period_only else [
        bullet(f"Open pipeline now: {_deals(f.open_count, f.open_amount)}, {money(f.weighted_amount)} weighted"),
        bullet(f"Overdue follow-ups: {f.overdue_followups or 'none'}"),
        bullet(f"Deals over their stage's norm: {f.over_norm or 'none'}"),
    ]
    if whose.kind == "team" and not period_only:
        lines.append(line(f"Across {plural(len(whose.reps), 'person', 'people')}. "
                          "Ask “who has the most overdue follow-ups?” to compare them."))
    return doc(lines)


def _deals(count: int, amount) -> str:
    return f"{plural(count, 'deal')}, {money(amount)}" if count else "no deals"


def _today_start(tz_name: str, now: datetime) -> datetime:
    """When today began in ``tz_name`` (UTC's today for an unknown zone, as the digest does)."""
    try:
        tz = zone(tz_name)
    except ValueError:
        tz = zone("UTC")
    return local_midnight_utc(now.astimezone(tz).date(), tz)


class ScorecardSlots(PersonSlots):
    period: str = Field("", description=PERIOD_AS_ASKED)


INTENT = Intent(
    name=NAME,
    # No "pipeline" here: reps' help speaks of their deals; pipeline reports are a manager's.
    summary="your numbers: won, win rate, new and open deals, overdue follow-ups, stuck deals (a teammate's for managers)",
    try_it="How am I doing this quarter?",
    handle=handle,
    slots=ScorecardSlots,
    tool=Tool("scorecard", "A person's results: won, win rate, pipeline, overdue follow-ups.",
              words="how is {person} doing {period}"),
    menu=70,
)
