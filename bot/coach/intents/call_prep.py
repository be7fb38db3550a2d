"""Prep for a call on one deal: where the buyer is, what they confirmed, what to ask, what is owed.

The questions come from the exit criteria the buyer has not confirmed, in map order, each
worded as a question to the buyer (``wording.buyer_question``) with the stage's first activity
that moves it. Criteria of earlier stages the buyer never confirmed follow (at most
``EARLIER_ASKED``): a call is the chance to close that gap.
"""

from __future__ import annotations

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, Intent
from bot.coach.results import BuyerQuestion, CallPrep, OpenFollowUp
from bot.coach.rich import bullet, doc, line, numbered, strong
from bot.coach.types import Citation, CoachAnswer
from bot.core.plan import CriterionState
from bot.core.text import plural

EARLIER_ASKED = 2


def handle(ask: Ask) -> CoachAnswer:
    plan, process = ask.plan, ask.process
    stage = process.stage(plan.stage_key)
    lines = [line(strong(f"Call prep: {composer.deal_heading(plan.deal)}"),
                  f" · {plan.stage_name}, day {plan.days_in_stage} of {plan.expected_days} expected")]
    if plan.buyer_state:
        lines.append(line(strong("Where the buyer is:"), f" {plan.buyer_state}"))
    if plan.met:
        lines.append(line(strong("Confirmed so far:")))
        lines += [bullet(c.text + (f" (“{c.evidence}”)" if c.evidence else "")) for c in plan.met]
    else:
        lines.append(line(strong("Confirmed so far:"), f" nothing yet in {plan.stage_name}."))

    asked = [*plan.unmet, *plan.unconfirmed_earlier[:EARLIER_ASKED]]
    questions = [_question(ask, c) for c in asked]
    if questions:
        lines.append(line(strong("Ask on this call:"), gap=True))
        for i, (criterion, q) in enumerate(zip(asked, questions, strict=True), 1):
            earlier = "" if criterion.stage_key == stage.key else \
                f"({process.stage(criterion.stage_key).name}, never confirmed) "
            lines.append(numbered(i, f"{earlier}{q.question}"))
            if q.activity:
                lines.append(line(q.activity, prefix="↳", indent=3))
        skipped = len(plan.unconfirmed_earlier) - EARLIER_ASKED
        if skipped > 0:
            lines.append(line(f"…and {plural(skipped, 'more criterion', 'more criteria')} of earlier stages never "
                              "confirmed.", indent=3))
    else:
        target = f" to {plan.next_stage_name}" if plan.next_stage_name else " to a signature"
        lines.append(line(f"The buyer has confirmed everything in {plan.stage_name}: use the call to agree the "
                          f"move{target}.", gap=True))

    owed = [*plan.overdue_followups, *plan.due_today_followups]
    if owed:
        lines.append(line(strong("Open follow-ups:"), gap=True))
        lines += [bullet(wording.followup_phrase(f)) for f in owed]

    stages_asked = [stage, *(process.stage(c.stage_key) for c in asked)]
    citations = list(dict.fromkeys(ask.map_citation(s) for s in stages_asked))
    context = " ".join([f"questions to ask on a {stage.name} call", *(c.text for c in plan.unmet[:2])])
    tips = ask.passages("", context=[context], stage_key=stage.key, k=1, kinds=("methodology",))
    if tips:
        lines += composer.tip_lines(tips[0])
        citations.append(Citation(tips[0].source, tips[0].section))

    result = CallPrep(doc(lines), buyer_state=plan.buyer_state, confirmed=tuple(c.key for c in plan.met),
                      questions=tuple(questions),
                      open_followups=tuple(OpenFollowUp(f.note, f.due_at, f.days_overdue) for f in owed))
    return CoachAnswer(result, "call_prep", deal=plan.deal, plan=plan, citations=citations)


def _question(ask: Ask, criterion: CriterionState) -> BuyerQuestion:
    """The question for one criterion and the first activity of its stage that moves it."""
    moves = ask.process.stage(criterion.stage_key).activities_for(criterion.key)
    return BuyerQuestion(criterion.stage_key, criterion.key, wording.buyer_question(criterion.text),
                         moves[0].key if moves else None, moves[0].text if moves else None)


INTENT = Intent(
    name="call_prep",
    summary="prep for a call: where the buyer is, what they confirmed, the questions to ask",
    try_it="Prep me for my call with {deal}",
    needs_deal=True,
    handle=handle,
    examples=(
        "prep me for my call with acme", "prepare me for the acme call", "i have a call with acme in 10 minutes",
        "call prep for acme", "what should i ask acme on the call", "getting on a call with acme, what do i need",
        "brief me before my acme meeting", "meeting with acme tomorrow, prep me", "acme call prep",
        "what questions should i ask acme", "help me prepare for acme", "i'm about to call acme",
        "what do i need to know before talking to acme", "prep for the acme meeting",
        "get me ready for my call with acme", "quick brief on acme before the call",
        "talking to acme this afternoon, what should i cover", "what should i cover with acme on the call",
        "what to ask acme in today's meeting", "acme meeting prep", "before i jump on with acme, anything i should know",
        "call with acme in an hour", "prep notes for acme",
        "demo with acme tmrw what should i ask", "prep for acme demo", "gimme a briefing on acme before my meeting",
        "what do i ask acme tomorrow", "jumping on w acme in 5, anything i should know",
        "pull up a call brief for acme", "meeting acme's cfo this afternoon, help me get ready",
        "discovery call with acme later, what questions", "questions for the acme call",
        "what should i bring up on the acme call", "help me prep the acme demo", "prep me pls, acme call in 15",
        "pre-call brief acme", "talking points for my acme meeting", "what should i know going into the acme meeting",
        "i've got acme on the phone at 2, prep me", "agenda for my acme call",
        "acme meeting tmrw morning, what do i need to cover", "what's still open to ask acme on our next call",
        "before the acme demo what should i know", "can you brief me on acme ahead of the call",
        "heading into acme, what's the buyer already confirmed",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "i've got a call w acme in 10 min", "on with acme at 3, what should i know", "prep me for my next call",
        "acme mtg in 20, brief pls", "negotiation call w acme tmrw, help me get ready",
        "what should i ask acme's cfo on thursday", "call w acme's champion later, talking points?",
        "prep doc for acme", "about to hop on zoom with acme",
        "walking into acme's office now, anything i should know", "need a cheat sheet for the acme meeting",
        "what do i need to cover in the acme proposal review",
        "pricing call with acme this afternoon, what should i ask",
        "i have acme's procurement team on the line at 4, prep me", "questions to ask acme during the demo",
        "prep me for tomorrow's acme workshop", "what has acme already told us, i'm meeting them in an hour",
        "what's confirmed and what's open w acme before my call", "help me plan the acme discovery call",
        "give me a one-pager for my acme meeting", "meeting w acme at 9am tmrw, what should be on my agenda",
        "prep notes for the acme negotiation mtg", "ready me for acme, dialing in now",
        "brief me on acme, call starts in 5", "i'm seeing acme in person on friday, help me prep",
        "get me up to speed before i dial acme", "what should i find out on today's acme call",
        "how should i run the acme call this afternoon",
        "first meeting with acme next week, what questions should i prep", "hey prep me for my next mtg",
        "jordan's on with acme in an hour, what should he ask",
        "demo for acme's it team tomorrow morning, what should i cover",
        "acme follow-up call at noon, what did we leave open last time", "call prep pls, acme",
        "so i'm about to walk into a meeting with acme's vp and two of her directors and i haven't looked at this deal in a week, what do they already agree on and what do i still need to ask",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "acme call in 30, what do i ask", "brief me on acme before i dial in",
        "heading into the acme discovery call, what should i find out", "im on w acme at 11, quick rundown pls",
        "what questions do i bring to the acme mtg", "prep the acme technical review for me", "call sheet for acme",
        "need to get ready for acme's exec meeting tmrw", "what's already confirmed w acme? calling them shortly",
        "acme meeting at 2pm what do i need to know", "help me get ready to talk to acme's buyer",
        "i'm meeting acme's champion over coffee thursday, prep me", "what should i dig into on my acme call today",
        "prepare talking points for the acme call", "about to ring acme, anything i should cover",
        "pre meeting notes acme pls", "acme zoom in 10, what do i ask them", "help me prep questions for acme's cfo",
        "what should i ask acme about budget on the call",
        "getting on the phone with acme's it team in an hour, prep", "call prep pls, acme at 4",
        "what's my agenda for the acme check-in call",
        "i have a mtg w acme later today — what should i make sure i ask",
        "what gaps should i cover when i meet acme", "going onsite at acme monday, what do i need to ask",
        "brief for the acme quarterly review call", "prep me for the close plan walkthrough w acme",
        "what questions are still open to ask acme in our meeting", "acme call tmrw, questions?",
        "what should i know walking into acme", "carla has a call with acme tomorrow, prep her",
        "ready me for my discovery session w acme", "prep: acme, 3pm",
        "before i talk to acme, remind me what they've told us", "what should be on my list of questions for acme",
        "i've got acme's economic buyer on a call friday, how do i prep",
        "call w acme soon. what do they still need to confirm", "acme meeting brief", "dialing acme in 2 min, help",
        "got a follow up call with acme tomorrow morning and last time it kinda went off the rails, can you give me what they've already confirmed and the questions i should ask so i don't waste it",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "i have a call with acme tomorrow at 10, what should i ask", "got acme on the calendar thursday, prep me pls",
        "acme meeting in 45, whats confirmed so far and what isnt",
        "ok prepping for acme tmrw, what questions am i missing",
        "sitting down with acme's cfo next tues, how should i prep",
        "before my acme call at 3 can u tell me what to ask about sign off",
        "acme booked a call with me for friday, get me ready",
        "their engineers join the acme call tomorrow, what should i be ready to ask",
        "jordan and i are on w acme at 1, what should we cover",
        "about to hop on a quick call w acme, what do i ask first",
        "what do i need to ask acme in tomorrow's meeting to pin down the budget range",
        "acme call later today, remind me what they've told us and whats still open",
        "heads up im meeting acme tmrw, can you prep me",
        "acme just accepted my invite for wed, what should i ask on it", "prep sheet for tomorrow's acme call",
        "calling acme back in 10, what do i still need from them", "need questions for my acme mtg this aft",
        "meeting w acme's buying group thursday, help me prepare",
        "sam's got acme on the phone tmrw, what should he ask",
        "i have a call with acme tomorrow morning and its the first time im talking to their head of finance, what do they already agree on and what should i ask her",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "prep acme", "call w acme in 20 min, brief me",
        "getting on the phone with acme tmrw morning, what do i need to know",
        "what questions should i bring to the acme meeting", "i have a mtg with acme's cfo at 2, help me get ready",
        "brief me before my acme call", "acme call prep pls", "what should i cover on the call with acme today",
        "about to jump on zoom with acme, quick rundown?", "remind me where acme is at before i dial in",
        "what did acme already confirm? i've got a call with them in an hour",
        "help me prepare for the acme discovery call", "talking to acme this afternoon, what should i ask",
        "got a meeting with acme thursday, whats my agenda", "questions for acme on todays call?",
        "acme demo at 11 - what do i need to find out from them", "i'm seeing acme onsite tomorrow, get me ready",
        "prepare me for the acme mtg", "what should i try to learn from acme when we talk later",
        "quick prep for acme before i hop on", "heading into a call with acme, anything i should make sure to ask",
        "acme follow up call tomorrow, what should i ask them on it", "need talking points for my acme call",
        "where is acme's buyer at going into our meeting", "get me up to speed on acme before the call",
        "prep for acme meeting at 3", "i have 10 mins before acme, what do i need to know for the call",
        "check-in call with acme's champion later, how should i run it", "wat shud i ask acme on the call",
        "meeting their vp at acme next week, what questions should i have ready",
        "acme calls me back at 4, how should i prepare",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "prep me for my acme call", "acme prep", "got a call with acme in 20 min, what should i ask",
        "meeting acme tmrw, help me get ready", "what questions should i ask on the acme call",
        "about to jump on zoom with acme's cfo, quick brief pls",
        "what has acme confirmed so far? have a call w them shortly", "call prep acme",
        "what should i cover when i talk to acme tomorrow",
        "before my acme meeting - where is the buyer at and what do i need to find out",
        "getting on the phone w them in 5, what do i ask", "brief me on acme before the call",
        "help me prepare for the discovery call with acme", "acme call in an hour, talking points?",
        "what should my agenda be for the acme meeting",
        "walking into acme's office now, quick rundown + questions to ask", "prep me for thursday's call w acme",
        "need a cheat sheet for my acme call", "what should i try to get acme to confirm on today's call",
        "acme call coming up - what do they already know and what's still open",
        "i have acme on the calendar at 10, get me ready", "what to ask acme's champion on our sync",
        "call w acme next, questions pls",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "get me ready for acme tmrw", "got a call w/ acme in 20 min, help", "what should i ask acme on the call today",
        "meeting acme's cfo thursday, what do i cover", "brief me on acme before my demo", "talking pts for acme pls",
        "i have a discovery call with acme at 3, what questions should i bring",
        "getting on zoom with acme shortly, anything i should know", "what do i need to nail in the acme meeting",
        "hey, help me get ready for my acme meeting", "agenda for tmrw's call with acme",
        "acme meeting in an hour, quick brief?", "what should i say when i talk to acme friday",
        "prep notes for the acme demo", "i'm presenting the proposal to acme monday, how should i run the meeting",
        "key questions for my next acme call", "what to bring up on the acme call",
        "help me plan the convo with acme this afternoon", "acme call at 2 - what do i want to get out of it",
        "quick prep for acme pls, call starts soon", "about to jump on with acme, refresh me on where we are",
        "what objections might come up on the acme call tmrw", "how should i open the meeting with acme",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "prep me for acme at 2", "call w/ acme in 10 min, help", "what should i ask acme tmrw", "talking pts for acme",
        "brief me on acme before my mtg", "got the acme demo tmrw, prep pls",
        "what do i need to cover on the acme call", "acme discovery call in an hr, what questions shoud i ask",
        "jumping on w/ acme's cfo next, what do i say", "quick prep for acme",
        "on zoom w/ acme shortly, what should i know going in", "agenda for the acme meeting tmrw",
        "ebr with acme thursday, help me prep", "grabbing coffee w/ acme's champ, what should i bring up",
        "what questions for the acme eb meeting", "how should i run the acme call today",
        "what do i need to find out on my acme call", "heading into the acme onsite, give me a rundown",
        "cheat sheet for acme call pls", "pre-call for acme",
        "negotiation call w/ acme at 4, what should i be ready for", "5 min before acme, key points?",
        "what objections should i expect on the acme call tmrw",
        "tom's joining me on acme tmrw, what should we cover in the meeting",
    ),
)
