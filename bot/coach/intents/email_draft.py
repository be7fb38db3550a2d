"""A follow-up email draft for one deal, grounded in what is stored and aimed at one criterion.

The email moves the first exit criterion of the deal's stage the buyer has not confirmed (map
order); when the stage is done, the first earlier-stage criterion never confirmed; with none
left, it proposes the move to the next stage. It refers to the last logged activity and
proposes a call on the first workday at least ``LEAD_DAYS`` days after today in the asker's
timezone. It names no contact (none is stored) and is signed by the deal's owner.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, DealSlots, Intent, Tool
from bot.coach.results import EmailDraft
from bot.coach.rich import doc, line, strong, text_lines
from bot.coach.types import CoachAnswer
from storage.timeutil import zone

LEAD_DAYS = 2
SATURDAY = 5


def proposed_day(now: datetime, tz_name: str | None) -> date:
    """The first Monday-to-Friday day at least ``LEAD_DAYS`` days after ``now``'s date in ``tz_name``."""
    day = now.astimezone(zone(tz_name)).date() + timedelta(days=LEAD_DAYS)
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


def handle(ask: Ask) -> CoachAnswer:
    plan, now = ask.plan, ask.now
    deal = plan.deal
    target = (plan.unmet or plan.unconfirmed_earlier or [None])[0]
    day = proposed_day(now, ask.viewer.timezone)
    when = wording.day_label(day)

    if target is None:
        aim = [f"The buyer has confirmed everything in {plan.stage_name}, so this email proposes the next step."]
        ask_line = f"From our side, everything is in place to move on{_to(plan.next_stage_name)}."
    else:
        stage_name = ask.process.stage(target.stage_key).name
        why = (f"the first exit criterion of {stage_name} the buyer hasn't confirmed" if target in plan.unmet
               else f"everything in {plan.stage_name} is confirmed, but this {stage_name} criterion never was")
        aim = ["This email should move ", strong(target.text), f" — {why}."]
        question = wording.buyer_question(target.text)
        ask_line = f"One thing would help us plan the next step: {question[0].lower() + question[1:]}"
    subject = f"{deal.name}: next step on {when}"
    if plan.last_activity_at:
        last_day = plan.last_activity_at.astimezone(zone(ask.viewer.timezone)).date()
        # The activity's note is the rep's own words, written for the team (and any text at all): it is
        # shown to the rep above the draft, never put in an email the buyer will read.
        opening = f"Following up on our last exchange on {wording.day_label(last_day)}."
    else:
        opening = f"Following up on {deal.name}."
    grounded = f"Last activity: {wording.last_activity_phrase(plan, now)}."
    body = "\n".join([
        f"Hi {deal.account} team,", "", opening, ask_line, "",
        f"Would {when} work for a short call to go through it together?", "",
        "Best,", deal.owner_name,
    ])
    words = doc(line(strong(f"Follow-up draft: {composer.deal_heading(deal)}"), f" · {plan.stage_name}"),
                line(*aim, f" {grounded}"),
                line(f"Subject: {subject}", gap=True),
                text_lines(body, gap=True))
    result = EmailDraft(words, subject=subject, mail=body, criterion_key=target.key if target else None,
                        criterion_stage=target.stage_key if target else None, proposed_date=day)
    return CoachAnswer(result, "email_draft", deal=deal, plan=plan,
                       citations=[ask.map_citation(ask.process.stage(plan.stage_key))])


def _to(stage_name: str | None) -> str:
    return f" to {stage_name}" if stage_name else ""


INTENT = Intent(
    name="email_draft",
    summary="a follow-up email draft for a deal, aimed at what the buyer still has to confirm",
    try_it="Draft a follow-up to {deal}",
    needs_deal=True,
    handle=handle,
    slots=DealSlots,
    tool=Tool("email_draft", "A follow-up email draft for a deal."),
    menu=50,
)
