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

from pydantic import Field

from bot.coach.intents.base import PERIOD_AS_ASKED, Ask, Intent, Slots, Tool
from bot.coach.intents.scorecard import figures_by_owner, report_period, team_of, unreadable_period
from bot.coach.results import RankedRep, Refusal, TeamRanking
from bot.coach.rich import doc, line, numbered, strong
from bot.coach.router import normalize
from bot.coach.types import CoachAnswer
from bot.core.errors import InvalidInput
from bot.core.text import money, plural
from bot.pipeline.periods import find_period
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
    counts_problems: bool = False  # more is worse (overdue follow-ups): "worst" ranks the most first


# Checked in this order: "win rate" before "won", "overdue follow-ups in the pipeline" as overdue.
METRICS = (
    Metric("win_rate", "Win rate", re.compile(r"\bwin(?:ning)?[- ]?(?:rates?|ratios?|%|percent\w*)|\b(?:close|hit)[- ]?rates?"
                                              r"|\bwins? (?:the )?most often|\bconver(?:sion|ts?)\b"),
           lambda f: f.win_rate,
           lambda f: f"{f.win_rate:.0%} ({f.won_count} won of {f.closed_count} closed)" if f.closed_count
           else "no deals closed", per_period=True),
    Metric("overdue_followups", "Overdue follow-ups", re.compile(r"overdue|follow[- ]?ups?|\blate\b|\bbehind\b"),
           lambda f: f.overdue_followups, lambda f: plural(f.overdue_followups, "overdue follow-up"),
           counts_problems=True),
    Metric("over_norm", "Deals over their stage's norm",
           re.compile(r"\bstuck|\bstall\w*|\bover (?:the |their )?(?:norm|expected)|\baging\b|\bstale\b|\btoo long|\bslow\w*"),
           lambda f: f.over_norm, lambda f: plural(f.over_norm, "deal") + " over the norm", counts_problems=True),
    Metric("open_pipeline", "Open pipeline", re.compile(r"\bpipeline|\bopen deals|\bbook\b|\bbacklog\b"),
           lambda f: float(f.open_amount), lambda f: f"{money(f.open_amount)} in {plural(f.open_count, 'open deal')}"),
    Metric("won_amount", "Won amount", re.compile(r"\bwon\b|\bwins?\b|\bclos(?:ed|ing|er|ers)\b|\bbookings?\b|\brevenue\b"
                                           r"|\bsold\b|\bsell(?:er|ers|ing)?\b|\bquota\b|\bbest (?:rep|performer)"),
           lambda f: float(f.won_amount), lambda f: f"{money(f.won_amount)} from {plural(f.won_count, 'deal')} won",
           per_period=True),
)
DEFAULT = METRICS[1]
WON = METRICS[-1]
_LOWEST = re.compile(r"\b(?:least|lowest|smallest|fewest)\b")
# Judgements, whose order depends on the metric: the worst on overdue follow-ups has the most of them.
_WORST = re.compile(r"\b(?:worst|bottom|weakest|slacking|slackers?|furthest behind)\b")
_BEST = re.compile(r"\b(?:best|strongest|cleanest|on top of)\b")


def _names_a_period(question: str) -> bool:
    try:
        return find_period(question) is not None
    except InvalidInput:
        return False


def lowest_first(text: str, metric: Metric) -> bool:
    """Whether the ranking reads from the lowest value: "fewest", "smallest"; "worst" on a metric where more
    is better (win rate), "best" on one that counts problems (overdue follow-ups)."""
    if _LOWEST.search(text):
        return True
    return bool(_BEST.search(text) if metric.counts_problems else _WORST.search(text))


def metric_asked(question: str) -> Metric | None:
    """The metric the question ranks by; None when it names none."""
    text = normalize(question)  # "fus" reads as "follow-ups"
    return next((m for m in METRICS if m.pattern.search(text)), None)


def handle(ask: Ask) -> CoachAnswer:
    if ask.viewer.role == Role.rep:
        return CoachAnswer(Refusal(doc(line(REFUSAL)), "access", "ask “how am I doing?” for your own numbers"), f"{NAME}_denied")
    metric = metric_asked(ask.question)
    # No metric named but a period ("team ranking this month"): what was won in it, not today's overdue count.
    chosen = metric or (WON if _names_a_period(ask.question) else DEFAULT)
    team = team_of(ask)
    try:
        period = report_period(ask, team.timezone)
    except InvalidInput as exc:
        return unreadable_period(exc, f"{NAME}_clarify")
    figures = figures_by_owner(ask, team, period)
    people = [(rep, figures.get(rep.id, Figures())) for rep in team.reps
              if rep.role == Role.rep or rep.id in figures]
    lowest = lowest_first(normalize(ask.question), chosen)
    people.sort(key=lambda pair: _order(chosen.value(pair[1]), pair[0].name, lowest=lowest))

    when = f", {period.label}" if chosen.per_period else ""
    lines = [line(strong(f"{chosen.title} — {team.label}{when}"), f", {'lowest' if lowest else 'highest'} first:")]
    lines += [numbered(i, f"{rep.name} — {chosen.shown(f)}") for i, (rep, f) in enumerate(people[:SHOWN], 1)]
    if len(people) > SHOWN:
        lines.append(line(f"…and {len(people) - SHOWN} more."))
    if not people:
        lines = [line(f"No one to rank in {team.label} yet.")]
    if metric is None:
        others = [m.title.lower() for m in METRICS if m is not chosen]
        lines.append(line(f"I ranked by {chosen.title.lower()}; you can also rank by {', '.join(others[:-1])} "
                          f"or {others[-1]}."))
    return CoachAnswer(TeamRanking(
        doc(lines), metric=chosen.key, metric_named=metric is not None, lowest_first=lowest, team=team.label,
        period=period if chosen.per_period else None,
        ranking=tuple(RankedRep(rep.id, rep.name, chosen.value(f), f) for rep, f in people)), NAME)


def _order(value: float | None, name: str, *, lowest: bool) -> tuple:
    """Highest (or lowest) first, a missing value (no deals closed) last either way, ties by name."""
    number = value or 0
    return (value is None, number if lowest else -number, name.lower(), name)


class RankingSlots(Slots):
    metric: str = Field("", description="What to rank by.")
    period: str = Field("", description=PERIOD_AS_ASKED)


INTENT = Intent(
    name=NAME,
    summary="your team ranked by overdue follow-ups, open pipeline, stuck deals, won or win rate (managers)",
    managers_only=True,
    try_it="Who on my team has the most overdue follow-ups?",
    handle=handle,
    slots=RankingSlots,
    tool=Tool("team_ranking", "Managers: the team ranked by a metric.", words="who on my team has the most {metric} {period}"),
    menu=100,
    menu_for_managers=True,
)
