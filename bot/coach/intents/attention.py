"""Every deal that needs attention: overdue follow-ups, days over the stage's norm, and the deal warnings
(``bot.pipeline.deal_warnings``: stalled against the team's pace, close date passed or pushed twice, no
activity, unmet exit criteria of earlier stages), each with its reason in words."""

from __future__ import annotations

import re

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent, Tool
from bot.coach.results import AttentionList
from bot.coach.router import normalize
from bot.coach.types import CoachAnswer
from bot.core.plan import deal_ref
from bot.core.text import plural
from bot.pipeline.deal_warnings import PAST_CLOSE, PUSHED, QUIET, STALLED, UNMET, open_deal_warnings
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
    "quiet": re.compile(r"\b(?:quiet|no activity|gone dark|went dark|untouched|neglected)\b"),
    "criteria": re.compile(r"\b(?:unmet|exit criteria|skipped (?:a )?stages?)\b"),
}
# Each warning ranks under a kind of problem, with its points: a passed close date as before, a close date
# pushed twice nearly as much, a stall against the team's own pace above one over the map's norm.
WARNING_RANK = {STALLED: ("stuck", 20), PAST_CLOSE: ("close", 50), PUSHED: ("close", 30), QUIET: ("quiet", 15),
                UNMET: ("criteria", 10)}


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
    states = deal_store.open_deal_states(session=session, viewer=viewer)
    warnings = open_deal_warnings(session=session, states=states, process=process, now=now)
    rows = []
    for state in states:
        deal = state.deal
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
        if (warning := warnings.get(deal.id)) is not None:
            reasons += warning.words()
            for kind in warning.kinds:
                asked_as, points = WARNING_RANK[kind]
                severity[asked_as] = severity.get(asked_as, 0) + points
        if severity.keys() & asked:
            rows.append((sum(points for kind, points in severity.items() if kind in asked), state, reasons))
    rows.sort(key=lambda r: (-r[0], r[1].deal.name))
    shown = [(deal_ref(state), reasons) for _, state, reasons in rows[:SHOWN]]
    narrowed = next(iter(asked)) if len(asked) == 1 else None
    body = composer.compose_attention(shown, viewer.is_manager, total=len(rows), kind=narrowed)
    result = AttentionList(body, deals=tuple(state.deal.external_id for _, state, _ in rows), kinds=tuple(sorted(asked)))
    return CoachAnswer(result, "attention", listed=[state.deal.id for _, state, _ in rows[:SHOWN]])


INTENT = Intent(
    name="attention",
    summary="every deal that needs attention: overdue follow-ups, stuck or stalled deals, passed or pushed close "
            "dates, no activity, unmet exit criteria",
    try_it="Which of my deals need attention?",
    handle=handle,
    tool=Tool("needs_attention", "Deals needing attention: overdue follow-ups, stuck or stalled, close date passed "
                                 "or pushed, no activity, unmet exit criteria."),
    menu=120,
    menu_for_managers=True,
)
