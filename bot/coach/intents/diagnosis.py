"""Why a deal is stuck or at risk: its figures against the process map, a verdict and the one move to make.

The verdict follows fixed rules on the deal's plan:

- *stuck*: over the stage's expected days and quiet (no activity for 14 days or more, or none
  logged in the 14 days or more since the deal was created), or over by a whole stage norm again
  (twice the expected days in stage);
- *at risk*: otherwise, any of: over the stage's expected days, an overdue follow-up, the close
  date passed (the owner's calendar day), quiet, earlier stages' criteria the buyer never confirmed;
- *on track*: none of these. Criteria still open in the current stage are the stage's normal work.

The move offered is the overdue follow-up first, then the earliest criterion the buyer skipped in
an earlier stage, then the plan's first next activity (``wording.first_move``).
"""

from __future__ import annotations

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, DealSlots, Intent, Tool
from bot.coach.results import Diagnosis
from bot.coach.rich import bullet, doc, line, strong
from bot.coach.types import CoachAnswer
from bot.core.text import plural
from storage.models import Rep

QUIET_DAYS = 14
STUCK, AT_RISK, ON_TRACK = "stuck", "at risk", "on track"


def handle(ask: Ask) -> CoachAnswer:
    plan, now, process = ask.plan, ask.now, ask.process
    stage = process.stage(plan.stage_key)
    owner = ask.session.get(Rep, plan.deal.owner_id)
    today = wording.local_today(now, owner.timezone if owner else None)
    close = plan.deal.close_date
    close_passed = bool(close and close < today)
    last_days = (now - plan.last_activity_at).days if plan.last_activity_at else None
    quiet_days = last_days if last_days is not None else (now - ask.deal.created_at).days
    quiet = quiet_days >= QUIET_DAYS

    lines = [line(strong(composer.deal_heading(plan.deal)), f" · {plan.stage_name}")]
    over = (", ", strong(f"{plural(plan.days_over, 'day')} over")) if plan.days_over else ()
    lines.append(bullet(f"Time in stage: day {plan.days_in_stage} of {plan.expected_days} expected", *over, "."))
    if plan.unmet:
        lines.append(bullet(f"The buyer hasn't confirmed ({len(plan.unmet)} of {len(plan.criteria)}): "
                            f"{wording.criteria_list(plan.unmet)}."))
    else:
        lines.append(bullet(f"The buyer has confirmed every exit criterion of {plan.stage_name}."))
    lines.append(bullet(f"Last activity: {wording.last_activity_phrase(plan, now)}."))
    citations = [ask.map_citation(stage)]
    if plan.unconfirmed_earlier:
        earlier = [process.stage(c.stage_key) for c in plan.unconfirmed_earlier]
        names = wording.joined(list(dict.fromkeys(s.name for s in earlier)))
        lines.append(bullet(f"Ahead of the buyer: {plural(len(plan.unconfirmed_earlier), 'criterion', 'criteria')} of "
                            f"{names} never confirmed — {wording.criteria_list(plan.unconfirmed_earlier)}."))
        citations += [c for c in dict.fromkeys(ask.map_citation(s) for s in earlier) if c not in citations]
    if close_passed:
        lines.append(bullet(f"Close date {wording.short_date(close)} passed {plural((today - close).days, 'day')} ago."))
    elif close:
        lines.append(bullet(f"Close date: {wording.short_date(close)}."))
    for item in plan.overdue_followups:
        lines.append(bullet(f"Overdue follow-up: {wording.followup_phrase(item)}."))

    warnings = []
    if plan.days_over:
        warnings.append(f"{plural(plan.days_over, 'day')} over the norm")
    if plan.overdue_followups:
        warnings.append(plural(len(plan.overdue_followups), "overdue follow-up"))
    if close_passed:
        warnings.append("close date passed")
    if quiet:
        warnings.append(f"no activity in {plural(quiet_days, 'day')}" if last_days is not None
                        else f"no activity logged since it was created, {plural(quiet_days, 'day')} ago")
    if plan.unconfirmed_earlier:
        warnings.append("earlier-stage criteria never confirmed")
    if plan.days_over and (quiet or plan.days_over >= plan.expected_days):
        verdict = STUCK
    else:
        verdict = AT_RISK if warnings else ON_TRACK
    because = f" — {'; '.join(warnings)}" if warnings else " — within the stage's norm, nothing overdue, recent activity"
    lines.append(line(strong(f"Verdict: {verdict}"), f"{because}.", gap=True))
    move = wording.first_move(plan, earlier_first=True)
    lines.append(line(strong("Most useful next move:"), f" {move}"))

    result = Diagnosis(
        doc(lines), verdict=verdict, reasons=tuple(warnings), next_move=move, days_in_stage=plan.days_in_stage,
        expected_days=plan.expected_days, days_over=plan.days_over, unmet=tuple(c.key for c in plan.unmet),
        unconfirmed_earlier=tuple(f"{c.stage_key}.{c.key}" for c in plan.unconfirmed_earlier),
        last_activity_days=last_days, close_date=close, close_date_passed=close_passed,
        overdue_followups=len(plan.overdue_followups))
    return CoachAnswer(result, "diagnosis", deal=plan.deal, plan=plan, citations=citations)


INTENT = Intent(
    name="diagnosis",
    summary="why a deal is stuck or at risk, and the one move that unblocks it",
    try_it="Why is {deal} stuck?",
    needs_deal=True,
    handle=handle,
    slots=DealSlots,
    tool=Tool("deal_diagnosis", "Why a deal is stuck or at risk."),
    menu=30,
)
