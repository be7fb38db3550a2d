"""Where to start: the top 3 open deals the asker may see, each with why and the first move.

The ranking is a sum of points, each shown to the rep as a reason with its figures:

- overdue follow-ups: 50 for the first, 10 for each other one, plus 2 per day the oldest is
  late (counting at most 15 days) — a promise to the buyer already broken comes first;
- a follow-up due today: 30;
- close date passed: 40; close date within the next 14 days: 20;
- days over the stage's expected days: 1 per day, at most 30;
- deal warnings (``bot.pipeline.deal_warnings``), in their own words: stalled against the team's pace 15,
  close date pushed twice or more 15, no activity 10, exit criteria of an earlier stage unmet 5 (a passed
  close date is already counted above).

Ties (often 0 points: nothing is late) go to the bigger amount, then the name. "Today" and
"overdue" are the deal owner's calendar day, as in the deal plan and the digest.

Ranking reads the open deals' states (four queries), one query of the follow-ups due within a day, one
of the owners' timezones and one per team for its pace; the full plan (a few queries) is built only for the 3 deals shown, so a
book of hundreds stays cheap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, Intent, Tool
from bot.coach.results import FocusList, FocusRow
from bot.coach.rich import doc, line, numbered, strong
from bot.coach.types import CoachAnswer
from bot.core.plan import classify_followups
from bot.core.text import money, plural
from bot.pipeline.deal_warnings import PAST_CLOSE, PUSHED, QUIET, STALLED, UNMET, open_deal_warnings
from storage import deals as deal_store
from storage.models import Deal

SHOWN = 3
OVERDUE_POINTS = 50
EXTRA_OVERDUE_POINTS = 10
POINTS_PER_DAY_LATE = 2
MAX_DAYS_LATE = 15
DUE_TODAY_POINTS = 30
CLOSE_PASSED_POINTS = 40
CLOSE_SOON_POINTS = 20
CLOSE_SOON_DAYS = 14
POINTS_PER_DAY_OVER = 1
MAX_DAYS_OVER = 30
WARNING_POINTS = {STALLED: 15, PUSHED: 15, QUIET: 10, UNMET: 5}  # PAST_CLOSE: CLOSE_PASSED_POINTS above


@dataclass
class Ranked:
    """One deal's score and the reasons that make it up."""

    deal: Deal
    score: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)


def rank(ask: Ask) -> list[Ranked]:
    """Every open deal the asker may see, highest score first (see the module docstring)."""
    session, viewer, now = ask.session, ask.viewer, ask.now
    zones = {rep.id: rep.timezone for rep in deal_store.visible_reps(session=session, viewer=viewer)}
    # Every timezone's "today" has ended by now + 1 day; classify_followups drops what is due later.
    followups = defaultdict(list)
    for followup, deal in deal_store.open_followups_due_by(session=session, viewer=viewer, until=now + timedelta(days=1)):
        followups[deal.id].append(followup)
    states = deal_store.open_deal_states(session=session, viewer=viewer)
    warnings = open_deal_warnings(session=session, states=states, process=ask.process, now=now)
    ranked = []
    for state in states:
        deal = state.deal
        tz_name = zones.get(deal.owner_id, "UTC")
        entry = Ranked(deal)
        overdue, due_today = classify_followups(followups.get(deal.id, []), now, tz_name)
        if overdue:
            late = overdue[0].days_overdue
            points = (OVERDUE_POINTS + EXTRA_OVERDUE_POINTS * (len(overdue) - 1)
                      + POINTS_PER_DAY_LATE * min(late, MAX_DAYS_LATE))
            what = "1 overdue follow-up" if len(overdue) == 1 else f"{len(overdue)} overdue follow-ups"
            entry.add(points, f"{what}, {'the oldest ' if len(overdue) > 1 else ''}{plural(late, 'day')} late")
        if due_today:
            entry.add(DUE_TODAY_POINTS, "a follow-up due today" if len(due_today) == 1
                      else f"{len(due_today)} follow-ups due today")
        today = wording.local_today(now, tz_name)
        if deal.close_date and deal.close_date < today:
            entry.add(CLOSE_PASSED_POINTS, f"close date {wording.short_date(deal.close_date)} passed "
                                           f"{plural((today - deal.close_date).days, 'day')} ago")
        elif deal.close_date and (deal.close_date - today).days <= CLOSE_SOON_DAYS:
            left = (deal.close_date - today).days
            entry.add(CLOSE_SOON_POINTS, f"closes {wording.short_date(deal.close_date)}, "
                                         + ("today" if left == 0 else f"in {plural(left, 'day')}"))
        stage = ask.process.stage(deal.stage_key)
        over = (now - deal.stage_entered_at).days - stage.expected_days if stage else 0
        if over > 0:
            entry.add(POINTS_PER_DAY_OVER * min(over, MAX_DAYS_OVER),
                      f"{plural(over, 'day')} over the {stage.expected_days} expected in {stage.name}")
        if (warning := warnings.get(deal.id)) is not None:
            for kind, reason in warning.reasons:
                if kind != PAST_CLOSE:
                    entry.add(WARNING_POINTS[kind], reason)
        ranked.append(entry)
    ranked.sort(key=lambda r: (-r.score, -r.deal.amount, r.deal.name, r.deal.id))
    return ranked


def handle(ask: Ask) -> CoachAnswer:
    ranked = rank(ask)
    if not ranked:
        whose = "your team has" if ask.viewer.is_manager else "you have"
        return CoachAnswer(FocusList(doc(line(f"Nothing to rank: {whose} no open deals right now. "
                                              "A good day to add new ones!"))), "focus")
    top = ranked[:SHOWN]
    whose = "your team's" if ask.viewer.is_manager else "your"
    lines = [line(strong("Where to start"),
                  f" — the top {len(top)} of {whose} {plural(len(ranked), 'open deal')}:" if len(ranked) > SHOWN
                  else f" — {whose} {plural(len(ranked), 'open deal')}, most pressing first:")]
    rows, citations = [], []
    for i, entry in enumerate(top, 1):
        plan = ask.plan_of(entry.deal)
        stage = ask.process.stage(plan.stage_key)
        reasons = entry.reasons or [f"nothing late; next by size ({money(plan.deal.amount)})"]
        move = wording.first_move(plan)
        owner = f" ({plan.deal.owner_name})" if ask.viewer.is_manager else ""
        lines.append(numbered(i, strong(composer.deal_heading(plan.deal)),
                              f"{owner} · {plan.stage_name}, {money(plan.deal.amount)}", gap=True))
        lines.append(line(f"Why: {'; '.join(reasons)}.", indent=3))
        lines.append(line(f"First move: {move}", indent=3))
        rows.append(FocusRow(plan.deal.external_id, plan.deal.name, entry.score, tuple(reasons), move))
        if (cite := ask.map_citation(stage)) not in citations:
            citations.append(cite)
    return CoachAnswer(FocusList(doc(lines), tuple(rows)), "focus", citations=citations,
                       listed=[entry.deal.id for entry in top])


INTENT = Intent(
    name="focus",
    summary="where to start today: your top 3 deals, each with why and the first move",
    try_it="What should I work on today?",
    handle=handle,
    tool=Tool("focus_today", "The asker's top 3 deals to work on today."),
    menu=10,
)
