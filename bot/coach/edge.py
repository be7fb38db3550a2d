"""The edge of what the coach does: requests it can't fulfil, refused plainly with the nearest thing it can.

Read before any routing, so an unknown word in "whats my ote" or "archive every deal older than 90 days"
is never taken for a deal's name. Four kinds (``Refusal.kind``):

- ``action``: things it doesn't do: send emails, call or message people, manage a calendar, edit, delete
  or move deals in bulk, change CRM settings, stages or permissions;
- ``data``: data it doesn't have: quotas, commission and bonuses (no pay plan is loaded), market or company news,
  contacts' details;
- ``access``: someone claiming another role or person in the message, or a rep asking about other people's
  deals ("who owns …", "anyone else …"): what the asker may see is decided by their login, never by words;
- ``outside``: things outside selling (the router's off-topic reading is refused the same way).

Each refusal is one sentence and the nearest thing the coach can do, with the asker's real figures where
there are some. A refusal never says whether a deal, person or team the asker may not see exists: only
deals the asker may see are ever named in it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.coach.intents.base import Ask
from bot.coach.results import Refusal
from bot.coach.rich import doc, line
from bot.coach.types import CoachAnswer
from bot.core.text import money
from storage import deals as deal_store
from storage.access import Viewer
from storage.models import Role
from storage.timeutil import zone

_PLEASE = r"^\W*(?:(?:hey|hi|ok(?:ay)?|so|pls|please|plz|can|could|would|will|you|u|ya|just|quickly|go|and)\b[\s,]*)*"
# A due date the rep gives themselves ("send hooli the deck by tues", "call initech tmrw"): a follow-up to record.
_DUE = re.compile(r"\b(?:by|on|before|due|until)\s+\w+|\b(?:tmrw|tomorrow|tmr|monday|tuesday|wednesday|thursday|"
                  r"friday|mon|tues?|wed|thu(?:rs?)?|fri|next\s+(?:week|\w+day)|in\s+(?:a|an|\d+|one|two|three)\s+"
                  r"(?:days?|wks?|weeks?))\b", re.I)

# -- action --------------------------------------------------------------------------------------------
_CRM_ADMIN = re.compile(r"\b(?:admin rights|permissions?|(?:new|add(?:ing)?|create|rename|delete) (?:a )?(?:new )?"
                        r"stage|in the crm|crm (?:settings?|fields?|admin)|user access|(?:give|grant) \w+ access)\b",
                        re.I)
_CALENDAR = re.compile(r"\b(?:put|add|block|book|schedule|create|send|move)\b[^.?!]*\b(?:calendar|cal)\b|"
                       r"\b(?:calendar (?:hold|invite)|cal invite|invite from|dial into|join the (?:call|meeting|zoom) "
                       r"for me)\b|\bcancel my\b", re.I)
_BULK_EDIT = re.compile(_PLEASE + r"(?:delete|remove|archive|cancel|close out|reassign|merge|push|move|"
                        r"reschedule|bulk)\b(?! it\b)|" + _PLEASE + r"(?:change|edit|update|set)\s+(?:the\s+)?"
                        r"(?:\w+\s+)?(?:deal\s+)?(?:amount|owner|close date|value|stage|name)\b", re.I)
_REACH_OUT = re.compile(_PLEASE + r"(?:e-?mail|send|shoot|text|call|phone|ring|dial|leave|forward|cc|auto[- ]?send)"
                        r"\b(?!\s+(?:that|this|it|prep|plan|notes|draft|template)\b)", re.I)
_SEND_ANYWHERE = re.compile(r"\b(?:auto[- ]?send|send (?:it|this|that) to them|send the docusign|"
                            r"leave a voicemail)\b", re.I)

# -- data ----------------------------------------------------------------------------------------------
# Targets, "my number" and the forecast by category are the pipeline's forecast report (with the target when one
# is loaded, saying there is none when not); quotas as pay plans, commission and bonuses are nowhere.
_QUOTA = re.compile(r"\b(?:quotas?|attainment|ote|bonus(?:es)?|commissions?)\b", re.I)
_ANSWERS_QUOTAS = frozenset({"quota", "targets"})  # intents that would know quotas, were one registered
_NEWS = re.compile(r"\b(?:stock|share price|(?:any|latest|recent|the) news|news (?:on|about|for)|rumou?rs?|"
                   r"weather|traffic|competitors?'? (?:discount|pric\w+)|discount did competitors)\b", re.I)
_CONTACTS = re.compile(r"\b(?:phone (?:number|#)|contact (?:info|details)|cell (?:number|#)|email address(?:es)?|"
                       r"zoominfo|linkedin)\b", re.I)

# -- access --------------------------------------------------------------------------------------------
_CLAIMS = re.compile(r"\b(?:i'?m|i am|this is|it'?s|its)\s+\w+\s*\((?:admin|manager|vp)\)|\busing \w+'?s "
                     r"(?:account|laptop|login|slack)|\blogged in (?:on|as)\b|\brole\s*=|^\s*system\s*:|\bpretend "
                     r"(?:i'?m|i am|to be)|\bact as (?:the |a |my )?(?:vp|manager|admin)|\b(?:said|says) (?:it'?s|its) "
                     r"ok(?:ay)? for me to see|\bi'?m covering for\b", re.I)
_OTHERS = re.compile(r"\b(?:anyone else|someone else|any other reps?|other reps'?|whose (?:is it|deal)|who owns|"
                     r"who'?s the owner|everyone'?s|the full pipeline|all the numbers|step on toes)\b", re.I)

# -- outside -------------------------------------------------------------------------------------------
_OUTSIDE = re.compile(r"\b(?:nda|enforceable|non-?compete|lawsuit|taxes|mortgage|landlord|refinance|essay|poem|joke|"
                      r"calories|recipe|workout|vlookup|excel formula|expense report|concur|translate|fantasy "
                      r"football|election|president|horoscope)\b", re.I)


def refusal(ask: Ask) -> CoachAnswer | None:
    """The refusal for a request beyond the coach's edge, or None when the coach can answer it."""
    text = ask.question
    if _CLAIMS.search(text) or (not ask.viewer.is_manager and _OTHERS.search(text)):
        return _refused(ask, "access", _whose(ask.viewer))
    if _CRM_ADMIN.search(text):
        return _refused(ask, "action", "I don't change CRM settings, stages, users or permissions.",
                        "I can explain the sales process as it is — ask “what are the exit criteria of each stage”.")
    if _CALENDAR.search(text):
        return _refused(ask, "action", "I don't make calls or manage your calendar.",
                        f"I can set a follow-up to remind you instead — e.g. “remind me to call {_a_deal(ask)} "
                        "on Monday”.")
    if _BULK_EDIT.search(text):
        return _refused(ask, "action", "I don't edit, delete or move deals or follow-ups in the CRM.",
                        "I can record one change you confirm — a criterion the buyer confirmed, a follow-up, an "
                        "activity, a deal closed won or lost — or list your deals: ask “my open deals”.")
    if _CONTACTS.search(text):
        return _refused(ask, "data", "I don't have contacts' phone numbers or contact details.",
                        f"I can prep you for the call — ask “prep me for my call with {_a_deal(ask)}”.")
    if _SEND_ANYWHERE.search(text) or (_REACH_OUT.search(text) and not _DUE.search(text)):
        return _refused(ask, "action", "I don't send emails or contact anyone for you.",
                        f"I can draft the email for you to send — ask “draft an email to {_a_deal(ask)}” — or "
                        "set a follow-up with a due date.")
    if _QUOTA.search(text) and not _ANSWERS_QUOTAS & set(ask.intents):  # until an intent answers them
        return _refused(ask, "data", "I don't know quotas, commission or bonuses — no pay plan is loaded.",
                        _closing_this_quarter(ask))
    if _NEWS.search(text):
        return _refused(ask, "data", "I don't have market, company or competitor news.",
                        f"I can tell you where {_a_deal(ask)} stands — ask “what's next on {_a_deal(ask)}”.")
    if _OUTSIDE.search(text):
        return outside(ask)
    return None


def outside(ask: Ask) -> CoachAnswer:
    """Outside selling: said plainly, with what the coach does instead."""
    return _refused(ask, "outside", "That's outside what I know — I only answer from your deals, the team's sales "
                                    "process and its playbooks.",
                    f"Ask me e.g. “what's next on {_a_deal(ask)}” or “where should I start today”.")


def _whose(viewer: Viewer) -> str:
    if viewer.role == Role.admin:
        return "I answer for you as you're logged in, whatever the message says."
    if viewer.is_manager:
        return "I can only show you your own team's deals and numbers, as you're logged in, whatever the message says."
    return "I can only show you your own deals and numbers, as you're logged in, whatever the message says."


def _refused(ask: Ask, kind: str, cannot: str, offer: str | None = None) -> CoachAnswer:
    if offer is None:
        offer = ("Ask “my open deals” or “my scorecard” for yours." if not ask.viewer.is_manager
                 else "Ask “my team's deals” or “team ranking” for your team.")
    return CoachAnswer(Refusal(doc(line(cannot), line(offer)), kind, offer), f"refused_{kind}")


def _a_deal(ask: Ask) -> str:
    """A deal to show in an offer: one the asker may see and names in the message, else their biggest one."""
    visible = deal_store.visible_deal_summaries(session=ask.session, viewer=ask.viewer)
    lowered = ask.question.lower()
    named = next((d.name for d in visible if (d.account or d.name).split()[0].lower() in lowered
                  or d.name.lower() in lowered), None)
    if named:
        return named
    mine = deal_store.open_deals_for(session=ask.session, viewer=ask.viewer, owner_id=ask.viewer.rep_id)
    return mine[0].name if mine else "your deal"


def _closing_this_quarter(ask: Ask) -> str:
    """The nearest figures: the open pipeline closing this quarter (the asker's own, or a manager's team's)."""
    today = ask.now.astimezone(zone(ask.viewer.timezone)).date()
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = (date(first.year + 1, 1, 1) if first.month == 10 else date(first.year, first.month + 3, 1)) - timedelta(1)
    owner = None if ask.viewer.is_manager else ask.viewer.rep_id
    deals = deal_store.open_deals_for(session=ask.session, viewer=ask.viewer, owner_id=owner,
                                      closing_between=(first, last))
    whose = "Your team's" if ask.viewer.is_manager else "Your"
    ask_for = "my team's deals closing this quarter" if ask.viewer.is_manager else "my deals closing this quarter"
    if not deals:
        return f"{whose} open pipeline has no deal closing this quarter — ask “my open deals” for all of it."
    total = sum(d.amount or 0 for d in deals)
    count = f"{len(deals)} deal{'s' if len(deals) != 1 else ''}"
    return f"{whose} open pipeline closing this quarter is {count}, {money(total)} — ask “{ask_for}”."
