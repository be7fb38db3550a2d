"""How to work a stage: what the buyer must confirm to leave it, the activities that get there, one tip."""

from __future__ import annotations

from bot.coach.composer import tip_lines
from bot.coach.intents.base import Ask, Intent
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


INTENT = Intent(
    name="stage_guide",
    summary="how to work a stage: its exit criteria, activities and a tip",
    try_it="What should I ask in Discover?",
    handle=handle,
    examples=(
        "what should i ask in discovery", "what questions should i ask in discover",         "what are the exit criteria for discover", "exit criteria for close", "entry criteria for validate",
        "what activities are in the discover stage", "what does the buyer need to confirm in validate",
        "how do i move a deal out of discover", "what happens in the close stage", "explain the validate stage",
        "what's the goal of discovery", "how long should a deal stay in validate", "criteria to leave discover",
        "what do i need before moving to close", "tips for the discover stage", "how do i run a good discovery",
        "what should happen in prospect", "checklist for validate", "what counts as done in close",
        "what's expected in the connect stage", "how to exit prospect", "what should i cover in a discovery call",
        "what are the stages of our process", "walk me through the sales process",
        "how do i work the validate stage", "whats needed to exit discover", "propose stage checklist pls",
        "what do i do in commit", "commit stage exit criteria", "what has to be true to leave propose",
        "how do i run the connect stage", "what activities happen in propose", "gimme the criteria for validate",
        "what should a rep do during prospect", "what does good look like in validate",
        "what moves a deal from propose to commit", "must-haves before leaving connect",
        "best practices for the propose stage", "what's the buyer supposed to confirm in commit",
        "stage guide for discovery", "what does it take to get through the commit stage",
        "explain the discovery stage pls", "whats the point of the connect stage",
        "key questions for the propose stage", "how should i handle the close stage",
        "in validate what does the buyer have to agree to", "what makes a deal ready to leave prospect",
        "how to win the propose stage",
        "what does a deal need to pass the close stage", "how does a deal get out of commit",
        "how do i finish the close stage", "what's required to leave commit", "what happens during propose",
        "how do i move a deal past connect", "how do i push a deal out of propose", "how to advance out of commit",
        "what should i be doing in the connect stage", "what do i need to do to get through prospect",
        "how do i get a deal from validate to propose", "what's my job in the propose stage",
        "what should i get done before leaving discover", "how do i handle a deal in commit",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "what should i ask in validate", "good questions for the qualification stage",
        "what do i need to nail in negotiation", "when is a deal done with proposal",
        "what does done look like for discovery", "how do i know a deal is ready to move to commit",
        "what does the buyer need to sign off on in the proposal stage", "what goes on during the demo stage",
        "key activities in qualification", "how do i get a deal out of negotiation",
        "what do reps usually do in close", "close stage tips pls", "wat r the must-haves to get out of negotiation",
        "describe the commit stage", "what's the purpose of validate", "what's the playbook for the demo stage",
        "what needs to be confirmed before a deal leaves qualification", "what are the steps in negotiation",
        "how do i run the proposal stage well", "walk me thru the validate stage",
        "what's the definition of done for prospecting", "what must be true before moving to proposal",
        "what should i have locked down by the end of discovery", "discovery stage questions",
        "how does a deal graduate from validate", "stage requirements for commit",
        "what signals mean a deal can leave negotiation", "what does our process say about the close stage",
        "checklist to exit qualification", "what should the buyer have agreed to by the end of validate",
        "what do i focus on in the commit stage", "first steps once a deal hits discovery", "stage gate for proposal",
        "what info should i gather during qualification",
        "i keep moving deals into proposal too early and my manager calls it out, what exactly should be confirmed before a deal leaves discovery and goes to proposal",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "what do i need to get confirmed in discover", "whats the exit for validate",
        "what questions do i ask during validate", "discover exit criteria pls",
        "what activities should i run in validate", "how do i know when a deal can move to close",
        "what does close require from the buyer", "what's the first stage in our process", "list the stages",
        "what goes on in discover", "how should i run the validate stage", "what's the checklist for discover",
        "what has to be buyer-confirmed to leave validate", "discovery questions to ask per our process",
        "what are the activities for the close stage", "explain how close works in our process",
        "what's the definition of done for validate", "stage guide: close", "steps to go from discover into validate",
        "what does our map say to do in discover", "how many stages do we have and what are they",
        "what do we need from the buyer before close", "validate stage — what should i be doing",
        "what should a deal have before it enters validate", "how do i work deals that are in close",
        "qs to ask in the validate stage", "exit reqs for discover?",
        "in discover what's the buyer supposed to tell us", "new rep here, how does the discover stage work",
        "what's the goal of the close stage", "what do i need to nail down in discovery before moving on",
        "what should happen before a deal leaves close", "walk me thru our stages in order",
        "what are the guided activities in discover", "what counts as technical fit in validate",
        "how do i know discovery is complete", "what's the buyer need to agree to in close",
        "tips for working validate", "why do we even have a validate stage",
        "i'm new and my manager keeps saying i need to 'exit discover properly', what exactly does the buyer have to confirm and what activities am i supposed to do in that stage",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "what does the discover stage actually require from the buyer",
        "before i move anything out of discover what needs to be confirmed",
        "what are the guided activities for validate again", "whats on the checklist to get out of close",
        "is a budget range enough to leave discover or does the buyer need to confirm more",
        "which exit criteria does validate have",
        "whats the buyer supposed to agree to in validate, written success criteria or something else?",
        "how do i work the close stage per our process", "what do we expect reps to do while a deal sits in discover",
        "remind me what the exit crit are for each stage",
        "does the buyer's tech team have to sign off before something leaves validate",
        "in our process what happens in close besides the close plan",
        "new on the team, how is validate supposed to be worked",
        "what should i have from the buyer by the end of discover", "whats the expected number of days for discover",
        "what activities does the map list for discover", "whats required to go from validate into close",
        "carla asked what the discover stage needs, can you lay it out", "what are the must-dos in validate",
        "jordan keeps telling me our process has specific exit criteria for discover and i should work deals against them, so what exactly are they and what activities go with each",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "what gets a deal out of discover", "exit criteria for connect?",
        "what should i be doing in the propose stage", "tips for commit", "what questions do i ask in connect",
        "what has to be true to leave prospect", "guide me through the discovery stage",
        "what activities belong in validate", "how do i know a deal is done with propose", "prospect stage playbook",
        "whats the checklist to exit commit", "how to run the discovery stage well", "explain the connect stage",
        "what do i need from the buyer before moving past discover", "best activities for the prospect stage",
        "what must the buyer confirm to exit validate", "walk me thru propose", "what should happen in commit",
        "how do you generally move deals out of connect", "help with the prospect stage",
        "what's a good tip for validate", "what do i focus on during discovery",
        "what defines done for the connect stage", "what are the steps in propose",
        "what should i ask buyers in validate", "how do i get a deal through the commit stage",
        "what should be confirmed before a deal leaves propose", "teach me the discover stage",
        "what's the goal of the prospect stage",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "tips for the propose stage", "how to run the connect stage", "commit stage - what do i need to do",
        "explain the discovery stage", "what activities go in validate",
        "what do i need the buyer to confirm to leave connect", "guide to propose",
        "how do i get a deal out of prospect in general",
        "what questions should i be answering in the discover stage", "whats the playbook for commit",
        "stage guide for validate pls", "what does good look like in the propose stage", "exit criteria connect?",
        "how should i handle deals in the commit stage",
        "what's the point of the validate stage and what do i do there", "any tips for prospect stage",
        "what counts as done in discovery", "walk me through the connect stage", "activities for prospect?",
        "how do you work a deal in propose", "whats expected of me in the discover stage",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "what questions belong in a discovery conversation", "which activities push deals thru discover",
        "what does the buyer need to confirm to leave connect", "how do i run the propose stage",
        "whats the goal of prospect", "when is a deal ready to move from validate to propose",
        "how should i work the connect stage", "what counts as done for discovery", "tips for the validate stage",
        "what am i supposed to do in commit", "exit criteria discover?", "what happens in the proposal stage",
        "key activities for prospecting stage", "how do i know discovery is finished",
        "what needs to be true before moving to commit", "hey, what's the checklist for validate",
        "what should a rep be doing during connect", "how do we define exit from propose",
        "which activities help close out validate", "walk me through the commit stage",
        "new here - what's expected in the prospect stage",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "questions to ask in the discover stage", "how do i exit validate", "whats the exit criteria for propose",
        "which activities push a deal thru connect", "what needs to happen in connect",
        "what does the buyer have to confirm before commit", "how do i run the prospect stage",
        "whats the goal of the connect stage", "what do i need from the buyer to move to propose",
        "how to work commit", "key activities in validate", "whats expected in the propose stage",
        "when is a deal ready to leave discover", "what are the exit criteria for each stage",
        "what has to happen in prospect before a deal moves on", "what does the buyer need to agree to in validate",
        "new ae here, how do i work the discover stage", "what do we actually do in commit",
        "connect stage - what am i trying to get out of it", "whats required to exit prospect",
        "best activities for the propose stage",
    ),
)
