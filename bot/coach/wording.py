"""Wording shared by the deal intents (focus, diagnosis, call prep, email draft), all deterministic.

Everything here turns computed facts into words; nothing decides what to coach. The one
piece of grammar is ``buyer_question``: an exit criterion is written as a fact the buyer
confirmed ("Buyer named who signs off"), and call prep and the email need it as a question
to the buyer ("Could you name who signs off?").
"""

from __future__ import annotations

import re
from datetime import date, datetime

from bot.coach.composer import _when
from bot.core.plan import CriterionState, DealPlan, FollowUpItem
from bot.core.text import plural
from storage.timeutil import zone

# Past tenses a criterion opens with, and the form a request to the buyer needs ("could you name …").
_BASE_FORM = {
    "accepted": "accept", "acknowledged": "acknowledge", "admitted": "admit", "agreed": "agree",
    "allocated": "allocate", "approved": "approve", "asked": "ask", "attended": "attend", "booked": "book",
    "chose": "choose", "committed": "commit", "confirmed": "confirm", "defined": "define", "described": "describe",
    "documented": "document", "endorsed": "endorse", "explained": "explain", "gave": "give", "identified": "identify",
    "introduced": "introduce", "invited": "invite", "listed": "list", "mapped": "map", "met": "meet",
    "mentioned": "mention", "named": "name", "outlined": "outline", "provided": "provide", "put": "put",
    "quantified": "quantify", "replied": "reply", "requested": "request", "reviewed": "review", "said": "say",
    "scheduled": "schedule", "selected": "select", "set": "set", "shared": "share", "signed": "sign",
    "stated": "state", "submitted": "submit", "told": "tell", "validated": "validate", "verified": "verify",
    "wrote": "write", "came": "come", "joined": "join", "owned": "own", "sent": "send",
}
# Past tenses whose participle differs ("has your team given …", not "has your team gave …").
_PARTICIPLE = {"gave": "given", "chose": "chosen", "wrote": "written", "came": "come", "took": "taken",
               "spoke": "spoken", "saw": "seen", "knew": "known", "began": "begun", "drew": "drawn"}
_SPEECH = {"said": "Would you say", "stated": "Would you say"}  # "Would you say the topic touches a priority?"
_YOU = {"they": "you", "their": "your", "them": "you", "theirs": "yours", "themselves": "yourselves",
        "they're": "you're", "they've": "you've"}
# "Buyer …" is the person on the call; "Buyer's legal team …" and "Economic buyer …" are people they can speak for.
_SELF = re.compile(r"^(?:the\s+)?(?:buyer|customer|prospect|client|contact)\s+(?P<rest>.+)$", re.I)
_THEIRS = re.compile(r"^(?:the\s+)?(?:buyer|customer|prospect|client)(?:'s|’s)\s+(?P<rest>.+)$", re.I)
_OTHER = re.compile(r"^(?:the\s+)?(?P<who>economic buyer|champion|decision[- ]maker|sponsor|signatory)\s+(?P<rest>.+)$",
                    re.I)
_WORD = re.compile(r"[A-Za-z'’]+|[^A-Za-z'’]+")


def buyer_question(criterion_text: str) -> str:
    """An exit criterion, as the question that lets the buyer confirm it on a call.

    "Buyer named who signs off" → "Could you name who signs off?"; "Buyer's technical team
    confirmed fit" → "Has your technical team confirmed fit?". A criterion in any other shape is
    asked as it stands: "Can you confirm this: <criterion>?", so no map reads as nonsense.

    Args:
        criterion_text: the criterion as the process map words it.
    """
    text = criterion_text.strip().rstrip(".")
    if match := _THEIRS.match(text):
        return _has(f"your {match['rest']}") or _as_is(text)
    if match := _OTHER.match(text):
        return _has(f"your {match['who'].lower()} {match['rest']}") or _as_is(text)
    if match := _SELF.match(text):
        words = _WORD.findall(match["rest"])
        verb = words[0].lower()
        if verb in _SPEECH:
            return f"{_SPEECH[verb]}{''.join(_to_you(words[1:]))}?"
        if verb in _BASE_FORM:
            return f"Could you {''.join(_to_you(_base_forms(words)))}?"
    return _as_is(text)


def _has(subject_and_rest: str) -> str | None:
    """"your technical team confirmed fit" → "Has your technical team confirmed fit?" (None if no verb is found)."""
    words = _WORD.findall(subject_and_rest)
    for i, word in enumerate(words):
        lower = word.lower()
        if i > 2 and (lower in _BASE_FORM or lower in _PARTICIPLE):  # i > 2: "your" and a space come first
            subject = "".join(words[:i]).strip()
            plural_subject = " and " in subject or (subject.endswith("s") and not subject.endswith("ss"))
            rest = "".join(_PARTICIPLE.get(w.lower(), w) for w in words[i:])
            return f"{'Have' if plural_subject else 'Has'} {subject} {rest}?"
    return None


def _base_forms(words: list[str]) -> list[str]:
    """The opening verb and every verb joined to it ("… and named who …") in their base form."""
    out, joined = [], True
    for word in words:
        lower = word.lower()
        if lower in ("and", "or") or (word.strip() and not word.strip(" ,")):  # a comma joins verbs as "and" does
            joined = True
        elif word.strip():
            if joined and lower in _BASE_FORM:
                word = _BASE_FORM[lower]
            joined = False
        out.append(word)
    return out


def _to_you(words: list[str]) -> list[str]:
    return [_YOU.get(w.lower(), w) for w in words]


def _as_is(text: str) -> str:
    return f"Can you confirm this: {text[:1].lower() + text[1:]}?"


def followup_phrase(item: FollowUpItem) -> str:
    """“Send the pricing recap”, 3 days overdue — or: due today."""
    when = "due today" if item.days_overdue <= 0 else f"{plural(item.days_overdue, 'day')} overdue"
    return f"“{item.note or 'follow up'}”, {when}"


def first_move(plan: DealPlan, *, earlier_first: bool = False) -> str:
    """The single move to make first on a deal.

    A promise comes first: the oldest overdue follow-up, then one due today. With ``earlier_first``
    an earlier stage's criterion the buyer never confirmed comes next (the deal may be ahead of the
    buyer). Then the plan's first next activity; with nothing left, advancing the deal.
    """
    if plan.overdue_followups:
        return f"Do the follow-up {followup_phrase(plan.overdue_followups[0])}."
    if plan.due_today_followups:
        return f"Do the follow-up {followup_phrase(plan.due_today_followups[0])}."
    if earlier_first and plan.unconfirmed_earlier:
        return f"Go back and get the buyer to confirm: {plan.unconfirmed_earlier[0].text}."
    if plan.next_activities:
        return f"{plan.next_activities[0].text}."
    if plan.unmet:  # unmet criteria with no activity mapped to them
        return f"Get the buyer to confirm: {plan.unmet[0].text}."
    if plan.next_stage_name:
        return f"Every exit criterion of {plan.stage_name} is confirmed: move it to {plan.next_stage_name}."
    return f"Every exit criterion of {plan.stage_name} is confirmed: close it."


def last_activity_phrase(plan: DealPlan, now: datetime) -> str:
    """"6 days ago — Ran tech review", or that none is logged."""
    if plan.last_activity_at is None:
        return "none logged yet"
    note = f" — {plan.last_activity_note}" if plan.last_activity_note else ""
    return f"{_when(plan.last_activity_at, now)}{note}"


def criteria_list(criteria: list[CriterionState]) -> str:
    """Criteria texts joined for one line: "A; B; C"."""
    return "; ".join(c.text for c in criteria)


def joined(items: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# The asker speaking of themselves: "my deals", "how am I doing".
FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|my|me|mine|am)\b", re.I)


def local_today(now: datetime, tz_name: str | None) -> date:
    """The date it is at ``now`` for someone in ``tz_name``."""
    return now.astimezone(zone(tz_name)).date()


def short_date(day: date) -> str:
    """"Dec 1": a date in a list of reasons."""
    return f"{day:%b} {day.day}"


def day_label(day: date) -> str:
    """"Tuesday, Dec 1": a date proposed or recalled in a message."""
    return f"{day:%A}, {short_date(day)}"
