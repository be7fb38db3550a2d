"""Every deal that needs attention: overdue follow-ups, days over the stage's norm, passed close dates."""

from __future__ import annotations

import re

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.results import AttentionList
from bot.coach.router import normalize
from bot.coach.types import CoachAnswer
from bot.core.plan import deal_ref
from bot.core.text import plural
from storage import deals as deal_store
from storage.timeutil import local_midnight_utc, zone

SHOWN = 10
# A question may ask for one kind of problem: "what's stuck" wants the deals over their stage's norm first and
# only, "any overdue follow-ups" the late promises, "anything past its close date" those. A question naming
# none of them, or every one ("overdue or stuck"), gets every deal that needs attention.
KINDS = {
    "overdue": re.compile(r"\b(?:overdue|late|lapsed|past due|follow-ups?|followups?|f/us?)\b"),
    "stuck": re.compile(r"\b(?:stuck|stall(?:ed|ing)?|stale|sitting|norm|too long|(?:haven'?t|not) moved)\b"),
    "close": re.compile(r"\bclose dates?\b|\bpast (?:its |their )?close\b"),
}


def kinds_asked(question: str) -> set[str]:
    """The kinds of problem the question narrows to; every kind when it names none."""
    text = normalize(question)  # "fus" reads as "follow-ups"
    asked = {kind for kind, pattern in KINDS.items() if pattern.search(text)}
    return asked or set(KINDS)


def handle(ask: Ask) -> CoachAnswer:
    session, viewer, now, process = ask.session, ask.viewer, ask.now, ask.process
    asked = kinds_asked(ask.question)
    today_start = local_midnight_utc(now.astimezone(zone(viewer.timezone)).date(), zone(viewer.timezone))
    overdue: dict[int, list] = {}
    for followup, deal in deal_store.open_followups_due_by(session=session, viewer=viewer, until=today_start):
        overdue.setdefault(deal.id, []).append(followup)
    rows = []
    for deal in deal_store.open_deals_for(session=session, viewer=viewer):
        reasons, severity = [], {}  # severity by kind of problem; only the kinds asked rank the deal
        if deal.id in overdue:
            oldest = (today_start - overdue[deal.id][0].due_at).days + 1
            count = len(overdue[deal.id])
            late = plural(oldest, 'day') + " late"
            reasons.append(f"1 overdue follow-up, {late}" if count == 1 else f"{count} overdue follow-ups, the oldest {late}")
            severity["overdue"] = 100 + oldest
        stage = process.stage(deal.stage_key)
        over = (now - deal.stage_entered_at).days - (stage.expected_days if stage else 0)
        if stage and over > 0:
            reasons.append(f"{plural(over, 'day')} over the {stage.expected_days} expected in {stage.name}")
            severity["stuck"] = over
        if deal.close_date and deal.close_date < now.date():
            reasons.append(f"close date {deal.close_date:%b %d} has passed")
            severity["close"] = 50
        if severity.keys() & asked:
            rows.append((sum(points for kind, points in severity.items() if kind in asked), deal, reasons))
    rows.sort(key=lambda r: (-r[0], r[1].name))
    # Full references (a few queries each) only for the deals shown: a big book flags hundreds.
    shown = [(deal_ref(deal_store.deal_state(session=session, deal=deal)), reasons) for _, deal, reasons in rows[:SHOWN]]
    narrowed = next(iter(asked)) if len(asked) == 1 else None
    body = composer.compose_attention(shown, viewer.is_manager, total=len(rows), kind=narrowed)
    result = AttentionList(body, deals=tuple(deal.external_id for _, deal, _ in rows), kinds=tuple(sorted(asked)))
    return CoachAnswer(result, "attention", listed=[deal.id for _, deal, _ in rows[:SHOWN]])


INTENT = Intent(
    name="attention",
    summary="every deal that needs attention: overdue follow-ups, stuck deals, passed close dates",
    try_it="Which of my deals need attention?",
    handle=handle,
    examples=(
        "which of my deals need attention", "what needs my attention", "what's overdue", "any overdue follow-ups",
        "show me my overdue follow-ups", "which follow-ups are late", "what am i late on", "what's slipping",
        "which deals are at risk", "anything at risk in my book", "what did i miss", "what's due today",
        "which deals are behind", "what's falling through the cracks",
        "any deals past their close date", "what's late", "list everything overdue", "which deals need help",
        "what's on fire", "red flags in my deals", "which follow ups did i miss", "deals that need attention",
        "what needs attention on my team", "which of the team's deals need attention",
        "which follow-ups am i behind on", "what am i behind on", "overdue follow-ups across my team",
        "the team's late follow-ups", "anything overdue on the team",
        "what have i dropped", "overdue fus", "show all my late follow ups", "list deals at risk",
        "which deals are past due", "what's past its close date", "everything that's late pls", "any deals stuck",
        "which deals are stalling", "anything slipping in my book", "what's at risk across the team",
        "pull up everything that needs attention", "deals that are overdue or stuck", "what balls have i dropped",
        "what's behind schedule", "show me deals with missed follow ups", "what's gone stale",
        "which deals have i neglected", "risk report for my deals", "any fires today", "what's overdue for my reps",
        "which deals blew through their close date", "what needs fixing in my book",
        "stuck deals", "deals stuck past their expected days", "what's stale on my team",
        "which deals have i let slip", "what did i let fall behind",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "anything i'm forgetting about", "what's gone overdue this week", "which follow-ups did i blow past",
        "show me whatever's late or stuck", "deals that slipped past their close date this month",
        "any f/u past due?", "hey what's slipping on the team this week", "anything urgent i've missed",
        "overdue stuff pls", "what's red right now", "whats past due in my pipeline",
        "any deals blowing through their close dates", "where am i behind on follow ups",
        "list anything stale or overdue", "which of my deals have gone cold",
        "which of my opps haven't been touched in a while", "did i forget any follow-ups",
        "flag anything that needs me", "what's in trouble across my deals",
        "manager view: what's at risk on my team right now", "team-wide, which deals are slipping",
        "any close dates i've blown", "what's burning", "overdue tasks?", "what's late on my reps' deals",
        "back from pto, what slipped while i was out", "which deals have close dates in the past",
        "any loose ends i should tie up", "what follow-ups have lapsed", "which accounts have i been ignoring",
        "anything need my attention before eod", "what should i be worried about in my book", "whats overdu",
        "health check on all my deals",
        "ok i've been heads down on one big deal for two weeks and i'm scared other stuff rotted, what's overdue or stuck across everything i own",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "whats overdue rn", "any late fus", "what's rotting in my pipeline", "show me problem deals",
        "which deals are in trouble", "overdue list pls", "any deals stuck too long", "anything past close date",
        "what have i not followed up on", "which opps have overdue follow ups", "did anything slip this wk",
        "which of my accounts need a nudge", "what's at risk in carla's deals",
        "anything i'm behind on with follow ups", "list the stuck ones", "which deals have stalled out",
        "problems across my book?", "any expired close dates", "what's aging badly in my deals",
        "where am i dropping the ball", "anything urgent?", "what's overdue for jordan", "flag my risky deals",
        "show overdue and stuck deals for the team", "any warnings on my deals",
        "which deals have been sitting too long", "what went past due this month",
        "gimme the list of things that are late", "which deals havent moved in a while",
        "what needs cleaning up in my deals", "any deals with close dates already gone by",
        "are any of my deals in the red", "overdue follow ups across the east team",
        "which deals do i need to rescue", "alerts?", "what am i neglecting", "which follow-ups expired",
        "scan my deals for problems", "what's stuck or late for sam",
        "just got back from a conference and my inbox is a mess, before i dig in can you tell me which deals have overdue follow ups or are stuck or past their close dates",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "which deals already missed the close date we set", "whats overdue for me this wk",
        "got anything stuck in my book or is it all moving", "which of my deals are in trouble right now",
        "what follow ups slipped past due", "show me just the ones past their close date, not my whole list",
        "has carla let any follow ups lapse", "which deals closing this month are already slipping",
        "anything in validate thats stuck", "deals w problems pls", "anything late i need to deal with",
        "which of jordan's deals are at risk", "whats slipped on the east team since last week",
        "any follow ups due yesterday that i didnt do", "which opps are stale or overdue",
        "list my deals that have blown their close date", "any red flags on sam's deals",
        "whats overdue across all my reps rn", "what have i let go overdue",
        "im covering carla's book this week and want to know whats broken, like overdue follow ups, deals stuck forever, close dates that already passed",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "any fires i need to put out", "show me every deal with a problem", "list all my overdue follow ups",
        "which deals have passed their close date", "anything stuck in my pipe?",
        "what needs fixing across my deals", "any of my opps going stale", "flag all deals that need me",
        "show all problem deals", "what's fallen through the cracks", "do i have any late f/u",
        "which of my deals are past due", "give me the full list of issues across my deals",
        "what did i drop the ball on", "what's slipping across my book",
        "any deals with missed close dates or overdue tasks", "everything that needs looking at pls",
        "which deals are stuck right now", "am i late on anything", "red flags across all my deals?",
        "what's gone cold", "which deals of mine are over the stage norm", "list overdue followups and stuck deals",
        "what's broken across my accounts right now", "anything urgent across my accounts", "all deals at risk?",
        "show me whats late",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "what needs attention", "which of my deals have overdue follow ups", "any deals with passed close dates",
        "list all my stuck deals", "what's on fire across my pipeline", "all overdue f/us pls",
        "anything slipping that i should know about? give me the full list",
        "which deals are past their close date or stalled", "show everything that's overdue",
        "full list of issues across my deals", "which deals are over the stage norm",
        "show me all deals needing attention, not just the top ones", "what's broken in my book rn",
        "every deal i'm behind on", "list every deal with a missed follow up or expired close date",
        "what problems do i have across all my opps", "health check on all my deals - what's wrong",
        "give me the complete list of deals that need fixing", "what needs attention on carla's deals",
        "all the red flags in my pipeline",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "what is past due", "anything on fire?", "show me anything that's slipped", "any fu's past due",
        "which deals have blown past their close date", "what's gone stale in my pipe",
        "hey, anything i'm neglecting rn", "flag everything that's behind",
        "which opps are stuck too long in their stage", "list all my problem deals",
        "morning, what follow ups did i miss", "whats fallen behind across the team",
        "any of my team's deals overdue or stuck", "where am i late on follow-ups",
        "show me every deal with a missed close date", "what's aging out", "red flags across my deals pls",
        "which deals are sitting idle past the norm", "anything i forgot to folow up on",
        "give me the full list of deals that are behind schedule",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "show me everything thats past due", "any fu's i missed", "list my stuck opps pls",
        "which deals blew past their close date", "yo anything overdue across the team", "whats gone stale in my book",
        "what needs attention across my deals", "which deals have been sitting in a stage too long",
        "flag anything at risk across my reps' deals", "what have i let slide this week", "overdue f/u's?",
        "any close dates that already passed", "whats slipped thru the cracks on my team",
        "quick scan - whats broken across my opps",
        "was out sick 3 days, what did i miss - overdue stuff, stale deals, all of it", "anything stalled",
        "show me all the problem deals", "any deals w/ expired close dates or missed followups",
        "team wide, whats overdue rn",
    ),
)
