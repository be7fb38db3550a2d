"""Record in words: "Globex confirmed budget", "add a follow-up on Initech for Friday: send the ROI case",
"had the discovery call with Hooli", "we lost Kramerica, mark it lost".

The words become ONE proposed write on the deal the engine resolved: the deal closed won or lost,
an exit criterion of its current stage (or an earlier one it moved on without) the buyer confirmed
(the rep's words as evidence), a follow-up with a date, or an activity (a mapped one when the words
name it). Nothing is written here: the answer carries a ``Proposal`` that ``bot.coach.proposals``
applies once the person confirms it.
"""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from pydantic import Field
from rapidfuzz import fuzz, process

from bot.coach.intents.base import DEAL_PLACEHOLDER, Ask, DealSlots, Intent, Tool
from bot.coach.proposals import REPLY_HINT
from bot.coach.resolve import mask_deals
from bot.coach.results import AlreadyRecorded, Clarification, Proposed
from bot.coach.rich import bullet, doc, line
from bot.coach.types import CoachAnswer, Proposal
from bot.coach.wording import day_label
from bot.core.plan import DealRef
from knowledge.process_map import ActivityDef
from storage.deals import DealSummary
from storage.timeutil import local_midnight_utc, zone

T = TypeVar("T")

FOLLOWUP_HOUR = 9  # as the Slack follow-up modal: a follow-up set for a day is due at 9:00 in the rep's timezone

# Matching the rep's words to a criterion or an activity of the stage: ``match_score`` (0..100) is half
# how much of the words the target covers (the share of the rep's words found in it, whole, by prefix as
# "tech"/"technical" or as a typo of ratio >= TYPO; or, when higher, the share of its key's words found in
# the rep's: "the reporting pain is real" names ``pain_confirmed``), half rapidfuzz's WRatio of the two
# word lists. Measured on phrasings written as reps type them (deal name "acme"):
# - criteria, tests/data/process_small.yaml, 27 phrasings: the right criterion 68-100 ("acme agreed the
#   success plan" 68), except "acme said the vp signs" (no word in common: 0, so it is asked about); the
#   best wrong one of the same stage 0-30; unrelated statements ("acme said yes", "acme confirmed the
#   call", "acme said the date works") at most 48 against any stage.
# - criteria, knowledge/processes/b2b_default.yaml, 42 phrasings: right 68-100 ("acme said the problem
#   costs them 200k a year" 68), except "acme said they'll decide by dec 3" (47); best wrong 0-68 and never
#   within 12 of the right one; unrelated at most 68 ("acme said the date works": Commit's signing and
#   kickoff dates tie at 68, so both are listed; Propose's decision date alone, so it is proposed).
# So a criterion matches from CRITERION_MATCH, and every candidate within MARGIN of the best is listed.
CRITERION_MATCH = 55
MARGIN = 10
# - activities, small map, 13 phrasings: right 79-100, except "asked acme about funding" (54: logged free);
#   best wrong 0-26; unrelated ("sent the pricing recap", "had lunch with acme's cfo") at most 25.
# - activities, default map, 18 phrasings: right 68-100, except "demoed to acme on their data" (53); best
#   wrong at least 25 under the right one but for "did the impact math" (impact_math vs written_recap, 8
#   apart: two close, so logged free); unrelated at most 68 ("sent the pricing recap" reads as Discover's
#   written_recap, a fair reading).
# A free activity keeps the rep's words, so a miss costs little: the bar sits above the unrelated scores.
ACTIVITY_MATCH = 65
TYPO = 75  # fuzz.ratio of two words from which one reads as a typo of the other ("budgit", "budget")

# Words that say who confirmed, that it happened or how, never which criterion or activity: dropped from
# both sides before matching. Channels ("call", "email", "meeting") are here because "had a call" names
# no activity; "discovery call" still matches by "discovery".
_NOISE = frozenset("""
a an the and or of to in on at for with by from as is are was were be been being has have had do did does done
it its they them their we us our i me my you your he she his her him this that these those there here so just also
about over into up out than then now today yesterday really finally all any some both each yes ok okay
buyer buyers client customer customers prospect contact team log logged record recorded note noted please pls
confirm confirms confirmed confirming agree agrees agreed said says say told tell sign signs signed off approve
approves approved name named accept accepts accepted endorse endorsed acknowledge acknowledged admit admits admitted
verified validated committed okayed
had ran run runs running did held hold sent send sending made make went go got get gave give
call called calls calling email emailed emails meeting meetings met meet talk talked spoke chat chatted ping pinged
""".split()) | {DEAL_PLACEHOLDER}
_LONG_NOISE = sorted(w for w in _NOISE if len(w) >= 5)  # typos of these ("confirmd") are dropped too
_TOKEN = re.compile(r"[a-z0-9]+")

# What kind of record the words ask for (on the lowercase words, the deal's name replaced by "acme").
_REMIND = re.compile(r"\b(?:remind(?:er|ers)?|nudge me|ping me|tickler)\b")
_FOLLOWUP_WORD = re.compile(r"\bfollow[- ]?ups?\b")
_SET = re.compile(r"^(?:please |pls )?(?:follow[- ]?up)\b|\b(?:add|set|create|schedule|put|make|new|book|need)\b")
# The deal's outcome, on the words with the deal's name as "acme": "we lost acme", "mark it won", "acme
# closed lost", "close acme as won". Only of the deal itself: "we lost our champion at acme" is news, not an end.
_DEAL = re.escape(DEAL_PLACEHOLDER)
_DEAL_ITSELF = rf"(?:the\s+)?(?:{_DEAL}|it|this(?:\s+one)?|that(?:\s+one)?|the\s+deal)"
CLOSED_NEWS = re.compile(rf"\b(?:we|i)(?:'ve|\s+have)?\s+(?:just\s+)?(won|lost)\s+{_DEAL_ITSELF}\b"
                         rf"|\b(?:mark|close|set)\s+(?:{_DEAL_ITSELF}\s+)?(?:as\s+)?(?:closed[- ])?(won|lost)\b"
                         rf"|\b{_DEAL}\s+(?:is\s+|was\s+|got\s+)?(?:closed[- ]|marked\s+)?(won|lost)\b"
                         r"|\bclosed[- ](won|lost)\b"
                         # "GLOBEX SIGNED!!!", "initech signed the renewal" (not "signed off on the criteria")
                         rf"|\b{_DEAL}\s+(?:just\s+|finally\s+|has\s+)?(sign)ed\b(?!\s+off)(?!\s+(?:the\s+)?(?:nda|msa|sow|"
                         r"success|criteria|doc))"
                         # "lost hooli, they went w tableau", "globex is dead", "initech churned", "we lost it"
                         rf"|^\W*(lost)\s+{_DEAL_ITSELF}\b|\b{_DEAL}\s+(?:is|was)\s+(dead)\b|\b{_DEAL}\s+(churn)ed\b"
                         r"|\b(?:we\s+)?(lost)\s+(?:it|them)\b|\bpulled the (plug)\b|\.\s*(lost)\.?\s*$", re.I)
_WON_WORDS = frozenset({"won", "sign"})
_CONFIRMED = re.compile(
    r"\b(?:confirm\w*|agree\w*|said|says|told (?:us|me)|sign(?:s|ed)? off|signoff|approv\w*|named|accept\w*|"
    r"endors\w*|acknowledg\w*|admit\w*|verified|validated|committed|okayed|green[- ]?lit|on board|"
    r"(?:has|have|got) (?:a |the )?budget|explained|set aside|found out|passed|written confirmation)\b")
# A to-do the rep gives themselves (a follow-up once it has a day): "todo: call …", "i owe initech a call back",
# "need to email hooli …", "send hooli the deck by eod", "check back w hooli in a week".
_TO_DO = re.compile(r"^\W*(?:todo|to do|reminder)\b|\b(?:fu|f/u|need to|needs to|have to|got to|gotta|i owe|owe (?:them|"
                    r"acme)|committed to|promised|i'?ll|ill|i will|check back|circle back|get back to)\b|"
                    r"^\W*(?:call|send|email|e-mail|ping|chase|check in|text|nudge|share|reach out|get)\b")
# What happened: a past tense or a finished event ("met w initech's it team", "disco call done", "demo was 🔥").
_HAPPENED = re.compile(r"\b(?:met|sent|had|held|ran|did|done|called|talked|spoke|emailed|shared|walked|demoed|"
                       r"presented|happened|went|visited|chatted|finished|completed|wrapped|was|were|hosted|"
                       r"delivered|reviewed|gave|showed|submitted|returned|replied|heard back|got off|left|lost|quit|joined|hired|"
                       r"introduced|moved|changed|"
                       r"log (?:a|an|the) (?:call|meeting|mtg|activity|demo|visit|email|note))\b")
# Not news to record: a plan, a worry, a wish or a request for a draft ("maybe i should loop in our se").
_NOT_NEWS = re.compile(r"^\W*(?:did|do|does|have|has|is|are|was|were)\s+(?:i|we|you|u)\b|\b(?:maybe|might|should|considering|thinking (?:about|of)|planning|plan to|at some point|"
                       r"worried|nervous|concerned|afraid|scared|anxious|hoping|hope|wish|draft|write)\b")
# Plain words for an exit criterion the rep's words name without its own words ("$10-20k set aside" is a budget).
_CONCEPTS = (
    (re.compile(r"\bbudget|\d+\s*k?\s*(?:-|to)\s*\d+\s*k\b|\bset aside\b|\$\s*\d|\bfunding\b"), ("budget",)),
    (re.compile(r"\bsigns?\b|\bsigner\b|\bsign[- ]?off\b|\bdecision maker\b|\bapprover\b"), ("decision", "maker")),
    (re.compile(r"\bpain\b|\bkilling\b|\bstruggl|\bstale\b|\bproblem|\bfrustrat|\bpiling\b|\bhurting\b"),
     ("pain",)),
    (re.compile(r"\bfits?\b|\bstack\b|\bintegrat|\barchitect|\btech(?:nical)? (?:review|validation)"),
     ("technical", "fit")),
    (re.compile(r"\bsuccess criteria\b|\bsucces criteria\b|\bcriteria\b"), ("success", "criteria")),
)

# A due date as people write it. The phrase found is read by dateparser (relative to the asker's local
# time, future preferred); the few forms it does not read ("end of week", "the 5th") are read here.
_WEEKDAYS = {"mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday", "weds": "wednesday",
             "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday", "sat": "saturday",
             "sun": "sunday"}
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thu(?:rs?)?|fri)"
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_COUNT = r"(?:a|an|one|two|three|four|five|six|\d{1,2})"
_DATE = re.compile(
    r"(?:\b(?:on|by|for|before|until|due)\s+)?\b(?P<when>"
    rf"(?:(?:this|next|coming)\s+)?{_WEEKDAY}\b(?:\s+(?:morning|afternoon|evening))?"
    r"|tomorrow|tmrw|tmr|today|tonight|eod|end\s+of\s+(?:the\s+)?(?:day|week|month)"
    rf"|in\s+{_COUNT}\s+(?:days?|weeks?|wks?|months?)|next\s+(?:week|month)"
    rf"|{_MONTH}\.?\s+{_ORDINAL}\b(?:,?\s+\d{{4}})?|{_ORDINAL}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+\d{{4}})?"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r"|the\s+\d{1,2}(?:st|nd|rd|th))(?![\w/])", re.I)
_TODAY = frozenset({"today", "tonight", "eod", "end of day", "end of the day"})

# "log that …", "record: …", "…, log it": the asking, not the words to keep as evidence or note.
_ASKING_FIRST = re.compile(r"^\s*(?:please\s+|pls\s+)?(?:log|record|note|add|fyi|update|mark)\b"
                           r"(?:\s+(?:that|this|it|a note|an activity|activity))?\s*[:,\-–—]?\s*", re.I)
_ASKING_LAST = re.compile(r"[\s,;.\-–—]*(?:please\s+)?(?:log|record|note|save)\s+(?:it|that|this)\s*[.!]*\s*$", re.I)
# Where a follow-up's note starts when there is no colon: "remind me to <note>", "… about <note>".
_NOTE_AFTER_TO = re.compile(r"\b(?:remind(?:er)?s?|follow[- ]?ups?|nudge|ping)\b.*?\bto\s+(?P<note>.+)$", re.I)
_NOTE_ABOUT = re.compile(r"\b(?:about|regarding|re)\s+(?P<note>.+)$", re.I)
_DANGLING = re.compile(r"^(?:\s*\b(?:on|by|for|at|to|and|then)\b)+|(?:\b(?:on|by|for|at|to|and|then)\b\s*)+$", re.I)


def handle(ask: Ask) -> CoachAnswer:
    """One proposed write, its kind decided by explicit cues in the words, never by default: the deal's end,
    a to-do with its day (a follow-up), what the buyer confirmed (a criterion), what happened (an activity).
    A plan, a worry or a request for a draft is not news; words with no cue get a question back."""
    deal = ask.plan.deal
    summary = _summary(deal)
    masked = mask_deals(ask.question, [summary], DEAL_PLACEHOLDER)
    lowered = masked.lower().replace("’", "'")
    said = _without_asking(ask.question)
    closed = CLOSED_NEWS.search(masked)
    if closed:
        return _close(deal, won=next(g for g in closed.groups() if g).lower() in _WON_WORDS, said=said)
    if _NOT_NEWS.search(lowered) and not _REMIND.search(lowered):
        return _not_news(deal)
    if _REMIND.search(lowered) or _FOLLOWUP_WORD.search(lowered) or _TO_DO.search(lowered):
        return _followup(ask, deal, said)
    words = content_words(masked)
    if not words:  # "met with their it team yesterday": nothing names a criterion or an activity of the map
        return _activity(ask, deal, words, said) if _HAPPENED.search(lowered) else _what_to_record(deal)
    # "note on Globex: they want a pilot": what follows the colon is what happened.
    head, colon, tail = said.partition(":")
    if colon and tail.strip() and not content_words(mask_deals(head, [summary], DEAL_PLACEHOLDER)):
        said = tail.strip()
    if _CONFIRMED.search(lowered):
        return _criterion(ask, deal, words, said, _concepts(lowered))
    if _HAPPENED.search(lowered):
        return _activity(ask, deal, words, said)
    return _what_to_record(deal)


# -- the three kinds ---------------------------------------------------------------------------------


def _concepts(lowered: str) -> list[str]:
    """The plain words of the criteria the words name by a concept (an amount range for a budget)."""
    return [word for pattern, words in _CONCEPTS if pattern.search(lowered) for word in words]


def _criterion(ask: Ask, deal: DealRef, words: list[str], said: str, concepts: Sequence[str] = ()) -> CoachAnswer:
    plan = ask.plan
    scored = [(match_score(words, c.text, c.key), c) for c in plan.criteria]
    scored.sort(key=lambda pair: (-pair[0], pair[1].met))  # equal scores: the unmet criterion first
    named = best_matches(scored, CRITERION_MATCH)
    if not named and concepts:  # the words name none; the concept they speak of may ("10 to 20k set aside")
        words = list(concepts)
        scored = sorted(((match_score(words, c.text, c.key), c) for c in plan.criteria),
                        key=lambda pair: (-pair[0], pair[1].met))
        named = best_matches(scored, CRITERION_MATCH)
    if named and named[0].met:  # "agreed on criteria and tech fit": an open criterion named too is not lost
        named += [c for score, c in scored if not c.met and score >= CRITERION_MATCH and c not in named]
    if len(named) > 1:
        body = doc(line("Which did the buyer confirm?"),
                   [bullet(f"{c.text}{' (already confirmed)' if c.met else ''}") for c in named],
                   line(f"Say it again in a few more words, e.g. “{deal.name}: {named[0].text.lower()}”."))
        return CoachAnswer(Clarification(body, "candidates", tuple(c.key for c in named)), "record", deal=deal)
    if not named:
        return _no_criterion(ask, deal, words, said)
    criterion = named[0]
    if criterion.met:
        evidence = f" (“{criterion.evidence}”)" if criterion.evidence else ""
        return CoachAnswer(AlreadyRecorded(doc(line(f"Already recorded on {deal.name}: {criterion.text}{evidence}. "
                                                    "Nothing to add.")), criterion.key), "record", deal=deal)
    summary = f"Exit criterion met on {deal.name}: {criterion.text} ({plan.stage_name}); evidence “{said}”"
    return _proposed(deal, Proposal(kind="criterion", deal_id=deal.id, deal_name=deal.name, summary=summary,
                                    token=_token(), stage_key=plan.stage_key, criterion_key=criterion.key,
                                    evidence=said))


def _no_criterion(ask: Ask, deal: DealRef, words: list[str], said: str) -> CoachAnswer:
    """Nothing of the current stage matches: an earlier stage's criterion the deal moved on without is
    proposed (call prep asks for those); one confirmed already is said; else the open ones are listed."""
    plan, process_map = ask.plan, ask.process
    earlier = process_map.stages[:process_map.index_of(plan.stage_key)]
    scored = [(match_score(words, c.text, c.key), (s, c)) for s in earlier for c in s.exit_criteria]
    scored.sort(key=lambda pair: -pair[0])
    found = best_matches(scored, CRITERION_MATCH)
    open_ones = [bullet(c.text) for c in plan.unmet] or [bullet("none: the buyer has confirmed them all")]
    if len(found) == 1:
        stage, criterion = found[0]
        never = next((c for c in plan.unconfirmed_earlier if (c.stage_key, c.key) == (stage.key, criterion.key)), None)
        if never is None:
            return CoachAnswer(AlreadyRecorded(doc(line(f"Already recorded on {deal.name}: {criterion.text} "
                                                        f"({stage.name}). Nothing to add.")), criterion.key, stage.key),
                               "record", deal=deal)
        summary = (f"Exit criterion met on {deal.name}: {criterion.text} ({stage.name}, never confirmed before the "
                   f"deal moved on); evidence “{said}”")
        return _proposed(deal, Proposal(kind="criterion", deal_id=deal.id, deal_name=deal.name, summary=summary,
                                        token=_token(), stage_key=plan.stage_key, criterion_key=criterion.key,
                                        criterion_stage=stage.key, evidence=said))
    body = doc(line(f"I couldn't tell which exit criterion of {plan.stage_name} that is. Which did the buyer confirm?"),
               open_ones, line(f"Or say “log a note on {deal.name}: …” to keep it as an activity."))
    return CoachAnswer(Clarification(body, "candidates", tuple(c.key for c in plan.unmet)), "record", deal=deal)


def _activity(ask: Ask, deal: DealRef, words: list[str], said: str) -> CoachAnswer:
    stage = ask.process.stage(ask.plan.stage_key)
    activities = stage.activities if stage else []
    scored = [(match_score(words, a.text, a.key), a) for a in activities]
    scored.sort(key=lambda pair: -pair[0])
    named = best_matches(scored, ACTIVITY_MATCH)
    mapped: ActivityDef | None = named[0] if len(named) == 1 else None  # two close ones: log it free
    note = _sentence(said)
    what = f"{mapped.text} — “{note}”" if mapped else f"“{note}”"
    return _proposed(deal, Proposal(kind="activity", deal_id=deal.id, deal_name=deal.name,
                                    summary=f"Activity that happened on {deal.name}: {what}", token=_token(),
                                    stage_key=ask.plan.stage_key, note=note, activity_key=mapped.key if mapped else None))


def _followup(ask: Ask, deal: DealRef, said: str) -> CoachAnswer:
    found = _DATE.search(said)
    if found and re.match(rf"\s+or\s+{_DATE.pattern}", said[found.end():], re.I):
        found = None  # "monday or tuesday": which day it is is the rep's to say
    local_now = ask.now.astimezone(zone(ask.viewer.timezone))
    day = read_day(found.group("when"), local_now) if found else None
    if found is None or day is None or day < local_now.date():
        heard = f"I read “{found.group('when')}” as a day that has passed. " if found and day else ""
        return CoachAnswer(Clarification(doc(line(f"{heard}For when should I set the follow-up on {deal.name}? "
                                                  f"Say e.g. “remind me to call {deal.name} on Friday” or “… on Dec 3”.")),
                                         needs="due date"), "record", deal=deal)
    note = _followup_note(said, found) or f"Follow up on {deal.name}"
    due_at = local_midnight_utc(day, zone(ask.viewer.timezone)) + timedelta(hours=FOLLOWUP_HOUR)
    summary = f"Follow-up on {deal.name}, due {day_label(day)} at {FOLLOWUP_HOUR}:00: {note}"
    return _proposed(deal, Proposal(kind="followup", deal_id=deal.id, deal_name=deal.name, summary=summary,
                                    token=_token(), stage_key=ask.plan.stage_key, due_at=due_at, note=note))


def _close(deal: DealRef, *, won: bool, said: str) -> CoachAnswer:
    outcome = "won" if won else "lost"
    return _proposed(deal, Proposal(kind="close", deal_id=deal.id, deal_name=deal.name, token=_token(),
                                    summary=f"Deal closed {outcome}: {deal.name} — “{said}”", stage_key=deal.stage_key,
                                    won=won, note=said))


def _proposed(deal: DealRef, proposal: Proposal) -> CoachAnswer:
    body = doc(line("I'll record this — nothing is written until you confirm:"), bullet(proposal.summary))
    return CoachAnswer(Proposed(body, proposal, REPLY_HINT), "record", deal=deal, proposal=proposal)


def _not_news(deal: DealRef) -> CoachAnswer:
    body = doc(line(f"That reads as a plan, a worry or a request, not something that happened on {deal.name}, so "
                    "I won't record it. When it has happened, tell me and I'll log it; to be reminded, say "
                    f"“remind me to … on Friday”."))
    return CoachAnswer(Clarification(body, needs="what happened"), "record", deal=deal)


def _what_to_record(deal: DealRef) -> CoachAnswer:
    body = doc(line(f"What should I record on {deal.name}: something the buyer confirmed (“{deal.name} confirmed "
                    f"budget”), something that happened (“had the discovery call with {deal.name}”) or a follow-up "
                    f"with its day (“remind me to call {deal.name} on Friday”)?"))
    return CoachAnswer(Clarification(body, needs="what happened"), "record", deal=deal)


# -- reading the words ---------------------------------------------------------------------------------


def content_words(text: str) -> list[str]:
    """The words that can name a criterion or an activity: lowercase, without noise words or their typos."""
    words = []
    for word in _TOKEN.findall(text.lower().replace("’", "'").replace("'s", "")):
        if word in _NOISE or (len(word) >= 5 and process.extractOne(word, _LONG_NOISE, scorer=fuzz.ratio,
                                                                      score_cutoff=85) is not None):
            continue
        words.append(word)
    return words


def match_score(words: list[str], text: str, key: str) -> float:
    """How well ``words`` name the criterion or activity ``text`` (map key ``key``), 0..100 (see the top)."""
    target, named = _target(text, key)
    if not words or not target:
        return 0.0
    covered = max(_covered(words, target), _covered(named, words))
    return (covered + fuzz.WRatio(" ".join(words), " ".join(target))) / 2


def best_matches(scored: Sequence[tuple[float, T]], threshold: float) -> list[T]:
    """The items the words name, best first: one (a match), several within ``MARGIN`` (ask which) or none.

    ``scored`` is sorted best first.
    """
    if not scored or scored[0][0] < threshold:
        return []
    floor = max(threshold, scored[0][0] - MARGIN)
    return [item for score, item in scored if score >= floor]


def read_day(phrase: str, local_now: datetime) -> date | None:
    """The day a phrase names, seen from ``local_now`` (the asker's wall clock); future days preferred."""
    text = " ".join(phrase.lower().split())
    today = local_now.date()
    if text in _TODAY:
        return today
    if text in ("end of week", "end of the week"):  # this week's Friday; at the weekend, the next one
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if text in ("end of month", "end of the month"):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if (day_of_month := re.fullmatch(r"the (\d{1,2})(?:st|nd|rd|th)", text)) is not None:
        return _next_day_of_month(today, int(day_of_month.group(1)))
    import dateparser  # only for a due date in words: its import is a twentieth of every ask's start

    words = [_WEEKDAYS.get(w, {"wk": "week", "wks": "weeks"}.get(w, w)) for w in text.split() if w != "coming"]  # dateparser reads neither "thurs" nor "coming"
    parsed = dateparser.parse(" ".join(words), languages=["en"],
                              settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": local_now.replace(tzinfo=None)})
    return parsed.date() if parsed else None


def _next_day_of_month(today: date, day: int) -> date | None:
    """The next date (today included) falling on the ``day``th of a month."""
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _followup_note(said: str, found: re.Match | None) -> str | None:
    """What the follow-up is for: after a colon, after "remind me to", after "about"; the date left out."""
    _, colon, after = said.partition(":")
    if colon and after.strip():
        text = after
    else:
        text = said[:found.start()] + " " + said[found.end():] if found else said
        match = _NOTE_AFTER_TO.search(text) or _NOTE_ABOUT.search(text)
        if match is None:
            return None
        text = match.group("note") if match.re is _NOTE_AFTER_TO else f"Follow up about {match.group('note')}"
    if found and found.group(0) in text:
        text = text.replace(found.group(0), " ")
    text = _DANGLING.sub("", " ".join(text.split())).strip(" ,;.")
    return _sentence(text) if text else None


def _without_asking(question: str) -> str:
    """The person's words without "log that …" or "…, log it": what the buyer said or the rep did."""
    text = _ASKING_LAST.sub("", _ASKING_FIRST.sub("", question.strip(), count=1))
    return text.strip() or question.strip()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=4096)  # a map's few dozen texts, read on every record question
def _target(text: str, key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The content words of a criterion or activity (text and key), and those of its key alone."""
    named = tuple(content_words(key.replace("_", " ")))
    return tuple(dict.fromkeys([*content_words(text), *named])), named


def _covered(words: Sequence[str], target: Sequence[str]) -> float:
    """The share of ``words`` found in ``target`` (whole, by prefix or as a typo), 0..100."""
    if not words or not target:
        return 0.0
    return sum(max(_word_match(w, t) for t in target) for w in words) / len(words)


def _word_match(word: str, other: str) -> float:
    if len(word) >= 3 and len(other) >= 3 and (word.startswith(other) or other.startswith(word)):
        return 100.0
    score = fuzz.ratio(word, other)
    return score if score >= TYPO else 0.0


def _summary(deal: DealRef) -> DealSummary:
    """The deal as ``mask_deals`` reads it (only its names matter)."""
    return DealSummary(id=deal.id, external_id=deal.external_id, name=deal.name, account=deal.account,
                       stage_key=deal.stage_key, status=deal.status, owner_id=deal.owner_id, owner_name=deal.owner_name)


def _token() -> str:
    return uuid.uuid4().hex


class RecordSlots(DealSlots):
    what: str = Field(description="In the person's words.")


INTENT = Intent(
    name="record",
    summary="record what happened in words (a criterion the buyer confirmed, a follow-up, an activity) — "
            "shown for your confirmation first",
    try_it="{deal} confirmed budget",
    needs_deal=True,
    handle=handle,
    slots=RecordSlots,
    tool=Tool("propose_write", "Propose recording a confirmed criterion, a dated follow-up or an activity on a deal; "
              "written only after the person confirms.", words="{what}"),
    as_computed=True,  # the write's exact wording, which the person confirms
    menu=60,
)
