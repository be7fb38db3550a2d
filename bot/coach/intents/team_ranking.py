"""A manager's ranking of their people: "who on my team has the most overdue follow-ups / biggest pipeline".

Metrics (definitions in ``storage.scorecard.Figures``): overdue follow-ups, open pipeline amount,
deals over their stage's norm, won amount and win rate (these two for a period, this quarter
unless named). Highest first ("smallest", "lowest", "fewest": lowest first), ties by name; people
with no closed deals come last on win rate either way.
A question naming no metric is ranked by overdue follow-ups, and the answer says what else can
be asked. Everyone's figures come from the same grouped queries as the scorecard.

Who is ranked: the people the manager may see (everyone for an admin) who are reps, and anyone
else among them who owns deals. Reps asking get a kind refusal: rankings compare other people.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.coach.intents.base import Ask, Intent
from bot.coach.intents.scorecard import figures_by_owner, report_period, team_of, unreadable_period
from bot.coach.results import RankedRep, Refusal, TeamRanking
from bot.coach.rich import doc, line, numbered, strong
from bot.coach.router import normalize
from bot.coach.types import CoachAnswer
from bot.core.errors import InvalidInput
from bot.core.text import money, plural
from storage.models import Role
from storage.scorecard import Figures

NAME = "team_ranking"
SHOWN = 15
REFUSAL = "Rankings are for managers; ask “how am I doing?” for your own numbers."


@dataclass(frozen=True)
class Metric:
    key: str
    title: str  # "Overdue follow-ups"
    pattern: re.Pattern
    value: Callable[[Figures], float | None]  # higher ranks first; None ranks last
    shown: Callable[[Figures], str]
    per_period: bool = False  # counts deals closed in the period (else: as of now)


# Checked in this order: "win rate" before "won", "overdue follow-ups in the pipeline" as overdue.
METRICS = (
    Metric("win_rate", "Win rate", re.compile(r"\bwin(?:ning)?[- ]?(?:rates?|ratios?|%|percent\w*)|\b(?:close|hit)[- ]?rates?"
                                              r"|\bwins? (?:the )?most often|\bconver(?:sion|ts?)\b"),
           lambda f: f.win_rate,
           lambda f: f"{f.win_rate:.0%} ({f.won_count} won of {f.closed_count} closed)" if f.closed_count
           else "no deals closed", per_period=True),
    Metric("overdue_followups", "Overdue follow-ups", re.compile(r"overdue|follow[- ]?ups?|\blate\b|\bbehind\b"),
           lambda f: f.overdue_followups, lambda f: plural(f.overdue_followups, "overdue follow-up")),
    Metric("over_norm", "Deals over their stage's norm",
           re.compile(r"\bstuck|\bstall\w*|\bover (?:the |their )?(?:norm|expected)|\baging\b|\bstale\b|\btoo long|\bslow\w*"),
           lambda f: f.over_norm, lambda f: plural(f.over_norm, "deal") + " over the norm"),
    Metric("open_pipeline", "Open pipeline", re.compile(r"\bpipeline|\bopen deals|\bbook\b|\bbacklog\b"),
           lambda f: float(f.open_amount), lambda f: f"{money(f.open_amount)} in {plural(f.open_count, 'open deal')}"),
    Metric("won_amount", "Won amount", re.compile(r"\bwon\b|\bwins?\b|\bclos(?:ed|ing|er|ers)\b|\bbookings?\b|\brevenue\b"
                                           r"|\bsold\b|\bsell(?:er|ers|ing)?\b|\bquota\b|\bbest (?:rep|performer)"),
           lambda f: float(f.won_amount), lambda f: f"{money(f.won_amount)} from {plural(f.won_count, 'deal')} won",
           per_period=True),
)
DEFAULT = METRICS[1]
_LOWEST = re.compile(r"\b(?:least|lowest|smallest|fewest|worst|bottom|weakest)\b")


def metric_asked(question: str) -> Metric | None:
    """The metric the question ranks by; None when it names none."""
    text = normalize(question)  # "fus" reads as "follow-ups"
    return next((m for m in METRICS if m.pattern.search(text)), None)


def handle(ask: Ask) -> CoachAnswer:
    if ask.viewer.role == Role.rep:
        return CoachAnswer(Refusal(doc(line(REFUSAL))), f"{NAME}_denied")
    metric = metric_asked(ask.question)
    chosen = metric or DEFAULT
    team = team_of(ask)
    try:
        period = report_period(ask, team.timezone)
    except InvalidInput as exc:
        return unreadable_period(exc, f"{NAME}_clarify")
    figures = figures_by_owner(ask, team, period)
    people = [(rep, figures.get(rep.id, Figures())) for rep in team.reps
              if rep.role == Role.rep or rep.id in figures]
    lowest = bool(_LOWEST.search(normalize(ask.question)))  # "who has the smallest pipeline"
    people.sort(key=lambda pair: _order(chosen.value(pair[1]), pair[0].name, lowest=lowest))

    when = f", {period.label}" if chosen.per_period else ""
    lines = [line(strong(f"{chosen.title} — {team.label}{when}"), f", {'lowest' if lowest else 'highest'} first:")]
    lines += [numbered(i, f"{rep.name} — {chosen.shown(f)}") for i, (rep, f) in enumerate(people[:SHOWN], 1)]
    if len(people) > SHOWN:
        lines.append(line(f"…and {len(people) - SHOWN} more."))
    if not people:
        lines = [line(f"No one to rank in {team.label} yet.")]
    if metric is None:
        others = [m.title.lower() for m in METRICS if m is not DEFAULT]
        lines.append(line(f"I ranked by overdue follow-ups; you can also rank by {', '.join(others[:-1])} "
                          f"or {others[-1]}."))
    return CoachAnswer(TeamRanking(
        doc(lines), metric=chosen.key, metric_named=metric is not None, lowest_first=lowest, team=team.label,
        period=period if chosen.per_period else None,
        ranking=tuple(RankedRep(rep.id, rep.name, chosen.value(f), f) for rep, f in people)), NAME)


def _order(value: float | None, name: str, *, lowest: bool) -> tuple:
    """Highest (or lowest) first, a missing value (no deals closed) last either way, ties by name."""
    number = value or 0
    return (value is None, number if lowest else -number, name.lower(), name)


INTENT = Intent(
    name=NAME,
    summary="your team ranked by overdue follow-ups, open pipeline, stuck deals, won or win rate (managers)",
    managers_only=True,
    try_it="Who on my team has the most overdue follow-ups?",
    handle=handle,
    examples=(
        "who on my team has the most overdue follow-ups", "who's got the most overdue fus", "who has the biggest pipeline",
        "which rep has the most stuck deals", "who has the best win rate", "rank my reps by win rate",
        "who closed the most this quarter", "who's my top closer this month",
        "leaderboard", "team leaderboard this quarter", "who is behind on follow-ups", "who has the most deals over norm",
        "which rep is slipping the most", "which reps are falling behind", "compare my reps", "rank my team",
        "who won the most last quarter", "who's the top performer on my team", "who has the smallest pipeline",
        "which of my reps has the most late follow ups", "who needs help on my team", "rep ranking by won deals",
        "who's carrying the most pipeline", "stack rank my reps", "which rep has the lowest win rate",
        "who has the most stale deals", "order my team by overdue follow-ups", "who closed the most deals last month",
        "who is slacking on follow ups",
        "who's top on the team this q", "rank reps by closed won", "which rep is winning the most deals",
        "top rep this quarter?", "who's last on the leaderboard", "compare bob and carla", "sam vs priya win rate",
        "how do my reps stack up", "sort reps by pipeline", "reps ordered by stuck deals",
        "which rep closed the most ytd", "who's lagging on the team", "who's worst at follow ups",
        "best and worst reps this month", "who's crushing it this quarter", "rank everyone by win rate",
        "late follow ups per rep, most first", "which rep has the most open pipeline", "who has the fewest wins",
        "who is ahead, bob or carla", "team ranking by deals won", "list reps by number of late follow ups",
        "compare priya with bob this quarter", "sam vs jordan", "who has more pipeline, sam or priya",
        "number of overdue follow-ups for each rep", "break down late follow ups by rep",
        "who's got the most fus overdue", "which rep is furthest behind on follow-ups",
        "how do carla and jordan compare",
        "who's sitting on the most stuck deals", "whose deals are most stuck", "who has the most stuck opps",
        "who won more deals, jordan or sam", "who's doing better, bob or priya", "head to head bob vs carla",
        "who has won the most this year", "which rep sold the most", "who brought in the most revenue",
        "who's top of the team on wins", "most deals closed by rep this quarter",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "who's got the most overdue tasks on the team", "which rep is sitting on the most late fus",
        "overdue follow-ups leaderboard", "who's the weakest on my team right now",
        "who on the team has the fattest pipeline", "bottom 3 reps by win rate", "top 3 reps this quarter",
        "who's my best rep", "which of my reps needs coaching most", "who's closing the most deals this month",
        "which rep has the most deals stuck in validate", "who has the highest close rate on the team",
        "who on my team is most behind", "rank bob, carla and sam by pipeline",
        "who's winning more, priya or jordan lee", "which rep has the most at-risk deals", "most stuck deals by rep",
        "who's got the least pipeline", "who's underperforming", "who's the mvp this quarter",
        "which reps have zero wins this month", "who on my team is best at following up",
        "who owes the most follow ups", "team standings", "how does bob compare to the rest of the team",
        "rep by rep win rates", "who's not pulling their weight", "pipeline per rep, biggest first",
        "who has the most deals past close date", "who booked the most in q3", "sort the team by wins",
        "where does carla rank on the team", "ranking of reps by stale deals", "whos top and bottom on win rate",
        "getting ready for my team meeting and want to call out whoever is worst on overdue follow-ups, and who has the biggest pipe, can you rank everyone",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "who on the team is most overdue", "rank reps by overdue fus", "who's winning the most deals this qtr",
        "whos got the worst win rate", "team ranking pls", "rank the east team by wins",
        "who's furthest behind on fus", "order reps by stuck deals", "which rep closed the most in q3",
        "who leads the team in win rate ytd", "who's top and who's bottom this month",
        "which of my reps has the most stalled deals", "compare sam and priya on pipeline", "carla vs jordan on wins",
        "who's the best closer on my team this year", "rank by open pipeline", "sort my reps by win %",
        "who has the lowest pipeline on the team", "most overdue rep?", "which rep do i need to worry about most",
        "who's leading on closed won this month", "which reps have the most deals stuck",
        "rep leaderboard by pipeline", "who won the fewest deals last qtr",
        "rank everybody by overdue follow ups, worst first", "how does sam rank vs the others",
        "who has more overdue fus, bob or alice", "which rep is the most behind on follow ups this week",
        "top performer ytd?", "who's dragging the team down", "show me reps ranked by stuck opps",
        "which of my people has the best close rate", "who is top of the pipeline leaderboard",
        "whose win rate is best on the team", "rank priya, sam and jordan by wins this qtr",
        "who on east has the most open pipeline", "rank my reps, lowest win rate first",
        "which rep has the most late fus rn",
        "need to figure out who to pair up for coaching next week, can you rank my reps from worst to best on win rate and tell me who has the most stuck deals too",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "who's the top rep this quarter", "who has the biggest pipeline on my team", "team leaderboard",
        "who's closed the most this month", "team ranking by overdue follow-ups",
        "which of my reps is worst on follow-ups", "sort my reps by won amount",
        "who on the team is lagging on wins", "compare my reps on pipeline",
        "who's behind on follow ups across the team", "leaderboard for q3", "rank everyone by open pipe",
        "which seller is winning the most", "who needs coaching most on my team based on stuck deals",
        "best and worst reps by win rate this quarter", "how do my reps compare on wins",
        "which reps have the most overdue tasks", "order the team by deals won last month",
        "who is carrying the most pipeline", "which of my people has the most stalled opps",
        "who on my team is crushing it", "rank my team, most overdue first", "top reps by won revenue this qtr",
        "who closed the least this quarter on the team", "whos got the most open pipeline out of my reps",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "leaderboard for wins this quarter", "rank the team by stuck deals", "who's winning the most on my team",
        "who on the team is worst on follow ups", "rank team by wins q3", "top rep by win rate this month?",
        "compare my reps on overdue f/us", "which rep has the most deals stuck over norm",
        "who's leading in new pipeline this quarter", "rank reps by open pipeline",
        "who's lagging on my team in wins", "which of my reps is behind on follow ups the most",
        "who has the best win rate on the team ytd", "order the reps from most to fewest overdue followups",
        "ranking of reps by closed won", "who has the least pipeline", "rep ranking by stuck deals pls",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "which rep is sitting on the most late fu's", "order the team by open pipe",
        "whose deals are stalled the most", "best closer on the team this qtr?",
        "which rep has won the most this month", "leaderboard by win rate pls", "who's the weakest on follow ups",
        "sort my reps by closed amount", "who added the most new pipeline this quarter",
        "which of my reps is furthest behind", "who's winning the most deals",
        "who on my team has the lowest win rate", "order the reps by number of overdue follow ups",
        "who's carrying the biggest pipeline", "hey who's closed the most in q4 so far",
        "rank carla jordan sam and priya by won amount", "who's the best performer on the team this month",
        "bottom of the team on new pipeline?", "compare my reps, who's ahead",
        "which rep has the most deals past close date",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "rank my reps by pipeline", "whos got the most stuck deals",
        "who on the team is furthest behind on follow ups", "stack rank the team by closed won",
        "whos generated the most new pipeline this month", "who has the worst win rate on my team",
        "rank everyone by deals won this qtr", "which ae has the most deals past close date",
        "whos my top performer this quarter", "who on my team is lagging the most",
        "sort my reps by weighted pipeline", "who closed the most $ last quarter",
        "whos winning the most deals on my team", "most overdue followups by rep", "who has the thinnest pipe",
        "whos crushing it this quarter", "top 5 reps by bookings q4",
        "compare my reps on new pipe created, highest to lowest",
    ),
)
