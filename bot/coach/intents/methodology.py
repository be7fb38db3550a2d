"""Selling questions answered from the methodology notes and playbooks, with their sources."""

from __future__ import annotations

import re
from pathlib import Path

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.intents.help import capabilities
from bot.coach.results import Passages
from bot.coach.types import Citation, CoachAnswer
from knowledge.chunks import note_files

PASSAGES_FOR_QUESTIONS = 3
COMPARED_NEAREST = 10  # passages of each compared note looked through for its overview


def handle(ask: Ask) -> CoachAnswer:
    # Searched with the text the router read (lowercase, shorthand spelled out): its embedding is then
    # already computed, and "how do i handle a fu w/ no reply" reads as "follow-up with".
    passages = _compared(ask) or ask.passages(ask.question_as_read, k=PASSAGES_FOR_QUESTIONS)
    if not passages:  # nothing relevant enough: say so rather than paste something unrelated
        answer = capabilities(ask, "I don't know that one: nothing in the methodology notes or playbooks is about it. "
                                   "Here's what I can do:")
        answer.intent = "unknown"
        return answer
    citations = [Citation(p.source, p.section) for p in passages]
    return CoachAnswer(Passages(composer.compose_passages(passages)), "methodology", citations=citations)


def _compared(ask: Ask) -> list:
    """One passage of each methodology the question names, when it names two or more (searched together,
    the nearest notes are often all of one): its overview when that is relevant, else its closest passage."""
    named = _notes_named(ask.question, ask.coach.runtime.settings.methodologies)
    if len(named) < 2:
        return []
    found = []
    for name in named:
        near = ask.passages(ask.question_as_read, k=COMPARED_NEAREST, sources=[f"methodologies/{name}"])
        found += [next((p for p in near if p.section == p.title), near[0])] if near else []
    return found if len(found) >= 2 else []


def _notes_named(question: str, folder: Path) -> list[str]:
    """The methodology notes (paths under ``folder``, as the index names their sources) a question names,
    in the order it names them: "challenger" or "Challenger selling" names challenger.md."""
    text = question.lower()
    found = []
    for path in note_files(folder):
        match = re.search(rf"\b{re.escape(path.stem.replace('_', ' ').lower())}", text)
        if match:
            found.append((match.start(), path.relative_to(folder).as_posix()))
    return [name for _, name in sorted(found)]


INTENT = Intent(
    name="methodology",
    summary="selling questions, from the methodology notes and playbooks",
    try_it="How would a Challenger rep handle a pricing objection?",
    handle=handle,
    examples=(
        "how would a challenger rep handle a pricing objection", "what is meddic", "explain challenger selling",
        "how do i find a champion", "how do i handle the objection that we're too expensive",
        "they say they already use a competitor, what do i say", "how do i deal with 'no budget'",
        "what's the difference between solution selling and consultative selling", "what is inbound selling",
        "how do i qualify a lead with meddic", "what's a good discovery question", "how do i create urgency",
        "tips for handling objections", "how do i talk to an economic buyer", "how do i reframe the buyer's thinking",
        "what's a mutual action plan", "how do i handle a stall", "how do i multithread a deal",
        "competitor battlecard", "how do we beat the competition", "what does the playbook say about pricing",
        "how do i get past a gatekeeper", "what is a decision process in meddic", "how to build a business case",
        "how do i teach the buyer something new", "how should i respond when they ask for a discount",
        "how to handle 'just send me some info'", "best way to find a champion", "what's spin selling",
        "how do i handle price pushback", "the buyer went dark, how do i re-engage them", "any tips for cold calling",
        "how do i negotiate with procurement", "what is bant", "how do i get a meeting with the cfo",
        "how to ask for the sale", "how do i handle 'we're happy with our current vendor'",
        "objection handling tips for budget", "how do i build rapport with a buyer",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "how do i handle 'we need to think about it'", "best way to multithread into a big account",
        "how do i coach a rep who can't close", "tips for running a forecast call",
        "how should i decide what goes in commit vs best case in my forecast", "what's a good closing technique",
        "give me examples of implication questions", "how do i position against a cheaper competitor",
        "procurement wants 20% off, how do i hold price", "how to negotiate a discount without giving away margin",
        "what's the p in meddpicc", "how do i test a champion", "cold email tips",
        "how to write a good cold outreach message", "when should i qualify out of a deal",
        "how do i get a buyer to admit the pain", "how do i ask better discovery questions",
        "what's a challenger commercial teaching pitch", "how to handle 'it's not a priority right now'",
        "how do i sell to a buying committee", "what to do when your champion has no real power",
        "how do i handle the 'just send me pricing' brush-off", "trade-off tactics for negotiating",
        "how do i keep a deal from dying in procurement", "how do i build value before talking price",
        "what makes a good value proposition", "how do i coach my team on discovery",
        "how do i open a cold call without sounding salesy", "how do you sell against the status quo",
        "how should i respond to 'your competitor is cheaper'", "how do i get a champion to sell internally for me",
        "what is gap selling", "sandler pain funnel?", "how do i ask for referrals",
        "a lot of my buyers ask for a free pilot before they'll commit to anything, is that a good idea or how do i push back without losing them",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "buyer says price is too high, how do i respond", "what does meddic stand for",
        "challenger vs solution selling", "how do i run a good negotiation", "how to sell consultatively",
        "how do we position against our main competitor", "tips for dealing with procurement",
        "how do i find the economic buyer", "what's the inbound approach to selling",
        "how do i get the buyer to quantify pain", "what's a champion in meddic",
        "how do i handle 'call me next quarter'", "what's the battlecard say about the competition",
        "how should i handle a 'we built it in house' objection", "discovery technique tips",
        "how do i ask about budget without being awkward",
        "how to handle a buyer who wants to go with the cheaper option", "what's metrics in meddic mean",
        "teach me challenger", "how do i tailor my pitch to different stakeholders",
        "what are good open ended questions for a first meeting", "objection handling playbook",
        "how do i respond if they say they need to talk to their boss", "how to anchor price in a negotiation",
        "whats solution selling in a nutshell", "how do i take control of a sales conversation",
        "how to qualify with bant vs meddic", "how to handle 'we have no time to implement'",
        "what do i do when the buyer brings up a competitor mid call", "how do i build a champion from scratch",
        "best practices for negotiating multi year deals", "how do consultative sellers run discovery",
        "how to get a decision maker to engage",
        "whats the smartest way to respond to a discount request at quarter end",
        "how do i handle a buyer who says our product is missing features",
        "how do i push back on a buyer without losing the deal", "how do i sell value instead of features",
        "how do i handle a security objection", "what would a challenger rep say to a happy incumbent customer",
        "i keep getting crushed on price by our biggest competitor and my deals end up in a discount war, what does our playbook say about positioning against them and holding the line",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "whats the best way to open a discovery call so the buyer actually talks",
        "how do i keep a discovery call from turning into a feature demo",
        "tips for getting a prospect to put a number on their pain",
        "how do i ask who signs off without sounding like im going over my contact's head",
        "how do challenger reps handle a buyer who just wants a demo",
        "buyer keeps saying send me a proposal before we've even talked pain, how do i slow them down",
        "procurement says budget is frozen til next fy, how do i respond",
        "whats the meddic way to figure out their decision process",
        "how do i sell to a cfo who only cares about cost",
        "good follow up questions when a buyer gives a vague answer about impact",
        "how should i handle a champion who wants everything to go thru them",
        "any advice on negotiating when their legal team is on the call",
        "how do i respond when a prospect says the competitor offered them a free year",
        "how do consultative sellers earn the right to ask about budget",
        "what does the inbound approach say about leads that just downloaded a whitepaper",
        "how do i get better at discovery in general, i talk way too much on calls",
        "whats a good way to frame roi for a skeptical buyer",
        "how do i handle it when the buyer is clearly just using us to beat down their incumbent's price",
        "not about any deal, just general: how do you qualify out politely",
        "i always freeze when a buyer asks why they should pick us over the cheaper option, whats a good way to answer that without trashing the competitor",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "what's solution selling", "how does consultative selling differ from challenger",
        "buyer says we're too expensive, how do i respond", "how to handle the 'send me some info' brush off",
        "tips for dealing with the 'not a priority right now' objection",
        "how do i beat a competitor that's cheaper", "what's inbound selling",
        "how would a consultative seller open a first conversation",
        "how do i find the economic buyer according to meddic", "what's a commercial teaching pitch",
        "give me a battlecard for competing against an incumbent", "how do i handle 'we don't have budget'",
        "what is a champion in meddic terms", "how do challenger reps take control of the conversation",
        "best way to respond when a prospect says 'just send pricing'", "break down meddic for me",
        "how do i reframe a buyer's thinking", "how to overcome the 'timing isn't right' objection",
        "whats the difference between solution selling and consultative",
        "how should i handle buyers who keep stalling on a decision",
        "how do i sell against a competitor they've used for years", "tips on handling objections",
        "how do inbound leads need to be worked differently", "what is pain in solution selling",
        "what's the challenger approach to teaching a buyer something new",
        "how do i tailor a message to different stakeholders, challenger style",
        "whats the best way to handle a procurement push for discount", "what are decision criteria in meddic",
        "how do i ask good open ended questions as a consultative seller",
        "buyer says they're happy with their current vendor. what do i say",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "what is challenger selling", "explain meddic", "how do i position against a competitor who's cheaper",
        "whats the difference between solution selling and consultative selling",
        "how do i handle 'we're happy with what we have'", "best way to handle inbound leads",
        "how do i sell against salesforce", "what does the m in meddic stand for",
        "how do i teach the buyer something new like a challenger rep",
        "how to respond when the buyer says no budget", "how should i negotiate with procurement",
        "what's the best way to find a champion", "how do i handle the objection 'send me some info'",
        "how do you qualify a lead properly", "explain solution selling in simple terms",
        "how do i deal with a competitor bad mouthing us", "how to handle 'we need to think about it'",
        "give me some negotiation tactics", "how to avoid discounting at end of quarter",
        "what's the challenger approach to a reframe", "how do u handle timing objections",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "buyer says our price is too high, how do i respond in general", "meddic?? explain pls",
        "difference between challenger and consultative selling", "how do you spot a good champion",
        "advice on going wide with multiple contacts at a buyer", "explain spin selling",
        "what's the best way to handle 'send me some info'", "how do i ask better open ended questions",
        "how do i get to the economic buyer", "how do i build urgency with a buyer",
        "how should i respond when they say its too expensive", "best practices for inbound leads",
        "how do i teach a buyer something new, challenger style", "hey, how do i handle 'not the right time'",
        "ways to qualify a lead better", "what's a good way to test if my champion is real",
        "how do i avoid discounting too early", "what are implication questions in spin",
        "how do you handle a competitor objection", "how to get more stakeholders involved in a deal",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "hows the best way to handle a pricing objection", "challenger vs spin, which one when",
        "tips for finding a champ", "how do i deal w/ 'were happy with our current vendor'",
        "how do you usually get to the economic buyer", "best way to handle \"just send me some info\"",
        "whats consultative selling", "how do i handle the 'not right now' timing objection",
        "what does challenger mean by take control", "how to sell to a cfo",
        "how do i test whether someone is really a champion", "tips for working inbound leads",
        "how do i create urgency w/o being pushy", "solution selling in a nutshell", "how to handle 'no budget'",
        "how do i handle competitor objections", "best way to build a business case",
        "whats the diff between a coach and a champion", "how do i reframe a customer's thinking, challenger style",
        "how to ask for the close without sounding desperate",
    ),
)
