"""How many deals a figure must rest on before a report states it, and how it says so when there are fewer."""

from __future__ import annotations

MIN_SAMPLE = 5  # below this many deals a rate, an average or a percentile is noise: reports give the count instead


def too_few(n: int) -> str:
    """What a report shows instead of a figure resting on ``n`` deals."""
    return f"too few deals: n={n}"


def enough(n: int, min_sample: int = MIN_SAMPLE) -> bool:
    return n >= min_sample


def rate(part: int, whole: int, min_sample: int = MIN_SAMPLE) -> float | None:
    """``part / whole`` rounded to 4 places, or None when ``whole`` is below the minimum sample."""
    return round(part / whole, 4) if whole and enough(whole, min_sample) else None
