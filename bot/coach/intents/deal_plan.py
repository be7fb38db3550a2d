"""What to do next on one deal: the buyer's unconfirmed exit criteria and the activities that move them."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.results import DealPlanResult
from bot.coach.types import Citation, CoachAnswer

PASSAGES_FOR_TIPS = 2


def handle(ask: Ask) -> CoachAnswer:
    plan, process = ask.plan, ask.process
    stage = process.stage(plan.stage_key)
    context = " ".join([stage.name, *(c.text for c in plan.unmet[:2])])
    tips = ask.passages(ask.question_as_read, context=[context], stage_key=stage.key, k=PASSAGES_FOR_TIPS)
    citations = [ask.map_citation(stage), *(Citation(p.source, p.section) for p in tips)]
    body = composer.compose_deal_plan(plan, tips, ask.now)
    return CoachAnswer(DealPlanResult(body), "deal_plan", deal=plan.deal, plan=plan, citations=citations)


INTENT = Intent(
    name="deal_plan",
    summary="what to do next on one of your deals",
    try_it="What should I do next on {deal}?",
    needs_deal=True,
    handle=handle,
    examples=(
        "what should i do next on acme", "what's next for acme", "next steps on acme", "next step for acme",
        "how do i move acme forward", "how do i get acme to the next stage", "plan for acme", "acme plan",
        "what do i need to do on acme", "give me a plan for the acme deal", "what now with acme",
        "help me with acme", "coach me on acme", "where are we with acme", "what's the status of acme",
        "how do i advance acme", "what should i be doing on acme this week", "acme what now",
        "what's my next move with acme", "how can i push acme along", "what does acme need from me",
        "update on acme", "tell me about acme", "what's left to do on acme", "acme next?",
        "what should i focus on for acme", "how do we progress acme", "walk me through acme",
        "acme next steps pls", "what do i do with acme", "how do i move acme along", "gimme a plan for acme",
        "what's the play on acme", "pull up acme", "show me acme", "acme?", "acme status",
        "whats my next step w acme", "next move on acme", "how do i close acme", "what's the next action on acme",
        "what should happen next on acme", "what would you do next with acme", "how should i approach acme this week",
        "acme - what now", "strategy for acme", "how do i get acme over the line", "where do things stand with acme",
        "what does acme still need to confirm", "give me the rundown on acme",
        "what do i do about acme", "what do you suggest for acme", "any advice on acme", "what's the move on acme",
        "how do i handle acme from here",
        # Without a name these ask about the deal in focus (or which deal, when there is none), not for a ranking.
        "what should i do next", "what do i do next", "whats my next step", "next steps?", "what now",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "ok so what do i actually do on acme this week", "best next action for acme?",
        "acme is in proposal, whats my next move", "what's outstanding on acme",
        "hey, what should my next touch on acme be", "recommend next steps for acme", "wat shud i do next w acme",
        "acme - where do i go from here", "what will it take to get acme into commit",
        "give me the next 3 things to do on acme", "action items for acme", "what's on my to-do list for acme",
        "i'm the owner on acme and honestly kind of lost on where to take it, can you lay out what i should be doing over the next couple weeks to keep it moving",
        "what's the smartest thing i could do on acme today", "how do i keep acme moving",
        "acme needs a push, what do you recommend", "summarize acme and tell me what to do",
        "what should bob be doing next on acme", "what should carla's next step be on acme",
        "what's still missing on acme before we can advance it", "lay out a plan of attack for acme",
        "acme, thoughts on next steps?", "what's the path to close on acme",
        "i want to advance acme this week, what should i do", "how should i play acme", "nxt steps acme",
        "what do i need to get from acme next", "what's the top priority on acme",
        "i just took over acme from jordan, what should i be doing on it", "any recommended moves on acme",
        "acme is sitting in discovery, what should i work on there", "help me figure out next steps w acme",
        "what sequence of steps gets acme done", "status and next steps for acme pls",
        "plan to get acme signed by end of quarter",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "acme: where to from here", "whats my best move on acme rn", "got a sec? need direction on acme",
        "acme — how do i get this thing to close", "what should i tackle on acme before friday",
        "steps to get acme out of validate", "im not sure what to do w acme next, ideas?", "acme - next actions",
        "whats my homework on acme", "roadmap for acme to signature",
        "how do we get acme across the finish line this qtr", "what would move acme forward the fastest",
        "next moves for the acme opp", "tell me what to do on acme", "acme's in discover, how do i progress it",
        "what needs to happen for acme to reach close", "ok acme. go. what do i do",
        "can u map out the next few steps on acme", "what's pending on my side for acme",
        "whats the plan w acme this wk", "i want acme closed by end of q3, what should i be doing",
        "pls give me a game plan for acme", "acme, what would you recommend i do now",
        "what do i still need to get out of the buyer at acme", "how should i push acme forward without being pushy",
        "next step on acme? i have the afternoon free", "sam handed me acme, where do i pick it up",
        "coach me thru acme", "what gets acme to validate", "acme progress plan pls",
        "what should our next touchpoint with acme be", "whats the critical path on acme",
        "acme demo went well, so what do i do now?", "what should i push for on acme next",
        "how to move the acme deal along this month", "what should carla do next on acme",
        "next steps for priya on acme", "how do i turn acme into a win", "acme what should i be chasing",
        "acme champion loves us and they keep saying yes but i honestly dont know what i should be driving toward next to actually get it signed, what are my steps",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "whats the very next thing i do on acme", "acme is in validate, how do i get it moving",
        "what should i do on acme after today's call", "next steps for acme now that the demo's done",
        "i have an hour for acme, what should i do with it",
        "whats the one thing i should get done on acme this week", "how do i get acme from discover to validate",
        "what should i ask acme for next to keep it moving", "acme: what now that they confirmed budget",
        "whats the next move for jordan on acme", "how do i move the acme deal forward before quarter end",
        "not sure how to keep acme going, what should i do", "give me next steps on acme, short version",
        "what do i do on acme now that the champion's on board", "what do i owe acme next",
        "this week on acme, what should i be pushing for", "plan for acme this qtr pls",
        "ok so on this one what do i do next", "how do i get acme to close from here",
        "acme has been in validate for a bit, the champion likes us and the tech review is done, what should i actually be doing next to move it toward close",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "whats my move on acme", "what do i need to get done on acme this week",
        "acme has been stuck forever, what do i actually do now to get it going again",
        "give me the game plan for acme", "how do i push acme into the next stage",
        "what's left to do on acme before it can advance", "wat shoud i be doing on acme rn", "acme: action items?",
        "plan for acme pls", "any overdue f/u on acme i should knock out, and what else needs doing there",
        "which criteria are still open on acme and how do i close them out",
        "so acme went quiet after the demo last week. what should my next move be?",
        "tell me what to work on for acme", "how do i advance the acme opp",
        "what would you do next with acme if you were me", "next actions on this deal?",
        "i have an hour to spend on acme today, what should i do with it",
        "whats the best step to get acme closer to signing", "acme todo list",
        "help me figure out how to progress acme", "what activities should i run on acme to hit the exit criteria",
        "acme is stuck in validate, what do i do first to unblock it", "acme - what do i do from here",
        "what do i still need to get out of acme's buyer and how do i go get it",
        "whats outstanding on acme and what should i tackle first",
        "how can i get acme moving again? just tell me the next thing to do",
        "my manager wants acme to progress this month, what should i do to make that happen",
        "walk me through what to do next w acme",
        "acme is in validate and i want it in propose by end of month, what do i have to do",
        "wht shud i do on acme tmrw",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "acme - what do i do next", "whats my next move on acme", "ok acme, what should i be doing on it this week",
        "next steps for acme pls", "what's left to get acme to the next stage",
        "which exit criteria am i still missing on acme", "give me a game plan for acme",
        "just got off a mtg w another client, now switching to acme. what actions should i take on it rn",
        "what activities should i run on acme to move it forward", "acme next steps + any f/u i let slip",
        "any overdue follow ups on acme and what else needs doing there", "how do i push acme forward from here",
        "to-do list for acme", "what should i work on for this deal next",
        "whats outstanding on acme before i can advance it", "lay out the next actions for acme for me",
        "what do i still need from the buyer at acme to move stages",
        "acme is in validate, what do i need to do to get it out", "plan of attack for acme plz",
        "what should my next 2-3 moves be on acme", "walk me thru what's missing on acme and how to close the gaps",
        "im going to block an hour for acme this aft, what should i spend it on",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "acme - what do i do now", "hey, how do i push acme to the next stage", "whta should my next move be on acme",
        "acme?? next action pls", "what's the play on acme from here",
        "ok so acme is in validate, how do i get it over the line to propose", "need a game plan for acme",
        "morning! where do i go next with acme", "acme next step",
        "what needs to happen on acme this week to advance it",
        "just got off a call with acme and they seem keen but i'm not sure what to do next, what should i focus on to move it along",
        "give me a plan to get acme to commit", "im kinda lost on acme, whats the next thing i should be doing",
        "how do i progress this one", "what should i tackle next on it",
        "acme - what's left to do before we can move to proposal", "steps to advance acme pls",
        "whats next on acme? also is it on track for q4", "what's outstanding on acme that i need to go get",
        "hey quick one, how do i move acme fwd before q4 ends", "acme: what do i chase next",
        "best next action for acme rn", "walk me through how to get acme from discover to validate",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "ok so acme, whats my next move", "next action on acme pls", "acme next steps?",
        "yo what shoud i be doing on acme this wk", "quick q - how do i advance acme", "whats the play on acme rn",
        "acme is sitting in validate, what do i need to do to get it into propose",
        "just got off w/ the acme champ, what should my next step be", "how do i keep momentum on acme",
        "whats left to do on acme before i ask for the commit", "acme game plan pls",
        "give me a plan for acme for the next 2 wks", "need acme to land in q4, what do i do from here",
        "whats next on acme, and can u remind me what stage its in", "what should i do w/ acme after the poc wraps",
        "how do i get acme from discovery to validate", "best next action on acme?",
        "acme — how do i get to the eb from here", "walk me thru what i need to do on acme to get it signed this qtr",
        "ok what do i do next on this one", "tom handed me acme when he left, where do i go from here",
        "how do i progress acme",
        "ok long story but acme's champ loves us, procurement hasnt been looped in, legal is a question mark. what should i be doing next to move it",
    ),
)
