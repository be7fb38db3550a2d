"""Selling questions answered from the methodology notes and playbooks, with their sources."""

from __future__ import annotations

import re
from pathlib import Path

from bot.coach import composer
from bot.coach.definitions import definition
from bot.coach.intents.base import Ask, Intent, Slots, Tool
from bot.coach.intents.help import capabilities
from bot.coach.results import Passages
from bot.coach.rich import doc, line
from bot.coach.types import Citation, CoachAnswer
from knowledge.chunks import note_files

PASSAGES_FOR_QUESTIONS = 3
COMPARED_NEAREST = 10  # passages of each compared note looked through for its overview


def handle(ask: Ask) -> CoachAnswer:
    # Searched with the text the router read (lowercase, shorthand spelled out): its embedding is then
    # already computed, and "how do i handle a fu w/ no reply" reads as "follow-up with".
    passages = _compared(ask) or ask.passages(ask.question_as_read, k=PASSAGES_FOR_QUESTIONS)
    if not passages and definition(ask.question):
        return CoachAnswer(Passages(doc(line(definition(ask.question)))), "methodology")
    if not passages:  # nothing relevant enough: say so rather than paste something unrelated
        answer = capabilities(ask, "I don't know that one: nothing in the methodology notes or playbooks is about it. "
                                   "Here's what I can do:")
        answer.intent = "unknown"
        return answer
    citations = [Citation(p.source, p.section) for p in passages]
    body = composer.compose_passages(passages)
    defined = definition(ask.question)
    if defined:  # the definition asked for first, then the notes
        body = doc(line(defined)) + body
    return CoachAnswer(Passages(body), "methodology", citations=citations)


def _compared(ask: Ask) -> list:
    """One passage of each methodology the question names, when it names two or more (searched together,
    the nearest notes are often all of one): its overview when that is relevant, else its closest passage."""
    named = _notes_named(ask.question, ask.settings.methodologies)
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


class QuerySlots(Slots):
    query: str


INTENT = Intent(
    name="methodology",
    summary="selling questions, from the methodology notes and playbooks",
    try_it="How would a Challenger rep handle a pricing objection?",
    handle=handle,
    slots=QuerySlots,
    tool=Tool("playbook_search", "Search methodology notes and playbooks.", words="{query}"),
    public=True,  # the notes only
    menu=90,
)
