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

from bot.coach.intents.base import Ask, Intent
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
    scope = resolve_scope(session=ask.session, viewer=ask.viewer, company_timezone=ask.coach.runtime.settings.timezone)
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
    return _text(whose, period, figures, period_only=period_only), card


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
        return CoachAnswer(Refusal(doc(line(REP_REFUSAL))), f"{NAME}_denied")  # the same words whoever was named
    if team:
        return team_of(ask)
    if named:
        person = visible_person(session=session, viewer=viewer, name=named)
        if person is None:  # outside the team reads as nobody by that name
            return CoachAnswer(NotFound(doc(line(f"I can't find “{named}” among the people you can see.")), named),
                               "not_found")
    else:
        person = session.get(Rep, viewer.rep_id)
    scope = resolve_scope(session=session, viewer=viewer, company_timezone=ask.coach.runtime.settings.timezone,
                          rep=person.email)
    kind = "self" if person.id == viewer.rep_id else "rep"
    return Whose(kind, person.name, [person], scope.timezone, [person.id])


def _text(whose: Whose, period: Period, f: store.Figures, *, period_only: bool = False) -> Doc:
    """The card; ``period_only`` leaves out the figures as of now (open pipeline, overdue, over the norm),
    which a second card for an earlier period would only repeat."""
    title = {"self": "Your numbers", "rep": f"{whose.label}'s numbers"}.get(whose.kind, f"Numbers for {whose.label}")
    if f.closed_count:
        win_rate = f"{f.win_rate:.0%} ({f.won_count} won of {f.closed_count} closed)"
    else:
        win_rate = f"no deals closed in {period.label}"
    lines = [
        line(strong(f"{title} — {period.label}")),
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


INTENT = Intent(
    name=NAME,
    # No "pipeline" here: reps' help speaks of their deals; pipeline reports are a manager's.
    summary="your numbers: won, win rate, new and open deals, overdue follow-ups, stuck deals (a teammate's for managers)",
    try_it="How am I doing this quarter?",
    handle=handle,
    examples=(
        "how am i doing this quarter", "hows my quarter", "my numbers this month", "how am i doing",
        "my numbers year to date", "how's my performance this year", "my results so far this year",
        "how did i do last quarter", "what's my win rate", "how much have i closed this quarter", "my scorecard",
        "how's my month going", "how many deals have i won this quarter",
        "show me my stats", "my results for october", "how much new pipeline did i create this month",
        "give me my numbers", "am i hitting my number", "how is carla doing", "how's bob doing",
        "bob's numbers this month", "how did alice do last month", "show me jordan lee's numbers", "scorecard for bob",
        "how is jordan lee performing this quarter", "what has carla won this quarter", "how's priya tracking this month",
        "how is mike doing", "how's the team doing this quarter", "how's my team doing this month",
        "how are we doing this quarter", "how is my team tracking",
        "my numbers", "how am i tracking q4", "ytd numbers pls", "whats my win rate this yr",
        "how much did i close last month", "bob's scorecard", "how's sam doing this quarter",
        "pull up priya's numbers", "show me carla's stats ytd", "how many deals did jordan win this month",
        "my performance this quarter", "how's my q going", "am i gonna hit quota", "how close am i to my number",
        "how many deals have i closed ytd", "what's my close rate", "how is sam performing",
        "my stats for last quarter", "how did priya do in q3", "give me bob's results this year",
        "what did i win last month", "team numbers this quarter",
        "carla's win rate", "bob's close rate this quarter", "sam's won deals ytd", "win percentage for me ytd",
        "what's priya closed this month", "my close % this quarter", "jordan's numbers q3",
        "what's bob's win rate", "priya win rate ytd", "sam's win rate this quarter",
        "how many deals has carla won", "how many has bob closed this year", "deals won by sam this quarter",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "how'm i doing mtd", "my quarter so far?", "how many deals did i win in q3", "am i ahead or behind on quota",
        "how much open pipeline do i have", "carla qtd", "bob's performance last month",
        "how's jordan lee tracking vs last quarter", "numbers for priya pls", "what's my win rate this year vs last",
        "did i have a good month", "how much did i book in q2", "my stats mtd", "how'd i do in september",
        "how is sam doing on new pipeline this month", "give me a performance summary for carla",
        "report card for me", "how many new deals did i open this month", "my closed won this quarter",
        "how many deals did i lose this quarter", "how's bob trending", "how am i doing against my target",
        "how's my year shaping up", "quick check on my numbers", "1:1 with carla tomorrow, pull her numbers",
        "how does my month look numbers-wise", "how much did jordan close in q4", "my win loss ratio this qtr",
        "team win rate this month", "am i having a good quarter or what", "sam's stats last month",
        "how productive was priya last quarter", "how did i do overall last year", "my numbers vs last month",
        "my manager is asking how my quarter is going and i honestly have no idea, can you pull my wins, win rate and how much pipeline i've built since july",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "how am i tracking this month", "my win rate last qtr", "hows carla doing ytd", "numbers pls",
        "what have i closed so far this yr", "how many wins do i have in q3",
        "give me my overall stats incl overdue fus", "how's jordan's month", "sam's numbers last qtr",
        "did i win anything this month", "how much new pipe have i added this qtr", "am i on pace this quarter",
        "what's priya's close rate ytd", "how's bob looking this month numbers wise", "my kpis",
        "whats my record this qtr, wins vs losses", "how did i do in q2",
        "how many open and won deals do i have this qtr", "stats for carla last month", "show my scorecard for q3",
        "how did jordan do last year", "win rate check", "how am i doing vs last qtr", "rate my quarter",
        "what are my numbers looking like since january", "prepping carla's review, need her numbers this qtr",
        "sam: won, win rate, pipeline this month", "am i doing ok this month", "how's my win % trending",
        "what did priya close in q1", "how much have i won ytd", "my monthly numbers", "how's alice doing this qtr",
        "how's bob performing lately", "pull my stats for last month", "whats my tally this quarter",
        "how many new deals has jordan opened this month",
        "how many stuck deals and overdue fus do i have, numbers only",
        "quarterly review is friday and i need my own numbers, like how many i won, my win rate, new pipeline and how many follow ups im behind on, for this qtr",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "how many deals have i won this qtr and whats my win rate",
        "whats my count of overdue follow ups, just the number", "my numbers for the month pls, wins and new pipe",
        "how's carla tracking on wins this quarter", "whats jordan's win rate last qtr",
        "sam's new pipe in q3, how much", "how many stuck deals do i have, count only",
        "am i doing better than last month", "my stats: won, open, overdue",
        "give me priya's scorecard for the month", "how many deals has bob won since jan", "how did i do in august",
        "whats my open pipeline total rn", "win rate for me this half",
        "how's my performance looking going into the last month of the qtr",
        "sam's 1:1 is today, how's he doing this qtr", "carla's wins last month, how many",
        "how am i doing, overdue count included", "is jordan on track this quarter numbers-wise",
        "before i ask for a raise i want to know my actual numbers, how many deals i won this year, my win rate and how much new pipe i brought in",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "what's my win rate this quarter", "how much have i closed this year", "scorecard pls",
        "how's jordan performing this quarter", "show me carla's stats for last month",
        "how many deals did i win last quarter", "my performance this month?", "what's my weighted pipeline",
        "give me priya's numbers", "what did i win in q2", "my stats",
        "how many overdue follow ups do i have and whats my win rate this month", "report card for sam this quarter",
        "how did alice do last quarter", "whats my open pipeline worth", "how am i doing compared to last month",
        "total won this year for me", "my results ytd", "wins and win rate for jordan last month",
        "how's my quarter shaping up", "how much pipeline did carla add this quarter", "show my kpis for the month",
        "personal dashboard for this qtr", "what's my close rate lately", "numbers check: me, this month",
        "how is bob tracking this quarter", "how many of my deals are over norm and what's my win rate",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "what's my win rate this month", "show my scorecard", "jordan's numbers for this quarter",
        "how's carla doing this month", "team scorecard for q2", "how much new pipeline did i add this month",
        "what's bob's win rate ytd", "how is the team doing this quarter overall", "show me priya's scorecard",
        "numbers?", "how many deals have i closed this year", "my open pipeline total and win rate this qtr?",
        "my performance last month", "give me sam's won deals and win rate for q1", "how did i do last week",
        "team numbers this month pls", "alice scorecard this month - wins, win rate, overdue f/u count",
        "my q3 scorecard", "what did the team win last quarter", "am i on track this quarter? show my metrics",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "my numbers for the month?", "win rate for me?", "carla - how's she doing lately",
        "pull jordan's numbers for q3", "how is the team doing this quarter", "sam's results last month",
        "deals won ytd for me", "hey how's priya performing in q4", "what's my weighted pipeline looking like",
        "how's dev doing vs last quarter", "what's carla's win rate this qtr",
        "my won amount and win rate this qtr pls", "how is jordan tracking", "show me the team's performance for q3",
        "what's my closed won total this month", "give me a rundown of sam's numbers",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "hows maria doing this quarter", "tom's stats for q3", "team numbers this qtr",
        "how much have i closed this month", "how many deals did i win in q2", "hows the team tracking this quarter",
        "li's win rate ytd", "ahmed's results last month", "whats my open + weighted pipe total",
        "quick check on becca's performance this q", "howd i do last quarter", "team scorecard for october",
        "my overall stats this qtr - won, win rate, new pipe", "1:1 with tom tmrw, pull his numbers",
        "how is the team performing in q4", "closed won total for me this qtr", "hows li trending this quarter",
        # Two people's numbers side by side (the handler splits at "vs", "versus", "compared to"); "sam vs jordan"
        # alone is the team's ranking, where both stand among the rest.
        "how's carla doing vs jordan", "jordan's numbers vs carla's", "how is sam tracking compared with jordan",
        "how are priya's numbers this month versus carla's",
    ),
)
