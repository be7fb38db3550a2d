"""What a methodology's letters stand for: "what does the E in MEDDIC stand for" is answered with the definition
first, then the notes' passages. The MEDDIC wording follows knowledge/methodologies/meddic.md."""

from __future__ import annotations

import re

ACRONYMS: dict[str, tuple[tuple[str, str], ...]] = {
    "MEDDIC": (("Metrics", "the measurable gain the buyer expects"),
               ("Economic buyer", "the person who can release the money"),
               ("Decision criteria", "how options will be judged"),
               ("Decision process", "the steps and people between now and signature"),
               ("Identify pain", "the business problem driving the purchase"),
               ("Champion", "an insider who sells for you when you are not in the room")),
    "SPIN": (("Situation", "questions about the buyer's current state"),
             ("Problem", "questions that surface difficulties with it"),
             ("Implication", "questions about what those problems cost"),
             ("Need-payoff", "questions that get the buyer to say what solving them is worth")),
    "BANT": (("Budget", "money set aside for the purchase"), ("Authority", "who can sign"),
             ("Need", "the problem to solve"), ("Timeline", "when they must decide")),
}
_NAMES = "|".join(ACRONYMS)
_LETTER = re.compile(rf"\bthe\s+(?:letter\s+)?[\"'“]?([a-z])[\"'”]?\s+(?:in|of|for)\s+({_NAMES})\b", re.I)
_WHOLE = re.compile(rf"\b(?:what\s+(?:does|do|is)|what's|whats|define|meaning of)\s+({_NAMES})\s*"
                    r"(?:stand\s+for|mean|short\s+for|\?|$)", re.I)


def definition(question: str) -> str | None:
    """The definition a question asks for ("the E in MEDDIC", "what does BANT stand for", "what does economic
    buyer in MEDDIC mean"), as one sentence; None when it asks none."""
    letter = _LETTER.search(question)
    if letter:
        acronym = letter.group(2).upper()
        meant = [(term, gloss) for term, gloss in ACRONYMS[acronym] if term[0].lower() == letter.group(1).lower()]
        if meant:
            return f"In {acronym}, {letter.group(1).upper()} stands for " + " and ".join(
                f"{term} ({gloss})" for term, gloss in meant) + "."
    whole = _WHOLE.search(question)
    if whole:
        acronym = whole.group(1).upper()
        return f"{acronym} stands for " + ", ".join(f"{term} ({gloss})" for term, gloss in ACRONYMS[acronym]) + "."
    lowered = question.lower()
    for acronym, terms in ACRONYMS.items():
        if acronym.lower() in lowered and re.search(r"\b(?:mean|stand for|define|definition)\b", lowered):
            for term, gloss in terms:
                if term.lower() in lowered:
                    return f"In {acronym}, {term} is {gloss}."
    return None
