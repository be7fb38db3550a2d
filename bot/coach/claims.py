"""Checking what an LLM wrote against the facts it was given this turn, before anyone sees it.

``Facts`` gathers what this turn's tools returned: the deals and accounts named, the
exit criteria in context, every number and date, the passages given. ``problems``
lists each claim of the text that those facts do not support:

- a deal or account of the company that the tools did not return (checked against every
  deal and account name in the database, not only the asker's, so another rep's deal is caught);
- an exit criterion said to be open or confirmed that is not one of this context's criteria;
- a number or date that is not in the facts and not a rounding of one;
- a ``[S#]`` tag for a passage it was not given.

An empty list means the text may be shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from rapidfuzz import fuzz

# Measured with rapidfuzz's token_set_ratio against the default map's criteria (tests/coach/test_claims.py holds
# the phrasings): eight criteria reworded the way a model writes them scored 78-100 against their own text; eight
# invented ones ("the security questionnaire is signed", "the board approved the budget") scored 41-66 at best.
CRITERION_MATCH = 75
MIN_NAME_CHARS = 4  # shorter names ("HP", "Box") collide with ordinary words
_TAG = re.compile(r"\[S(\d+)\]")
_NUMBER = re.compile(r"(?<![\w.])[$€£]?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(%|k\b|K\b|m\b|M\b)?")
_LIST_MARKER = re.compile(r"^\s*\d{1,2}[.)]\s", re.M)
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_DATE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})\b", re.I)
# Where a text states a criterion: "the buyer still has to confirm X", "X is confirmed", bullets under such a line.
_CONFIRM_CLAUSE = re.compile(
    r"(?:still (?:has|have|needs?) to|needs? to|has(?:n't| not)(?: yet)?|must|to get (?:them|the buyer) to|yet to)"
    r"\s+(?:confirm(?:ed)?|agree(?:d)?(?: on| to)?|name(?:d)?|say|tell you)\s+(?:that\s+)?(.+?)(?:[.;]|$)", re.I | re.M)
_BULLETS_AFTER_CONFIRM = re.compile(r"confirm[^\n]*:\s*\n((?:\s*[•\-*]\s*[^\n]+\n?)+)", re.I)


@dataclass
class Facts:
    """What this turn's tools returned, as the checker reads it."""

    criteria: set[str] = field(default_factory=set)  # exit-criterion texts in context
    passages: int = 0
    texts: list[str] = field(default_factory=list)  # every value returned, as text, for numbers and dates

    def add(self, value) -> None:
        """Take in a tool result (any JSON-like value): its numbers, dates and words count as facts."""
        self.texts.append(json.dumps(value, default=_plain, ensure_ascii=False))

    @property
    def numbers(self) -> set[Decimal]:
        found: set[Decimal] = set()
        for text in self.texts:
            for match in re.finditer(r"(?<![\d.])\d+(?:\.\d+)?", text.replace(",", "")):
                found.add(Decimal(match.group()))
        return found

    @property
    def dates(self) -> set[tuple[int, int]]:
        """(month, day) of every date in the facts, ISO or written out ("Nov 18")."""
        found = set()
        for text in self.texts:
            for match in re.finditer(r"\b\d{4}-(\d{2})-(\d{2})", text):
                found.add((int(match.group(1)), int(match.group(2))))
            for match in _DATE.finditer(text):
                found.add((_MONTHS[match.group(1).lower()[:3]], int(match.group(2))))
        return found


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def problems(text: str, facts: Facts, *, company_names: Iterable[str]) -> list[str]:
    """Every claim in ``text`` the facts do not support; empty when it may be shown.

    Args:
        company_names: every deal and account name in the database, whoever may see them.
    """
    found = _tags(text, facts) + _names(text, facts, company_names) + _criteria(text, facts)
    return found + _numbers(text, facts) + _dates(text, facts)


def _tags(text: str, facts: Facts) -> list[str]:
    return [f"cites [S{tag}], which it was not given" for tag in _TAG.findall(text)
            if not 1 <= int(tag) <= facts.passages]


def _names(text: str, facts: Facts, company_names: Iterable[str]) -> list[str]:
    lowered = f" {words(text)} "
    texts = words(" ".join(facts.texts))
    found = []
    for name in {words(n) for n in company_names}:
        if len(name) < MIN_NAME_CHARS or f" {name} " not in lowered:
            continue
        if f" {name} " not in f" {texts} ":  # the tools returned it: it may be named
            found.append(f"names “{name}”, a deal or account no tool returned")
    return sorted(found)


def _criteria(text: str, facts: Facts) -> list[str]:
    stated = [m.group(1).strip() for m in _CONFIRM_CLAUSE.finditer(text)]
    for block in _BULLETS_AFTER_CONFIRM.finditer(text):
        stated += [line.strip(" •-*\t") for line in block.group(1).splitlines() if line.strip(" •-*\t")]
    context = list(facts.criteria)
    found = []
    for claim in stated:
        claim = _TAG.sub("", claim).strip()
        if len(claim.split()) < 2:
            continue
        best = max((fuzz.token_set_ratio(claim.lower(), c.lower()) for c in context), default=0)
        if best < CRITERION_MATCH:
            found.append(f"says the buyer must confirm “{claim}”, which is not an exit criterion of this deal's context")
    return found


def _numbers(text: str, facts: Facts) -> list[str]:
    known = facts.numbers
    body = _LIST_MARKER.sub(" ", _TAG.sub(" ", text))
    found = []
    for match in _NUMBER.finditer(body):
        whole, fraction, unit = match.group(1).replace(",", ""), match.group(2), (match.group(3) or "").lower()
        value = Decimal(f"{whole}.{fraction}" if fraction else whole)
        if unit == "k":
            value *= 1000
        elif unit == "m":
            value *= 1_000_000
        if not _derivable(value, known, percent=unit == "%"):
            found.append(f"states {match.group().strip()}, which is in none of the facts")
    return found


def _derivable(value: Decimal, known: set[Decimal], *, percent: bool) -> bool:
    """True when ``value`` is a fact, or a rounding of one (a share written as a percentage counts)."""
    candidates = set(known)
    if percent:
        candidates |= {k * 100 for k in known}
    for fact in candidates:
        if value == fact:
            return True
        for places in (0, 1, 2):
            if round(fact, places) == value:
                return True
        # "90k", "$1.2M": rounded to the thousand or the hundred thousand
        for unit in (Decimal(1000), Decimal(100_000)):
            if fact >= unit and round(fact / unit) * unit == value:
                return True
    return False


def _dates(text: str, facts: Facts) -> list[str]:
    known = facts.dates
    found = []
    for match in _DATE.finditer(text):
        month, day = _MONTHS[match.group(1).lower()[:3]], int(match.group(2))
        if (month, day) not in known:
            found.append(f"gives the date {match.group()}, which is in none of the facts")
    return found


def words(text: str) -> str:
    """Lowercase words and digits only, single-spaced: how names are compared."""
    return " ".join(re.findall(r"[a-z0-9&]+", text.lower()))
