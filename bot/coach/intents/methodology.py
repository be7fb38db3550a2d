"""Selling questions answered from the methodology notes and playbooks, with their sources."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.intents.help import capabilities
from bot.coach.types import Citation, CoachAnswer

PASSAGES_FOR_QUESTIONS = 3


def handle(ask: Ask) -> CoachAnswer:
    # Searched with the text the router read (lowercase, shorthand spelled out): its embedding is then
    # already computed, and "how do i handle a fu w/ no reply" reads as "follow-up with".
    passages = ask.passages(ask.question_as_read, k=PASSAGES_FOR_QUESTIONS)
    if not passages:  # nothing relevant enough: say so rather than paste something unrelated
        answer = capabilities(ask, "I don't know that one: nothing in the methodology notes or playbooks is about it. "
                                   "Here's what I can do:")
        answer.intent = "unknown"
        return answer
    citations = [Citation(p.source, p.section) for p in passages]
    return CoachAnswer(composer.compose_passages(passages), "methodology", citations=citations)


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
    ),
)
