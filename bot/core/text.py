"""Small wording helpers shared by every surface that writes sentences for people."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 day``, ``3 days``; ``many`` for irregular plurals (``plural(2, "activity", "activities")``)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def money(value) -> str:
    """An amount as people read it in a sentence: whole units with thousands separators (``90,000``)."""
    return f"{float(value):,.0f}"
