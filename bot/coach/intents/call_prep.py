"""Prep for a call on one deal: where the buyer is, what they confirmed, what to ask, what is owed.

The questions come from the exit criteria the buyer has not confirmed, in map order, each
worded as a question to the buyer (``wording.buyer_question``) with the stage's first activity
that moves it. Criteria of earlier stages the buyer never confirmed follow (at most
``EARLIER_ASKED``): a call is the chance to close that gap.
"""

from __future__ import annotations

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, DealSlots, Intent, Tool
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
    slots=DealSlots,
    tool=Tool("call_prep", "Prep for a call with a deal's buyer: questions to ask."),
    menu=40,
)
