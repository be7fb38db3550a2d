"""Where to start: the top 3 open deals the asker may see, each with why and the first move.

The ranking is a sum of points, each shown to the rep as a reason with its figures:

- overdue follow-ups: 50 for the first, 10 for each other one, plus 2 per day the oldest is
  late (counting at most 15 days) — a promise to the buyer already broken comes first;
- a follow-up due today: 30;
- close date passed: 40; close date within the next 14 days: 20;
- days over the stage's expected days: 1 per day, at most 30.

Ties (often 0 points: nothing is late) go to the bigger amount, then the name. "Today" and
"overdue" are the deal owner's calendar day, as in the deal plan and the digest.

Ranking reads each open deal's own columns, one query of the follow-ups due within a day and one
of the owners' timezones; the full plan (a few queries) is built only for the 3 deals shown, so a
book of hundreds stays cheap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, Intent
from bot.coach.results import FocusList, FocusRow
from bot.coach.rich import doc, line, numbered, strong
from bot.coach.types import CoachAnswer
from bot.core.plan import classify_followups
from bot.core.text import money, plural
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
    ranked = []
    for deal in deal_store.open_deals_for(session=session, viewer=viewer):
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
    examples=(
        "what should i work on today", "where do i start", "where should i start today", "which deal should i focus on",
        "which deal should i focus on today", "what should i prioritize", "what's my priority today",
        "top 3 deals to work on", "which deals matter most today", "what do i tackle first",
        "where should i spend my time today", "help me plan my day",
        "which deal first", "what's most important right now", "rank my deals for today",
        "what should i be working on", "where's my focus today", "give me my top priorities",
        "which deals should i work on this morning", "i have an hour, which deal should i work on",
        "what's the best use of my time today", "what do i start with", "pick my top deals for today",
        "what should my team focus on today", "which deals should we prioritise this week",
        "which of my deals should i look at first", "what's most urgent today", "what's first on my list today",
        "which accounts should i hit first", "show me my most important deals today",
        "what should i do first today", "where do i begin today", "what to work on rn", "top deals for today pls",
        "prioritize my deals", "gimme my priorities for today", "which opps should i hit today",
        "what deserves my time today", "morning, where should i start", "if i only get to one deal today which one",
        "help me pick what to work on", "what's my game plan for today", "which deals should i push today",
        "plan my day pls", "where should i put my energy this afternoon", "what should i work on first thing tmrw",
        "which deals should i call today", "todays priorities", "what's on top of my list",
        "what to focus on this week", "so many deals, where do i even start", "what should i knock out first",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "top 3 for today?", "what should i hit first this morning", "help me prioritze my day",
        "which 3 deals get my time today", "i've got 2 hours before my flight, which deals should i spend them on",
        "where's the biggest bang for my buck today", "most important deals for me this week",
        "what's the first deal i should call this morning", "start of day, what do i work",
        "i'm swamped, what's the priority", "if you were me which deals would you work today", "give me my top three",
        "shortlist of deals for today", "which deals move the needle most this week",
        "where should my effort go this week", "pick 3 deals for me to push", "it's monday, what's first",
        "what's the highest-impact thing i can do today", "wat shud i focus on today", "rank what i should tackle",
        "what should my reps focus on this week", "what's the best deal to spend the afternoon on", "focus list pls",
        "daily priorities", "which opps are worth my time rn", "i have 30 min, which deal should i touch",
        "what should i focus my week on", "sort my day out, which deals first", "what's most worth working on today",
        "which deal gets my first hour", "ok so what am i doing today", "biggest priorities this afternoon",
        "which customer should i call first today", "order of attack for today?",
        "i have like twelve open deals and a half day before my kid's recital, tell me which three to spend it on and what to do first on each",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "what are my top 3 rn", "best 3 deals to work today", "which deal do i hit first", "today's top deals?",
        "what should i spend today on", "prioritise my afternoon", "tell me which deals to work first",
        "where's my time best spent this wk", "my first move this morning?", "which deals come first today",
        "i've got a free afternoon, what deals should i hit", "top priorities for tmrw", "rank my top 3",
        "what's the one deal i should work on today", "what do i work on after lunch",
        "help me decide which deals to work today", "whats most pressing today",
        "i have 45 min, where should i put it", "pick my focus deals this week", "first thing on my plate today?",
        "just logged on, where to start", "which deals should i go after today",
        "best deals to push on a friday afternoon", "what should carla focus on today", "top 3 for jordan this week",
        "prio list for the week pls", "too many deals, pick three for me", "where should i start w my pipeline today",
        "what's my #1 today", "give me today's hit list", "if i can only do 3 things today what are they",
        "order my deals by what to work first", "what deserves my morning", "which opps get priority today",
        "what should i dive into first", "gimme a focus for today", "what do i work on first, quick",
        "what's priority one this afternoon",
        "its monday morning, coffee in hand, i have maybe 3 hours before back to back meetings, which deals should i spend them on and in what order",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "give me 3 deals to kick off the day with", "where should i begin this morning, deal-wise",
        "first call of the day, which deal", "top three deals to push before lunch",
        "what should i work on first today, give me three", "i have the whole afternoon, which deals get it",
        "what do i jump on first thing today", "if you had to rank my deals for right now, top 3?",
        "back to back mtgs all day but i have 20 min, which deal",
        "which opps deserve my attention first this morning",
        "whats the most important deal for me to work right now",
        "carla wants to know where to start today, which deals", "what 3 deals should jordan work first this week",
        "prioritize my pipeline for today", "which deals should i spend friday on", "start me off, whats first",
        "i dont know where to start today, pick my deals for me", "whats top of the pile today",
        "whats worth my time first today",
        "just back from a week off, dont want a list of everything, just tell me which three deals to work first today and why",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "whats my priority this morning", "which deals should i hit first today",
        "i've got a free afternoon, which deals deserve it", "what to focus on rn",
        "what's most important for me to work on today", "pick my deals for the day", "morning! where do i begin",
        "wich deal first", "which opps should i prioritize today",
        "i only have time for a few deals today, which ones", "what are my biggest priorities rn",
        "rank my top deals to work today", "what should i tackle first this morning", "best use of my time today?",
        "what's on deck for me today", "which 3 deals matter most right now", "back from pto, where should i start",
        "what deserves my time first today", "just tell me what to work on", "my focus today?", "top priorities pls",
        "if i can only move a couple deals today which should they be", "where to start this am",
        "which deals are worth my time today", "plan my day - which deals first",
        "whats the most impactful deal to work on right now",
        "got 2 hours before my next mtg, which deals should i put them into",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "what should i work on first this morning", "which deals should i focus on rn",
        "got 2 hrs before my next mtg, which deals should i hit", "what's most important today",
        "where do i put my energy today", "what should i tackle first", "start of the day, what do i do first",
        "which deals move the needle most today", "what are the best 3 deals to work this aft",
        "monday morning, where do i begin", "if i can only touch 3 deals today which should they be",
        "what should i be focusing on right now", "just got back from pto, where should i start",
        "today's focus list", "what's the one thing i should do first today", "best use of my time this morning?",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "what do i work on first today", "where should i kick off this morning", "morning! what's my priority rn",
        "i've got an hour before lunch, which deal should i hit", "which deals should i spend today on",
        "what are my biggest priorities today", "if i can only do one thing today what is it",
        "what to focus on today", "where should my energy go this afternoon",
        "rank my deals for today, which ones first", "just back from pto, what should i tackle first",
        "what's most important for me to work on rn", "whats the best use of my time today",
        "got 30 mins, which opp gets it", "start of the week, what do i hit first", "gimme today's priorities",
        "which 3 deals matter most today and why", "where do i focus first thing tmrw morning",
        "so many deals, dont know where to begin today", "today's focus?",
        "what should be at the top of my list today",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "where do i start this am", "gm! what do i hit first", "got 45 min between calls, which deal shoud i work",
        "whats the priority today", "rank my deals for today, what do i tackle first",
        "if i can only move one deal today which one", "plan my morning - which opps first",
        "what are my top priorities rn", "back from pto, where do i even start",
        "whats most important to work on today", "monday morning, what should i focus on",
        "which deals deserve my attention first today", "what 3 deals should i be working today",
        "best use of my afternoon?", "i have an hour before my 2pm, what do i work on",
        "pick my top deals for today and tell me why", "wheres the biggest bang for my time today",
        "prioritize my day pls", "start of day, whats first",
        "which opp do i hit first this morning and whats the first move",
    ),
)
