"""Text for Slack: escaping and splitting within Block Kit's limits.

Everything that comes from deals, CRM imports, documents or the LLM is data; it
is escaped before it reaches Slack so ``<!channel>`` pings nobody and
``<https://evil|click>`` renders as text, not a link.
"""

from __future__ import annotations

import unicodedata

SECTION_LIMIT = 3000  # characters in a section block's text
BLOCKS_PER_MESSAGE = 50
FALLBACK_LIMIT = 3000  # notification text; Slack allows more, but nobody reads more in a notification


def escape(text: str | None) -> str:
    """Escape Slack's three control characters; formatting such as *bold* is left alone."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, never mid-word.

    Prefers paragraph breaks, then line breaks, then spaces; only a single
    "word" longer than ``limit`` (a pasted URL) is cut, as nothing else can fit.
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, limit + 1)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
            amp = rest.rfind("&", max(0, cut - 4), cut)
            if amp > 0 and ";" not in rest[amp:cut]:  # don't cut an escape such as &amp; in two
                cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = _grapheme_start(text, cut if cut > 0 else limit - 1)
    return text[:cut].rstrip(" ,;:") + "…"


def _grapheme_start(text: str, cut: int) -> int:
    """``cut`` moved back so it does not separate a character from its combining marks, a variation
    selector, a skin tone or a zero-width joiner (an emoji sequence stays whole or goes)."""
    while 0 < cut < len(text) and (_joins(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    return cut


def _joins(char: str) -> bool:
    return (unicodedata.combining(char) > 0 or char in "\u200d\ufe0f\ufe0e" or "\U0001f3fb" <= char <= "\U0001f3ff"
            or "\U000e0020" <= char <= "\U000e007f")


def fit(text: str | None, limit: int) -> str:
    """``text`` escaped and, when the escaped text is longer than ``limit``, shortened before escaping.

    Shortening the raw text (not the escaped one) means an escape such as ``&amp;`` is never cut
    in two; ``shorten`` never splits a character from the marks that follow it.
    """
    raw = text or ""
    escaped = escape(raw)
    budget = limit
    while len(escaped) > limit and budget >= 1:
        escaped = escape(shorten(raw, budget))
        budget = max(1, min(budget - 1, budget * limit // len(escaped))) if budget > 1 else 0
    return escaped


def plain(text: str) -> str:
    """A plain-text rendering of mrkdwn for notifications: no asterisks or underscores for emphasis."""
    return text.replace("*", "").replace("~", "")
