"""Finding the deal a question is about, among the deals the asker may see.

Only visible deals are ever candidates, so a deal the asker may not see cannot be
matched, named or hinted at: it reads exactly like a deal that does not exist.
"""

from __future__ import annotations

import re
import unicodedata
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
_JOINED = re.compile(r"[-_./]+")


@dataclass(frozen=True)
class Resolution:
    """The deals a question names: one (found), several (ask which) or none."""

    matches: list[DealSummary]
    mentioned: str | None  # the words that looked like a deal name, for a "not found" reply

    @property
    def deal(self) -> DealSummary | None:
        return self.matches[0] if len(self.matches) == 1 else None


def _words(text: str) -> list[str]:
    return _WORD.findall(fold_accents(text.lower()))


# Letters Unicode does not decompose into a base letter and a mark: folded by hand, never dropped.
_OWN_LETTERS = str.maketrans({"ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                              "ı": "i", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH"})
# How Germans and Scandinavians spell these without the mark ("Müller" as "mueller", "Ålesund" as "aalesund"):
# a name is matched in both spellings, since people type either.
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ø": "oe",
                              "Ø": "Oe", "å": "aa", "Å": "Aa"})


def fold_accents(text: str, *, spelled_out: bool = False) -> str:
    """"Café Olé" as "cafe ole", "Peñafiel" as "penafiel", "Straße" as "strasse": people type names without
    accents, and the word pattern is ASCII. ``spelled_out``: "Müller" as "mueller" rather than "muller"."""
    if spelled_out:
        text = text.translate(_SPELLED_OUT)
    decomposed = unicodedata.normalize("NFKD", text.translate(_OWN_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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
    names = {fold_accents(field.lower(), spelled_out=s) for field in (name, account, external_id) for s in (False, True)}
    for field in (account, name):
        words = _words(field)
        # CRM names joined by dashes ("MEX-BACARDI - SEP") are read word by word too: "bacardi" names it.
        parts = [p for w in words for p in _JOINED.split(w) if p]
        for k in range(1, len(words)):
            prefix = " ".join(words[:k])
            if len(prefix) >= MIN_PREFIX_CHARS and prefix not in _FILLER:
                names.add(prefix)
        if len(parts) > len(words):
            names.add(" ".join(parts))
            names.update(p for p in parts if len(p) >= MIN_PREFIX_CHARS and p not in _FILLER and not p.isdigit())
    # "the vandelay pilot" for "Vandelay Imports pilot": the account cut to its first word, then the rest.
    account_words, name_words = _words(account), _words(name)
    if len(account_words) > 1 and name_words[:len(account_words)] == account_words and len(name_words) > len(account_words):
        names.add(fold_accents(" ".join(account_words[:1] + name_words[len(account_words):]).lower()))
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
    if any(deals[i].status == "open" for i in matched):  # "Globex" means the live deal, not last year's lost one
        matched = [i for i in matched if deals[i].status == "open"]
    return Resolution([deals[i] for i in matched], " ".join(content))


def mask_deals(question: str, deals: list[DealSummary], placeholder: str) -> str:
    """The question in lowercase words with the words naming ``deals`` replaced by ``placeholder``.

    The router then reads "why is Globex stuck" and "why is Initech stuck" as one question.
    """
    words = [w.strip(".'?!,") for w in _words(question)]
    if not deals:
        return " ".join(words)
    names = [name for deal in deals for name in _names(deal)]
    for n in range(min(6, len(words)), 0, -1):
        i = 0
        while i + n <= len(words):
            gram = " ".join(words[i:i + n])
            # A name neither starts nor ends with a question's own words ("next on globex" is not a name).
            if words[i] in _FILLER or words[i + n - 1] in _FILLER:
                i += 1
                continue
            if process.extractOne(gram, names, scorer=fuzz.ratio,
                                                          score_cutoff=MATCH_THRESHOLD) is not None:
                words[i:i + n] = [placeholder]
            i += 1
    # A deal named by several words may leave a second placeholder next to the first (two placeholders in a row).
    collapsed = [w for k, w in enumerate(words) if not (w == placeholder and k and words[k - 1] == placeholder)]
    return " ".join(collapsed)


# Words that say when or how, never which deal: left over in "prep me for friday's call".
_NOT_A_NAME = frozenset("""
monday tuesday wednesday thursday friday saturday sunday tomorrow tonight yesterday week month quarter year morning
afternoon evening q1 q2 q3 q4 am pm hi hey hello thanks thank pls please ok okay yeah yes no not one ones
january february march april may june july august september october november december jan feb mar apr jun jul aug
sep sept oct nov dec
""".split())


def unexplained_words(question: str, known: frozenset[str], process_map) -> str | None:
    """The words of ``question`` that neither the coach's phrasings, stage names nor dates explain.

    When no visible deal matched, these are what the person called the deal ("ghostbusters"), for a
    reply that names what was asked. None when every word is explained.
    """
    stage_words = {w for s in process_map.stages for w in (s.key, s.name.lower())}
    left = []
    for typed in (w.strip(".'?!,") for w in re.findall(r"[^\W_][\w&'.-]*", question)):  # "Peñafiel" whole
        typed = typed[:-2] if typed.lower().endswith("'s") else typed
        base = typed.lower()
        if (not base or base in _FILLER or base in known or base in _NOT_A_NAME or base in stage_words
                or any(base.startswith(s) for s in stage_words) or base.isdigit()):
            continue
        left.append(typed)  # as typed, so the reply names it the way the person did
    return " ".join(left) or None


def mask_words(text: str, words: str, placeholder: str) -> str:
    """``text`` (as ``mask_deals`` returns it) with the run of ``words`` replaced by ``placeholder``."""
    wanted = [w.lower() for w in words.split()]
    tokens = text.split()
    for i in range(len(tokens)):
        window = [t.removesuffix("'s") for t in tokens[i:i + len(wanted)]]
        if window == wanted:
            return " ".join([*tokens[:i], placeholder, *tokens[i + len(wanted):]])
    # The words were not adjacent ("umbrella ... bad"): replace the first, the name people lead with.
    return " ".join(placeholder if t.removesuffix("'s") == wanted[0] else t for t in tokens)


_DEAL_PLACE = re.compile(
    r"\b(?:on|for|with|to|about|at|re)\s+(?:the\s+)?([^\W_][\w&.-]*(?:\s+[^\W_][\w&.-]*){0,2})"
    r"|\b([^\W_][\w&.-]*)'s\s+(?:buyer|champion|contact|cto|cfo|ceo|vp|people|procurement)\b", re.I)


def placed_like_a_deal(question: str, mentioned: str) -> str | None:
    """The unmatched words that stand where a deal's name would ("next on Ghostbusters", "umbrella's buyer").

    Words elsewhere ("capital of australia", "carol's opps") are left alone: they are more often
    a question the coach can't answer, or a person, than a deal.
    """
    unmatched = mentioned.lower().split()
    for match in _DEAL_PLACE.finditer(question):
        words = []
        for word in (match.group(1) or match.group(2)).lower().split():  # the name starts right there
            if word not in unmatched:
                break
            words.append(word)
        if words:
            return " ".join(words)
    return None
