"""Prep for a call on one deal: where the buyer is, what they confirmed, what to ask, what is owed.

The questions come from the exit criteria the buyer has not confirmed, in map order, each
worded as a question to the buyer (``wording.buyer_question``) with the stage's first activity
that moves it. Criteria of earlier stages the buyer never confirmed follow (at most
``EARLIER_ASKED``): a call is the chance to close that gap.
"""

from __future__ import annotations

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, DealSlots, Intent, Tool
from bot.coach.types import Citation, CoachAnswer
from bot.core.plan import CriterionState
from bot.core.text import plural

EARLIER_ASKED = 2


def handle(ask: Ask) -> CoachAnswer:
    plan, process = ask.plan, ask.process
    stage = process.stage(plan.stage_key)
    lines = [f"*Call prep: {composer.deal_heading(plan.deal)}* · {plan.stage_name}, "
             f"day {plan.days_in_stage} of {plan.expected_days} expected"]
    if plan.buyer_state:
        lines.append(f"*Where the buyer is:* {plan.buyer_state}")
    if plan.met:
        lines.append("*Confirmed so far:*")
        lines += [f"• {c.text}" + (f" (“{c.evidence}”)" if c.evidence else "") for c in plan.met]
    else:
        lines.append(f"*Confirmed so far:* nothing yet in {plan.stage_name}.")

    asked = [*plan.unmet, *plan.unconfirmed_earlier[:EARLIER_ASKED]]
    questions = [_question(ask, c) for c in asked]
    if questions:
        lines.append("\n*Ask on this call:*")
        for i, (criterion, q) in enumerate(zip(asked, questions, strict=True), 1):
            earlier = "" if criterion.stage_key == stage.key else \
                f"({process.stage(criterion.stage_key).name}, never confirmed) "
            lines.append(f"{i}. {earlier}{q['question']}")
            if q["activity"]:
                lines.append(f"   ↳ {q['activity']}")
        skipped = len(plan.unconfirmed_earlier) - EARLIER_ASKED
        if skipped > 0:
            lines.append(f"   …and {plural(skipped, 'more criterion', 'more criteria')} of earlier stages never confirmed.")
    else:
        target = f" to {plan.next_stage_name}" if plan.next_stage_name else " to a signature"
        lines.append(f"\nThe buyer has confirmed everything in {plan.stage_name}: use the call to agree the move{target}.")

    owed = [*plan.overdue_followups, *plan.due_today_followups]
    if owed:
        lines.append("\n*Open follow-ups:*")
        lines += [f"• {wording.followup_phrase(f)}" for f in owed]

    stages_asked = [stage, *(process.stage(c.stage_key) for c in asked)]
    citations = list(dict.fromkeys(ask.map_citation(s) for s in stages_asked))
    context = " ".join([f"questions to ask on a {stage.name} call", *(c.text for c in plan.unmet[:2])])
    tips = ask.passages("", context=[context], stage_key=stage.key, k=1, kinds=("methodology",))
    if tips:
        lines.append(f"\n💡 *{tips[0].title}:* {composer.excerpt(tips[0].text)}")
        citations.append(Citation(tips[0].source, tips[0].section))

    data = {
        "buyer_state": plan.buyer_state,
        "confirmed": [c.key for c in plan.met],
        "questions": [{k: q[k] for k in ("stage_key", "criterion_key", "question", "activity_key")} for q in questions],
        "open_followups": [{"note": f.note, "due_at": f.due_at.isoformat(), "days_overdue": f.days_overdue}
                           for f in owed],
    }
    return CoachAnswer("\n".join(lines), "call_prep", deal=plan.deal, plan=plan, citations=citations, data=data)


def _question(ask: Ask, criterion: CriterionState) -> dict:
    """The question for one criterion and the first activity of its stage that moves it."""
    moves = ask.process.stage(criterion.stage_key).activities_for(criterion.key)
    return {"stage_key": criterion.stage_key, "criterion_key": criterion.key,
            "question": wording.buyer_question(criterion.text),
            "activity_key": moves[0].key if moves else None, "activity": moves[0].text if moves else None}


INTENT = Intent(
    name="call_prep",
    summary="prep for a call: where the buyer is, what they confirmed, the questions to ask",
    try_it="Prep me for my call with {deal}",
    needs_deal=True,
    handle=handle,
    slots=DealSlots,
    tool=Tool("call_prep", "Prep for a call with a deal's buyer: questions to ask."),
    menu=40,
)
