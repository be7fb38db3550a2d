"""Which person a question is about ("Bob's deals", "how is Carla doing"), among those the asker may see."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from storage import deals as deal_store
from storage.access import Viewer
from storage.models import Rep

NAME_MATCH = 85  # fuzz.ratio: "carla" ~ "Carla", "jordn" ~ "Jordan"; "bob" vs "rob" scores 67
_WORD = r"[A-Za-z][\w.-]*"
_PATTERNS = (
    re.compile(rf"\b({_WORD}(?:\s+{_WORD})?)['’]s\b"),  # Bob's deals, jordan lee's numbers
    re.compile(rf"\bhow(?:'s|s| is| are| has)\s+({_WORD}(?:\s+{_WORD})?)\s+(?:doing|going|tracking|performing|getting on)\b", re.I),
    re.compile(rf"\b(?:does|is|has|did)\s+({_WORD}(?:\s+{_WORD})?)\s+(?:have|own|working|got|doing|close|closed|win|won)\b", re.I),
    re.compile(rf"\b(?:for|of|by|owned by|on)\s+({_WORD}(?:\s+{_WORD})?)\s*[?.!]*\s*$", re.I),
    # "sams deals": the possessive typed without its apostrophe, before what people own
    re.compile(rf"\b({_WORD})s\s+(?:deals?|opps?|opportunities|pipeline|pipe|numbers|book|accounts)\b", re.I),
)
# Words that stand where a name would, but are not one.
_NOT_NAMES = frozenset("""
me my i im i'm mine myself we us our team the a an this that it its it's what whats what's who whos who's which how
everyone everybody anyone all each every show list give tell see get deal deals pipeline quarter month week year
today yesterday tomorrow q1 q2 q3 q4 things stuff rep reps sales numbers people you your doing going work
hey hi hello yo ok okay so and but also then now pls please thanks he she his her they their other others last
""".split())


# Words whose "'s" is "is" or "has" ("how's", "who's"), not a possessive.
_CONTRACTED = frozenset("how what who where when why there here that it let he she this everyone everybody".split())


def person_mentioned(question: str) -> str | None:
    """The name a question uses for a person, as typed ("Jordan Lee"); None when it names nobody."""
    for pattern in _PATTERNS:
        for match in pattern.finditer(question):
            if match.group(1).split()[-1].lower() in _CONTRACTED:  # "hey how's the team doing" names nobody
                continue
            words = [w for w in match.group(1).split() if w.lower().strip(".") not in _NOT_NAMES]
            if words:
                return " ".join(words)
    return None


def is_self(viewer: Viewer, name: str) -> bool:
    first = viewer.name.split()[0].lower()
    return name.lower() in (viewer.name.lower(), first)


def visible_person(*, session, viewer: Viewer, name: str) -> Rep | None:
    """The one person the asker may see who goes by ``name`` (full or first name, forgiving typos).

    None when nobody visible matches, or several do equally well: a person outside the asker's
    reach reads the same as one who does not exist.
    """
    wanted = name.lower()
    scored = []
    for rep in deal_store.visible_reps(session=session, viewer=viewer):
        full = rep.name.lower()
        score = max(fuzz.ratio(wanted, full), fuzz.ratio(wanted, full.split()[0]), fuzz.ratio(wanted, rep.email.lower()))
        if score >= NAME_MATCH:
            scored.append((score, rep))
    if not scored:
        return None
    scored.sort(key=lambda pair: -pair[0])
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]
