"""Selling questions answered from the methodology notes and playbooks, with their sources."""

from __future__ import annotations

from bot.coach import composer
from bot.coach.intents.base import Ask, Intent
from bot.coach.intents.help import capabilities
from bot.coach.types import Citation, CoachAnswer

PASSAGES_FOR_QUESTIONS = 3


def handle(ask: Ask) -> CoachAnswer:
    passages = ask.passages(ask.question, k=PASSAGES_FOR_QUESTIONS)
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
    ),
)
