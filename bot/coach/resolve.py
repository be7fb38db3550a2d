"""Finding the deal a question is about, among the deals the asker may see.

Only visible deals are ever candidates, so a deal the asker may not see cannot be
matched, named or hinted at: it reads exactly like a deal that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from storage.deals import DealSummary

MATCH_THRESHOLD = 84
TIE_MARGIN = 4
MIN_PREFIX_CHARS = 4

# Words that carry the question, not the deal's name; removed before matching.
_FILLER = frozenset("""
a about after again all am an and any anything are as ask at be been before best biggest can could deal deals did do
does doing done for from get give go going happen happens have help how i if in into is it its just last latest let
like look me move my need next now of on or our plan please right see should show so step steps tell than that the
their them then there these they this to today up us was we were what whats when where which who why will with would
you your coach next? stage stages status update
""".split())
_WORD = re.compile(r"[a-z0-9][a-z0-9&'.-]*")


@dataclass(frozen=True)
class Resolution:
    """The deals a question names: one (found), several (ask which) or none."""

    matches: list[DealSummary]
    mentioned: str | None  # the words that looked like a deal name, for a "not found" reply

    @property
    def deal(self) -> DealSummary | None:
        return self.matches[0] if len(self.matches) == 1 else None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _ngrams(words: list[str], longest: int = 4) -> list[str]:
    grams = []
    for n in range(1, min(longest, len(words)) + 1):
        grams.extend(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    return grams


def _names(deal: DealSummary) -> tuple[str, ...]:
    """What a rep might call a deal: its name, its account, and the account's or name's leading words."""
    return _names_of(deal.name, deal.account, deal.external_id)


@lru_cache(maxsize=65536)  # every question re-reads the asker's whole book; names rarely change
def _names_of(name: str, account: str, external_id: str) -> tuple[str, ...]:
    names = {name.lower(), account.lower(), external_id.lower()}
    for field in (account, name):
        words = _words(field)
        for k in range(1, len(words)):
            prefix = " ".join(words[:k])
            if len(prefix) >= MIN_PREFIX_CHARS and prefix not in _FILLER:
                names.add(prefix)
    return tuple(sorted(names))


def resolve_deal(question: str, deals: list[DealSummary]) -> Resolution:
    """Match a question to visible deals by name, account or external id, forgiving case and typos."""
    words = [w.strip(".'") for w in _words(question)]
    content = [w for w in words if w and w not in _FILLER]
    if not content or not deals:
        return Resolution([], " ".join(content) or None)
    grams = _ngrams(content)
    choices: list[str] = []
    owners: list[int] = []
    for i, deal in enumerate(deals):
        for name in _names(deal):
            choices.append(name)
            owners.append(i)
    scores = process.cdist(grams, choices, scorer=fuzz.ratio, score_cutoff=MATCH_THRESHOLD, workers=1)
    # Per deal: its best score, and how many characters of the question that match covered,
    # so "globex renewal" picks the renewal over every other Globex deal that only matches "globex".
    best: dict[int, tuple[float, int]] = {}
    column_best = scores.max(axis=0)
    for column in column_best.nonzero()[0]:  # only names that matched something; most match nothing
        deal_index = owners[column]
        row = scores[:, column]
        score = float(column_best[column])
        covered = max(len(grams[g]) for g in range(len(grams)) if row[g] >= score - TIE_MARGIN and row[g] > 0)
        if (score, covered) > best.get(deal_index, (0.0, 0)):
            best[deal_index] = (score, covered)
    if not best:
        return Resolution([], " ".join(content))
    top = max(score for score, _ in best.values())
    close = {i: v for i, v in best.items() if v[0] >= top - TIE_MARGIN}
    widest = max(covered for _, covered in close.values())
    matched = sorted((i for i, (_, covered) in close.items() if covered == widest),
                     key=lambda i: (-best[i][0], deals[i].name))
    return Resolution([deals[i] for i in matched], " ".join(content))
