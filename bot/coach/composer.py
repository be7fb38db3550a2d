"""The deterministic composer: short, grounded answers written from computed facts, no LLM.

It is a product mode in its own right (the default with no API key) and the
fallback whenever the LLM fails. Output is surface-neutral rich text (``bot.coach.rich``):
each surface renders its strong spans and status marks its own way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.coach.rich import Doc, Line, Mark, bullet, doc, line, numbered, strong, text_lines
from bot.core.plan import DealPlan, DealRef
from bot.core.text import plural

TIP_CHARS = 260
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class PassageLike(Protocol):
    text: str
    source: str
    section: str
    title: str


def _when(at: datetime, now: datetime) -> str:
    days = (now - at).days
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def excerpt(text: str, limit: int = TIP_CHARS) -> str:
    """The first sentences of a passage, cut at a sentence (or word) boundary, never mid-word.

    A passage written as a list keeps one item per line, so a reader can scan it.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if len(lines) > 1 and all(line.startswith(("- ", "* ")) for line in lines):
        kept: list[str] = []
        for item in lines:
            if kept and sum(map(len, kept)) + len(item) > limit:
                break
            kept.append(f"• {excerpt(item[2:], limit)}")
        return "\n".join(kept)
    body = " ".join(lines)
    out = ""
    for sentence in _SENTENCE_END.split(body):
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    if not out:
        out = body[:limit].rsplit(" ", 1)[0] + "…"
    return out


def deal_heading(deal: DealRef) -> str:
    return deal.name if deal.account.lower() in deal.name.lower() else f"{deal.account} — {deal.name}"


def tip_lines(tip: PassageLike) -> list[Line]:
    """A playbook tip after an answer: its title, then its first sentences (a list stays a list)."""
    text = excerpt(tip.text)
    first, *rest = text.split("\n")
    return [line(strong(f"{tip.title}:"), " ", first, gap=True, mark=Mark.TIP), *(line(r) for r in rest)]


def compose_deal_plan(plan: DealPlan, tips: Sequence[PassageLike], now: datetime,
                      crm_notices: Sequence[str] = ()) -> Doc:
    """A rep's plan for one deal: what the CRM kept out of it (``crm_notices``: changes of the rep's it did
    not take), overdue next, then what the buyer must confirm and the moves that get it."""
    lines = [line(strong(deal_heading(plan.deal)),
                  f" · {plan.stage_name}, day {plan.days_in_stage} of {plan.expected_days} expected",
                  *((" (", strong(f"{plural(plan.days_over, 'day')} over"), ")") if plan.days_over else ()))]
    lines += [line(f"{notice}.", mark=Mark.HEADS_UP) for notice in crm_notices]
    for f in plan.overdue_followups:
        lines.append(line(f"First: follow-up “{f.note or 'follow up'}” is {plural(f.days_overdue, 'day')} overdue.",
                          mark=Mark.OVERDUE))
    for f in plan.due_today_followups:
        lines.append(line(f"Due today: “{f.note or 'follow up'}”.", mark=Mark.DUE_TODAY))
    if plan.unmet:
        lines.append(line(strong("The buyer still has to confirm"), f" ({len(plan.unmet)} of {len(plan.criteria)}):",
                          gap=True))
        lines += [bullet(c.text) for c in plan.unmet]
    else:
        target = f" to {plan.next_stage_name}" if plan.next_stage_name else ""
        lines.append(line(f"Every exit criterion of {plan.stage_name} is confirmed: ready to advance{target}.",
                          gap=True, mark=Mark.READY))
    if plan.next_activities:
        lines.append(line(strong("Next moves:"), gap=True))
        lines += [numbered(i, a.text) for i, a in enumerate(plan.next_activities, 1)]
    if plan.stage_ahead_of_buyer:
        count, stages = len(plan.unconfirmed_earlier), list(dict.fromkeys(c.stage_key for c in plan.unconfirmed_earlier))
        where = "an earlier stage" if len(stages) == 1 else "earlier stages"
        lines.append(line(f"Heads-up: {plural(count, 'exit criterion', 'exit criteria')} of {where} ({', '.join(stages)}) "
                          f"{'was' if count == 1 else 'were'} never confirmed — the deal may be ahead of the buyer. "
                          f"Start with: {plan.unconfirmed_earlier[0].text}.", gap=True, mark=Mark.HEADS_UP))
    if plan.last_activity_at:
        note = f" — {plan.last_activity_note}" if plan.last_activity_note else ""
        lines.append(line(f"Last activity: {_when(plan.last_activity_at, now)}{note}.", gap=True))
    else:
        lines.append(line("No activity logged on this deal yet.", gap=True))
    if tips:
        lines += tip_lines(tips[0])
    return doc(lines)


def compose_choices(choices: Sequence[DealRef]) -> Doc:
    return doc(line("Several deals match — which one do you mean?"),
               [bullet(f"{deal_heading(d)} ({d.stage_key}, {d.external_id})") for d in choices])


def compose_not_found(mentioned: str | None) -> Doc:
    what = f" matching “{mentioned}”" if mentioned else ""
    return doc(line(f"I can't find a deal{what} among the deals you can see. "
                    "Try the account name as it appears in the CRM, or ask “which of my deals need attention?”."))


def compose_passages(passages: Sequence[PassageLike]) -> Doc:
    """An answer from retrieved notes: the best passages' key sentences, each with its source."""
    lines: list[Line] = []
    for p in passages[:2]:
        text = excerpt(p.text, 420)
        title = strong(f"{p.title} — {p.section}:")
        if text.startswith("•"):
            lines.append(line(title, gap=bool(lines)))
            lines += text_lines(text)
        else:
            lines.append(line(title, " ", text, gap=bool(lines)))
    return doc(lines)


# What the deals listed have in common, by the kind of problem a question narrowed to (None: any kind).
_ATTENTION_KINDS = {
    None: ("need attention", "needs attention", "no overdue follow-ups, stuck deals, passed close dates or warnings"),
    "overdue": ("have overdue follow-ups", "has overdue follow-ups", "no follow-up is overdue"),
    "stuck": ("are over their stage's norm", "is over its stage's norm", "no deal is over its stage's norm"),
    "close": ("are past their close date", "is past its close date", "no close date has passed"),
    "quiet": ("have had no activity lately", "has had no activity lately", "every deal has recent activity"),
    "criteria": ("left a stage with exit criteria unmet", "left a stage with exit criteria unmet",
                 "no deal left a stage with exit criteria unmet"),
}


def compose_attention(rows: Sequence[tuple[DealRef, list[str]]], viewer_is_manager: bool, *, total: int,
                      kind: str | None = None) -> Doc:
    """``rows``: the deals shown, most pressing first, of ``total`` that have the problem asked about."""
    many, one, none = _ATTENTION_KINDS[kind]
    if not rows:
        return doc(line(f"Nothing to chase right now: {none}.", mark=Mark.CELEBRATE))
    whose = "your team's" if viewer_is_manager else "your"
    lines = [line(strong(f"{total} of {whose} deals {one if total == 1 else many}"
                         + (f"; the {len(rows)} most pressing first:" if total > len(rows) else ":")))]
    for deal, reasons in rows:
        owner = f" ({deal.owner_name})" if viewer_is_manager else ""
        lines.append(bullet(strong(deal_heading(deal)), f"{owner}: {'; '.join(reasons)}"))
    if total > len(rows):
        lines.append(line(f"…and {total - len(rows)} more."))
    return doc(lines)


def compose_which_deal(example_names: Sequence[str]) -> Doc:
    """No deal named and none in focus: ask which, with the asker's own deals as examples."""
    if not example_names:
        return doc(line("Which deal do you mean? I don't see any open deals of yours yet."))
    return doc(line("Which deal do you mean? For example: " + ", ".join(f"“{n}”" for n in example_names) + "."))
