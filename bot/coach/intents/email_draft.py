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
from bot.coach.intents.base import Ask, Intent
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
    examples=(
        "draft a follow-up to acme", "draft a follow-up email for acme", "write a follow up email to acme",
        "write an email to acme", "email draft for acme", "can you write acme an email",
        "help me write a follow-up to acme", "draft an email to the acme team", "compose a follow-up for acme",
        "what should i email acme", "write me a follow up note for acme", "draft a check-in email to acme",
        "email acme for me", "i need to send acme an email, draft it", "follow-up email to acme please",
        "write the acme follow up", "draft something to send acme", "what do i write to acme",
        "draft a recap email to acme", "write a nudge to acme", "draft a reply to acme",
        "send acme a follow up, write it for me", "email template for acme", "write to acme to book the next meeting",
        "draft acme a quick note", "write up a recap email for acme", "pls write a follow up to acme",
        "gimme an email for acme", "need an email to acme asap", "can u draft smth for acme",
        "compose a message to acme's champion", "write a thank you email to acme after the call",
        "draft a note to acme asking for the next meeting", "put together an email to acme about pricing",
        "help me word an email to acme", "what should i say to acme in my follow up email",
        "email acme a recap of today's call", "draft the follow up message for acme", "i owe acme an email, write it",
        "write acme a short check-in", "draft a linkedin message to acme", "write something i can send to acme",
        "draft email acme", "email to acme re next steps", "could you draft a follow-up to the acme buyer",
        "write the recap for acme's cfo", "need wording for an email to acme", "reply to acme for me",
        "write acme a recap of the call", "draft a recap of the demo for acme", "email acme about next steps",
        "recap email for acme after the demo", "write the post-meeting email to acme",
        "write up a note to send acme", "draft something about the proposal for acme",
        "put together a follow-up i can send acme",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "can you put together a follow up for acme re: the proposal", "shoot acme an email for me, draft pls",
        "draft a bump email to acme, they haven't replied", "email draft: acme, asking about budget",
        "write a breakup email to acme", "need a quick f/u note to acme",
        "draft a message to acme's cfo asking for 20 min", "help me write to acme about the timeline",
        "wrt acme, draft something i can send today", "write a polite chaser to acme",
        "compose an email to acme confirming next steps", "email copy for acme pls",
        "write an email to acme's champion asking to loop in legal", "write the acme follow up email, keep it short",
        "draft an intro email to acme's economic buyer", "i need to follow up with acme, can you write it",
        "draft a follow-up for acme about the security questionnaire",
        "write acme an email nudging them on the contract", "draft a re-engagement email for acme, they went dark",
        "write a reply to acme's pricing question", "cn u draft a folow up for acme pls",
        "email to acme asking who else should be involved", "draft an email to acme to schedule the proposal review",
        "prepare an email for acme", "write me something to send acme's procurement team",
        "ghostwrite a note to acme", "draft the email to acme summarizing what we agreed",
        "type up a follow-up to acme for me", "draft a text to acme's champion", "acme email pls",
        "write a follow up to acme that asks them to confirm budget", "draft an email bob can send acme",
        "how should i word my follow up to acme", "mail to acme, write it up",
        "ok so the acme call went fine but i need to send them something that recaps it and asks for a decision date, can you write that up for me",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "write acme a follow up", "draft a quick email to acme checking in on budget",
        "can you type out a note to acme's champion", "compose a fu email acme",
        "draft an email to acme asking who signs off", "write an email to acme recapping the technical review",
        "i need a follow up message for acme, can u write", "email to acme after today's mtg pls",
        "draft something polite for acme, they went silent",
        "write a msg to acme asking them to confirm success criteria", "help me write a short email nudging acme",
        "draft a slack message to acme's champion", "whip up a follow up email for acme",
        "draft: email to acme re: commercial terms", "write me an email for acme's buyer",
        "put a follow up to acme into words for me", "write a friendly check in to acme",
        "draft a follow up to acme summarizing the discovery call", "can you draft an email i can send to acme's cfo",
        "what should my email to acme say? write it", "draft acme follow-up, casual tone",
        "write a followup for acme asking for a decision by friday", "email acme to set up the technical review",
        "compose a note to acme about next steps after the demo", "need a draft for acme, sending by eod",
        "write the email to acme asking about the budget range", "draft a message for carla to send acme",
        "redo the acme follow up email, make it shorter", "email for acme plz",
        "draft a thanks-for-your-time email to acme", "write acme a reminder email about the close plan",
        "write up a few lines i can paste into an email to acme", "draft a follow up to acme, theyve been ghosting",
        "draft an email to acme proposing a call next week", "write an outreach email to re-engage acme",
        "draft follow up email acme budget + signoff", "could u write a couple lines to acme asking for an update",
        "draft an email to the acme buying group", "hey write a short follow up to acme pls, nothing fancy",
        "just finished with acme and promised i'd send them a summary plus ask their tech team to confirm fit, can you draft that email so i can send it before i forget",
        # Written while trying the coach in chat: a message to a buyer asked for without the word "email".
        "need a msg for acme, they went dark", "write the buyer at acme a quick note to nudge them",
        "nudge acme for me, something i can send", "a note to get acme talking again", "reach out to acme for me",
        "what do i send acme to wake them up", "word a reply to acme's last message", "message acme's champion",
        "ping acme's buyer with a short note, draft it", "text i can send acme about next steps",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "can you write a f/u to acme, need them to tell me who signs",
        "draft what i should send acme after today's call", "write a follow up to acme for friday",
        "i need to email acme tmrw, draft it now so its ready",
        "draft a short note to acme's champion asking her to loop in finance",
        "write the email confirming what acme agreed on the call",
        "draft a reply to acme, they asked what the next steps are",
        "compose something to send acme about the success criteria doc",
        "acme hasnt answered in a week, write them a nudge",
        "pls draft a message to acme's buyer to book the tech review", "write jordan's follow up to acme for him",
        "help me write back to acme re pricing",
        "can u write acme a msg to get a date for the close plan walkthrough",
        "draft an email to acme, ill send it myself after lunch",
        "write up an email to acme's cfo recapping the budget convo",
        "want to fire off a fu to acme, write it for me", "write a dm for acme's vp, keep it short",
        "words for an email asking acme if their engineers are ok with fit",
        "draft acme an email to get the commercial terms signed off",
        "acme went quiet after the demo and i dont want to sound desperate, can you draft a follow up that recaps what they liked and asks for a call next week",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "draft acme f/u", "write acme a follow up email", "can u write an email to acme recapping our call",
        "need a note to acme's champion to nudge them on the proposal",
        "write a message to acme asking for another meeting", "compose a followup for acme",
        "help me write to acme, they went dark after the demo", "email to acme pls",
        "draft a thank you note to acme after todays meeting", "what should i write to acme to get them to reply",
        "write something i can send acme", "can you put together a recap email for acme's buyer",
        "draft a linkedin message to acme's vp", "fu email acme",
        "i need to send acme a check-in email, can you draft it", "write the folow up to acme from yesterdays call",
        "draft a nudge to acme", "just got off a call with acme, write the follow-up email for me",
        "ghost-write an email to acme asking about budget",
        "can you draft a short email to acme's cfo about pricing", "write acme a breakup email",
        "need to email acme about next steps, draft it pls", "help me send acme a follow up note",
        "write up an email for acme summarizing what they confirmed", "could you draft something to re-engage acme",
        "email draft for acme, friendly tone", "put together a follow-up message for this deal",
        "write me a quick note to acme's champion", "acme email pls, keep it short",
        "draft an email to acme proposing a time for the next meeting",
        "what do i say in my follow up email to acme",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "draft a follow up email to acme", "write acme a f/u", "help me write an email to acme after today's call",
        "can u draft a note to acme recapping the meeting", "write a follow-up message to the acme buyer",
        "need to send acme something, they went dark. write it for me",
        "compose a quick email to acme asking for next meeting",
        "write a slack message i can send to my contact at acme", "draft a recap email for acme w next steps",
        "email to acme to nudge them on the proposal", "can you write me a short followup to them",
        "write the f/u email for acme, keep it short", "help me word an email to acme's vp",
        "draft something to send acme today", "acme hasnt replied in a week, write a check-in email",
        "pls write a thank you + next steps note to acme", "compose f/u to acme",
        "need an email to acme confirming what we agreed on the call", "write acme a message to book the next call",
        "can u write the follow up for this deal", "draft me a linkedin msg to the acme buyer",
        "write an email to acme i can copy paste",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "write a folow up email to acme", "draft me something to send acme",
        "need an email to acme, they've gone silent", "can u write acme a quick check-in",
        "compose a recap email for acme after today's call", "email acme draft pls", "help me word a nudge to acme",
        "write acme a note asking for the cfo meeting", "draft a message to acme about next steps",
        "put together a breakup email for acme", "acme ghosted me, write something to get them back",
        "draft fu email acme", "could you write a thank you note to acme for the demo",
        "i need to send acme the proposal, write the cover email",
        "write a slack msg i can send to my contact at acme", "help me write to acme to reschedule",
        "draft an email to acme's champion recapping what we agreed", "write up a short nudge to acme about signing",
        "hey can you draft acme a message, they havent replied since tuesday",
        "compose something for acme to confirm the timeline", "write acme", "email for acme re pricing pls",
        "draft a polite chaser to acme", "need copy for an email to acme asking who else needs to be involved",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "write acme an email, they ghosted", "need a nudge msg for acme",
        "can u write a recap email for acme from todays call", "email to acme pls, checking in on the proposal",
        "help me write to acme's champ", "compose a breakup email for acme",
        "acme went quiet, draft something to bump the thread", "write a note to acme re next steps",
        "draft an email to acme asking for an intro to the eb", "need to email acme tmrw, can u draft it",
        "msg for acme's cfo pls", "write a quick thank you to acme after the demo", "draft acme a linkedin msg",
        "put together a follow up email for acme w/ the pricing", "write the acme recap",
        "draft a reply to acme, they asked about security", "help me word an email to acme pushing for a decision",
        "acme email draft", "need copy for an email to acme", "write something to acme to get the next mtg booked",
        "draft me a check-in for acme", "email acme about the poc results, draft pls",
        "write a polite nudge to acme, they missed the date they gave us for legal review",
    ),
)
