"""The deterministic reading of a pipeline question: which reports, which period, whose deals.

Used without an LLM, and as the fallback when the LLM fails. Phrasings map to reports
through ``PHRASINGS`` (checked in order; a question may ask for several). What the
parser cannot place becomes a short clarifying question, never a guess.

Names are only read here ("for Alice", "Team West"); whether the asker may see
them is decided by ``bot.pipeline.scope`` and by storage, whatever the wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.core.errors import InvalidInput
from bot.pipeline.periods import MONTHS, find_period
from bot.pipeline.reports import REPORTS
from bot.pipeline.service import ReportRequest

# (report, pattern): the common ways managers ask for each report.
PHRASINGS: tuple[tuple[str, str], ...] = (
    ("bottlenecks", r"bottle[- ]?necks?|choke ?points?|where (?:do |are )?(?:deals|we|things) (?:stall|drop|leak|lose)\w*"
                    r"|(?:what|where)(?:'s| is) slowing|biggest (?:problems?|issues?|leaks?) in (?:the|my|our) (?:pipeline|funnel)"),
    ("conversion", r"conver(?:sion|t\w*)|advance rates?|pass[- ]through|drop[- ]?off rates?"
                   r"|how many (?:deals )?(?:advanced|moved on|progressed)"),
    ("flow", r"\bflow\b|movements?|mov(?:e|ed|ing) (?:through|between|across|out of|into|in to|on from)"
             r"|in and out|ins and outs|net change|\b(?:came|got|went|dropped|fell) (?:into|in to|out of)\b"
             r"|\b(?:entered|exited)\b"
             r"|(?:entered|came in|left|exited) (?:each|every|which|what)? ?stages?"),
    ("time", r"time in (?:each )?stages?|time (?:spent )?(?:in|per) (?:each )?stages?|dwell\w*|cycle[- ]times?"
             r"|how long (?:do|did|are|have|were|does) (?:deals|they|our|my|the team|opportunities)"
             r"|(?:average|median|mean) (?:time|days|duration)|days (?:spent )?(?:in|per) (?:each )?stage"),
    ("stuck", r"\bstuck\b|stall(?:ed|ing)\b|stagnant|ag(?:e)?ing deals|languish\w*|overdue deals|over (?:the|their) expected"
              r"|(?:deals|what(?:'s| is)) (?:sitting|sat) (?:too long|idle)|too long in"),
    ("status", r"stage counts?|status"
               r"|weighted|pipeline (?:value|size|total|overview|snapshot|summary)|overview|snapshot"
               r"|(?:how(?:'s| is| does)|what does) (?:\w+'s |\w+ )?(?:team's |the )?pipeline(?: look\w*)?"),
    # A plain "win rate" is the scorecard's figure; from a stage, by stage or with the cycle it is this report's.
    ("velocity", r"\bwin(?:ning)?[- ]?(?:rates?|ratio|percentage) (?:from|after|by|per|at each) |\bvelocity"
                 r"|\bsales cycle|\bcycle (?:length|time) to (?:close|win)|\b(?:deal|sales) cycle length"
                 r"|\btakes? (?:us |me |the team |you |our deals |deals )?to (?:close|win)\b"
                 r"|average (?:won (?:deal|amount)|deal size)"),
    ("warnings", r"\b(?:deal )?warnings?\b"),
    # Close dates moved out of a period. "Anything slipping" alone is the attention list; "push to commit" moves
    # a stage (the flow); "what should I push" is a plan.
    ("slippage", r"\bslippage\b|\bslip(?:s|ped|ping)? (?:out of |past |from |in )?(?:this|last|the|q[1-4])\b"
                 r"|\bslipped deals\b|\bpushed\b(?! (?:to|into|in to|forward|along)\b)|\bdid (?:i|we|\w+) push\b"
                 r"|\bpush(?:ed|ing)? (?:out|back)\b"
                 r"|\bclose dates? (?:moved|changed|got pushed|pushed|slipped)"),
    # A forecast by category, against a target; "forecast changes" are the waterfall.
    ("forecast", r"\bforecast\b(?! (?:changes|waterfall))|\bforecast categor\w*|\bbest case\b|\bcommit (?:and|vs) "
                 r"|\bon track for (?:my|our|the|\w+'s)|\b(?:my|our|the team's|team) number\b|\bcoverage\b"
                 r"|\b(?:my|our|the|team's|\w+'s) (?:q[1-4] |quarterly |monthly |annual |sales )?(?:target|quota)\b"),
    ("changes", r"\bwhat(?:'s| has|s)? changed\b|\bforecast (?:changes|waterfall)|\bwaterfall\b|\bpulled in\b"
                r"|\bchanges? (?:in|to) (?:my|our|the|\w+'s)(?: team's)? (?:pipeline|pipe|forecast)"
                r"|\b(?:pipeline|pipe|forecast) (?:has )?chang(?:e|ed|es)\b|\bwhat moved in (?:my|our|the) (?:pipeline|pipe|forecast)"),
    ("observed", r"\breally (?:move|run|flow|go|work)|\bas it (?:really |actually )?runs\b"
                 r"|\b(?:process|map) (?:really|actually|in practice|as it)|\bactually (?:move|run|flow|go)"
                 r"|\bskip(?:s|ped|ping)? (?:a |any )?stages?|\bmov(?:e|ed|ing) back(?:wards)?\b"
                 r"|\b(?:revise|revision of|update) (?:the |our )?(?:process|map)|\bobserved process"),
)
_COMPILED = tuple((kind, re.compile(rf"(?:{pattern})", re.I)) for kind, pattern in PHRASINGS)
# "per stage" alone asks for the status; with another report's words it only says how that report is cut.
_PER_STAGE = re.compile(r"\b(?:per|by|each|every) stage\b", re.I)
# Asking about a pipeline at all; questions about one deal or how to sell go to the coach.
PIPELINE_WORD = re.compile(r"\b(?:pipeline|pipe|funnel|forecast)\b", re.I)
_COACH_QUESTION = re.compile(
    r"\bwhat (?:should|do|can) (?:i|we) do\b|\b(?:next|then) (?:on|for|with)\b|\bhow (?:do|should|would|can) (?:i|we|a)\b"
    r"|\bexit criteria\b|\bentry criteria\b|\bneeds? (?:my )?attention\b|\bmy (?:biggest|largest|top) deal\b"
    r"|\bafter that\b|\bactivities\b", re.I)
_DEAL_WORDS = re.compile(r"\b(?:deals?|opportunit(?:y|ies)|opps?|stages?|team|reps?)\b", re.I)
_PREFIX = re.compile(r"^\s*pipeline\s*[:,-]\s*", re.I)  # "/pipeline flow" arrives as "Pipeline: flow"

_OWN_TEAM = re.compile(r"\b(?:my|our|the(?: whole)?) team(?:'s)?\b", re.I)
_OWN_DEALS = re.compile(r"\bmy own\b|\bjust mine\b|\bonly mine\b|\bmy (?:own )?deals\b"
                        r"|\b(?:did|have|has) i\b|\bi(?:'ve)? (?:pushed|slipped|moved)\b", re.I)
_TEAM_NAMED = re.compile(r"\b(?i:team)\s+([A-Za-z][\w-]*)|\b([A-Z][\w-]*)\s+(?i:team)\b")
# A name follows "for Alice", "of Bob"...; never "out of Discover", which names a stage.
_PERSON = re.compile(r"\b(?:for|(?<!out )of|by|owned by|from)\s+([A-Za-z][\w.'-]*(?:\s+[A-Z][\w'-]*)?)|\b([A-Z][\w-]*)'s\b")
_NOT_NAMES = {
    "me", "my", "mine", "us", "our", "the", "this", "last", "next", "each", "every", "all", "everyone", "everybody",
    "team", "a", "an", "it", "them", "now", "today", "yesterday", "q1", "q2", "q3", "q4", "quarter", "month",
    "week", "year", "stage", "stages", "deals", "deal", "pipeline", "what", "who", "which", "how", "since", "past",
    "previous", "current", "period", "company", "whole", "reps", "rep", "sales", "in", "on", "at", "to", "time",
    "october", "let", "here", "there", "that", "these", "those", "its", "it's", "conversion", "flow", "status",
    "stuck", "bottlenecks", "bottleneck", "pipeline's", "funnel", "days", "mtd", "qtd", "ytd", "wtd", "date",
} | set(MONTHS) | {m[:3] for m in MONTHS}

CLARIFY_KIND = ("Which view do you want{when}: *status* (deals per stage), *stage flow*, *time in stage*, "
                "*stuck deals*, *conversion*, *bottlenecks*, *win rate and velocity* or *how the process really runs*?")


@dataclass(frozen=True)
class ParsedQuestion:
    """The request a question makes, or the question to ask back when it is unclear."""

    request: ReportRequest | None
    clarify: str | None = None


def looks_like_pipeline_question(question: str) -> bool:
    """True for questions about pipeline figures ("how is my team's pipeline?", "stage flow in October",
    "what's stuck?"); False for questions about one deal or about selling ("what next on Globex?")."""
    text = question.strip()
    if not text:
        return False
    if _PREFIX.match(text):
        return True
    if _COACH_QUESTION.search(text):
        return False
    kinds = report_kinds(text)
    if not kinds:
        return bool(PIPELINE_WORD.search(text))
    # "status" phrasings are common words; they count with a word about deals or the pipeline.
    return kinds != ["status"] or bool(PIPELINE_WORD.search(text) or _DEAL_WORDS.search(text))


# Asks for the counts only when nothing else is asked: "how many deals moved out of Discover" is the flow.
_TO_CLOSE = re.compile(r"\bto (?:close|win)\b", re.I)
_HOW_MANY = re.compile(r"how many (?:open )?deals", re.I)


def report_kinds(text: str) -> list[str]:
    """Every report the text asks for, in ``REPORTS`` order."""
    found = {kind for kind, pattern in _COMPILED if pattern.search(text)}
    if "velocity" in found and _TO_CLOSE.search(text):
        found.discard("time")  # "how long do deals take to close" asks for the sales cycle, not time per stage
    if "changes" in found:
        found.discard("slippage")
        found.discard("forecast")  # "what changed in my forecast" is the waterfall  # "pulled in, pushed out": the waterfall names both
    if "observed" in found:
        found.discard("flow")  # "how do deals really move through our process" asks how the map is followed
    if not found and (_PER_STAGE.search(text) or _HOW_MANY.search(text)):
        found = {"status"}
    return [kind for kind in REPORTS if kind in found]


def parse_request(question: str) -> ParsedQuestion:
    """What a question asks for; ``clarify`` holds a short question back when it is unclear."""
    text = _PREFIX.sub("", question.strip().replace("’", "'"))
    try:
        period = find_period(text)
    except InvalidInput as exc:  # "since Feb 30": say what is wrong rather than pick a period
        return ParsedQuestion(None, f"I couldn't read the period ({exc}). Try “October”, “last month” or “since Oct 1”.")
    kinds = report_kinds(text)
    if not kinds and PIPELINE_WORD.search(text) and period is None and len(text.split()) <= 8:
        kinds = ["status"]  # "how's the pipeline?": the overview is what a bare pipeline question asks for
    if not kinds:
        when = f" for {period_words(text)}" if period is not None and len(text.split()) <= 3 else ""
        return ParsedQuestion(None, CLARIFY_KIND.format(when=when))
    rep, team, written_as_name = _names(text)
    return ParsedQuestion(ReportRequest(
        tuple(kinds), period=period, rep=rep, team=team, optional_name=not written_as_name,
        whole_team=bool(_OWN_TEAM.search(text)) and not team, own_deals=bool(_OWN_DEALS.search(text)) and not rep))


def period_words(text: str) -> str:
    return text.strip(" ?.!").removeprefix("in ").removeprefix("for ")


def names_someone(text: str) -> bool:
    """True when the question names a person or a team ("for Bob", "Team West")."""
    rep, team, _ = _names(text)
    return bool(rep or team)


def _names(text: str) -> tuple[str | None, str | None, bool]:
    """(rep name, team name, whether the name was written like one) as the text writes them."""
    team = None
    for match in _TEAM_NAMED.finditer(text):
        candidate = match.group(1) or match.group(2)
        if candidate.lower() not in _NOT_NAMES:
            team = candidate
            break
    if team:
        return None, team, True
    for match in _PERSON.finditer(text):
        raw = (match.group(1) or match.group(2)).rstrip(".,?!'")
        words = raw.removesuffix("'s").split()
        while words and (words[-1].lower() in _NOT_NAMES or not words[-1][0].isupper()) and len(words) > 1:
            words.pop()  # "Alice last month" -> "Alice"
        if not words or words[0].lower() in _NOT_NAMES or words[0].lower().removesuffix("'s") in _NOT_NAMES:
            continue
        if re.fullmatch(r"\d.*", words[0]):
            continue
        return " ".join(words), None, words[0][0].isupper()
    return None, None, True



_FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about|same for|now|ok(?:ay)?,?|also)\b", re.I)


def carry_over(previous_question: str, question: str) -> ReportRequest | None:
    """The request a follow-up to a pipeline answer makes ("and September?", "and for Bob?"): the previous
    question's reports, period and people, with what the follow-up changes. None when ``question`` is no such
    follow-up: it names no report itself, reads as a follow-up, and changes the period or whose deals."""
    text = _PREFIX.sub("", question.strip().replace("’", "'"))
    previous = parse_request(previous_question).request
    if previous is None or report_kinds(text) or not (_FOLLOW_UP.search(text) or len(text.split()) <= 3):
        return None
    try:
        period = find_period(text)
    except InvalidInput:
        return None  # not a follow-up we can read; the coach answers it as a question of its own
    rep, team, written_as_name = _names(text)
    own_team = bool(_OWN_TEAM.search(text)) and not team
    if period is None and not (rep or team or own_team):
        return None
    request = replace(previous, period=period or previous.period)
    if rep or team or own_team:
        request = replace(request, rep=rep, team=team, whole_team=own_team, own_deals=False,
                          optional_name=not written_as_name)
    return request
