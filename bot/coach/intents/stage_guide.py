"""How to work a stage: what the buyer must confirm to leave it, the activities that get there, one tip."""

from __future__ import annotations

from bot.coach.composer import tip_lines
from bot.coach.intents.base import Ask, Intent, Slots, Tool
from bot.coach.results import Clarification, StageGuide
from bot.coach.rich import bullet, doc, line, strong
from bot.coach.types import Citation, CoachAnswer
from bot.core.text import plural


def handle(ask: Ask) -> CoachAnswer:
    process = ask.process
    stage = ask.stage or (ask.process.stage(ask.deal.stage_key) if ask.deal else None)
    if stage is None:
        names = ", ".join(s.name for s in process.stages)
        return CoachAnswer(Clarification(doc(line(f"Which stage do you mean? The process has: {names}.")), "stages",
                                         tuple(s.key for s in process.stages)), "stage_guide")
    lines = [line(strong(stage.name), f" (stage {process.index_of(stage.key) + 1} of {len(process.stages)}, "
                                      f"expected {plural(stage.expected_days, 'day')})")]
    if stage.buyer_state:
        lines.append(line(f"Where the buyer is: {stage.buyer_state}"))
    if stage.entry:
        lines.append(line("Enters when: " + "; ".join(stage.entry)))
    lines.append(line(strong("To leave it, the buyer has to confirm:"), gap=True))
    for criterion in stage.exit_criteria:
        moves = stage.activities_for(criterion.key)
        lines.append(bullet(criterion.text))
        if moves:
            lines.append(line(moves[0].text, prefix="↳", indent=3))
    unused = [a for a in stage.activities if not any(a.key == m.key for c in stage.exit_criteria
                                                     for m in stage.activities_for(c.key)[:1])]
    if unused:
        lines.append(line(strong("Also useful here:"), gap=True))
        lines += [bullet(a.text) for a in unused]
    citations = [ask.map_citation(stage)]
    tips = ask.passages(ask.question_as_read, context=[stage.name], stage_key=stage.key, k=1, kinds=("methodology",))
    if tips:
        lines += tip_lines(tips[0])
        citations.append(Citation(tips[0].source, tips[0].section))
    result = StageGuide(doc(lines), stage=stage.key, exit_criteria=tuple(c.key for c in stage.exit_criteria),
                        activities=tuple(a.key for a in stage.activities))
    return CoachAnswer(result, "stage_guide", citations=citations)


class StageSlots(Slots):
    stage: str


INTENT = Intent(
    name="stage_guide",
    summary="how to work a stage: its exit criteria, activities and a tip",
    try_it="What should I ask in Discover?",
    handle=handle,
    slots=StageSlots,
    tool=Tool("stage_guide", "How to work a stage: exit criteria, activities, a tip.", words="how do I work the {stage} stage"),
    public=True,  # about the process only
    menu=80,
)
