"""Why a deal is stuck or at risk: its figures against the process map, a verdict and the one move to make.

The verdict follows fixed rules on the deal's plan:

- *stuck*: over the stage's expected days and quiet (no activity for 14 days or more, or none
  logged in the 14 days or more since the deal was created), or over by a whole stage norm again
  (twice the expected days in stage);
- *at risk*: otherwise, any of: over the stage's expected days, an overdue follow-up, the close
  date passed (the owner's calendar day), quiet, earlier stages' criteria the buyer never confirmed;
- *on track*: none of these. Criteria still open in the current stage are the stage's normal work.

The move offered is the overdue follow-up first, then the earliest criterion the buyer skipped in
an earlier stage, then the plan's first next activity (``wording.first_move``).
"""

from __future__ import annotations

from bot.coach import composer, wording
from bot.coach.intents.base import Ask, Intent
from bot.coach.results import Diagnosis
from bot.coach.rich import bullet, doc, line, strong
from bot.coach.types import CoachAnswer
from bot.core.text import plural
from storage.models import Rep

QUIET_DAYS = 14
STUCK, AT_RISK, ON_TRACK = "stuck", "at risk", "on track"


def handle(ask: Ask) -> CoachAnswer:
    plan, now, process = ask.plan, ask.now, ask.process
    stage = process.stage(plan.stage_key)
    owner = ask.session.get(Rep, plan.deal.owner_id)
    today = wording.local_today(now, owner.timezone if owner else None)
    close = plan.deal.close_date
    close_passed = bool(close and close < today)
    last_days = (now - plan.last_activity_at).days if plan.last_activity_at else None
    quiet_days = last_days if last_days is not None else (now - ask.deal.created_at).days
    quiet = quiet_days >= QUIET_DAYS

    lines = [line(strong(composer.deal_heading(plan.deal)), f" · {plan.stage_name}")]
    over = (", ", strong(f"{plural(plan.days_over, 'day')} over")) if plan.days_over else ()
    lines.append(bullet(f"Time in stage: day {plan.days_in_stage} of {plan.expected_days} expected", *over, "."))
    if plan.unmet:
        lines.append(bullet(f"The buyer hasn't confirmed ({len(plan.unmet)} of {len(plan.criteria)}): "
                            f"{wording.criteria_list(plan.unmet)}."))
    else:
        lines.append(bullet(f"The buyer has confirmed every exit criterion of {plan.stage_name}."))
    lines.append(bullet(f"Last activity: {wording.last_activity_phrase(plan, now)}."))
    citations = [ask.map_citation(stage)]
    if plan.unconfirmed_earlier:
        earlier = [process.stage(c.stage_key) for c in plan.unconfirmed_earlier]
        names = wording.joined(list(dict.fromkeys(s.name for s in earlier)))
        lines.append(bullet(f"Ahead of the buyer: {plural(len(plan.unconfirmed_earlier), 'criterion', 'criteria')} of "
                            f"{names} never confirmed — {wording.criteria_list(plan.unconfirmed_earlier)}."))
        citations += [c for c in dict.fromkeys(ask.map_citation(s) for s in earlier) if c not in citations]
    if close_passed:
        lines.append(bullet(f"Close date {wording.short_date(close)} passed {plural((today - close).days, 'day')} ago."))
    elif close:
        lines.append(bullet(f"Close date: {wording.short_date(close)}."))
    for item in plan.overdue_followups:
        lines.append(bullet(f"Overdue follow-up: {wording.followup_phrase(item)}."))

    warnings = []
    if plan.days_over:
        warnings.append(f"{plural(plan.days_over, 'day')} over the norm")
    if plan.overdue_followups:
        warnings.append(plural(len(plan.overdue_followups), "overdue follow-up"))
    if close_passed:
        warnings.append("close date passed")
    if quiet:
        warnings.append(f"no activity in {plural(quiet_days, 'day')}" if last_days is not None
                        else f"no activity logged since it was created, {plural(quiet_days, 'day')} ago")
    if plan.unconfirmed_earlier:
        warnings.append("earlier-stage criteria never confirmed")
    if plan.days_over and (quiet or plan.days_over >= plan.expected_days):
        verdict = STUCK
    else:
        verdict = AT_RISK if warnings else ON_TRACK
    because = f" — {'; '.join(warnings)}" if warnings else " — within the stage's norm, nothing overdue, recent activity"
    lines.append(line(strong(f"Verdict: {verdict}"), f"{because}.", gap=True))
    move = wording.first_move(plan, earlier_first=True)
    lines.append(line(strong("Most useful next move:"), f" {move}"))

    result = Diagnosis(
        doc(lines), verdict=verdict, reasons=tuple(warnings), next_move=move, days_in_stage=plan.days_in_stage,
        expected_days=plan.expected_days, days_over=plan.days_over, unmet=tuple(c.key for c in plan.unmet),
        unconfirmed_earlier=tuple(f"{c.stage_key}.{c.key}" for c in plan.unconfirmed_earlier),
        last_activity_days=last_days, close_date=close, close_date_passed=close_passed,
        overdue_followups=len(plan.overdue_followups))
    return CoachAnswer(result, "diagnosis", deal=plan.deal, plan=plan, citations=citations)


INTENT = Intent(
    name="diagnosis",
    summary="why a deal is stuck or at risk, and the one move that unblocks it",
    try_it="Why is {deal} stuck?",
    needs_deal=True,
    handle=handle,
    examples=(
        "why is acme stuck", "what's blocking acme", "is acme at risk", "what's wrong with acme",
        "why isn't acme moving", "why is acme stalled", "what's holding acme up", "diagnose acme",
        "is acme in trouble", "why has acme not moved", "acme seems stuck, why", "is acme healthy",
        "what's the problem with acme", "why is acme taking so long", "is acme on track",
        "how healthy is acme", "why is acme slipping", "what's going wrong on acme", "is acme going to slip",
        "acme hasn't moved in weeks, what's up", "why did acme stall", "what's the hold up with acme",
        "risk check on acme", "is acme dead", "how at risk is acme", "what's stopping acme from closing",
        "why is acme not progressing",
        "why is acme not closing", "acme looks rough, why", "whats up with acme", "acme stuck?", "is acme slipping",
        "why's acme stalled out", "what's gone wrong with acme", "acme health check", "is acme at risk of slipping",
        "how worried should i be about acme", "why does acme keep stalling", "what's the issue with acme",
        "acme's been sitting in the same stage forever, why", "what's killing acme", "should i be worried about acme",
        "why is acme behind", "what's the risk on acme", "acme went quiet, what's wrong", "is acme still alive",
        "why is acme overdue", "what's holding back acme", "what's going on with acme, it's not moving",
        "why does acme look weak", "acme doesn't look good, what's wrong", "acme looks shaky to me",
        "what's off with acme",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "acme's been quiet for two weeks", "acme ghosted me, why", "why hasn't acme signed yet",
        "what's keeping acme in proposal so long", "is acme real or should i walk away",
        "acme keeps rescheduling, is it at risk", "why's acme dragging", "what's the blocker on acme",
        "acme is stuck in negotiation, what gives", "what am i missing on acme, it won't budge", "acme feels off",
        "is acme likely to slip out of the quarter", "root cause on acme?", "why won't acme move to commit",
        "acme hasn't responded since the demo, should i be worried", "diagnose what's wrong w acme",
        "what's the biggest risk to acme closing", "how likely is acme to fall through",
        "acme stalled after the proposal, why", "is acme gonna close or not", "risk assessment for acme",
        "what's the sticking point with acme", "why is acme still in validate after a month",
        "acme's close date keeps sliding, what's going on", "what's dragging acme down", "acme red flags?",
        "why did acme go dark", "acme has been parked in discovery forever", "is acme in danger",
        "what's jamming up acme", "bob's deal acme looks stuck, can you tell me why",
        "honestly i think acme is dying, what's the problem", "acme wont progress past the demo",
        "what's broken on acme",
        "acme is not moving and i don't know why, it's been sitting there since last month and the champion stopped replying to my emails, what's actually going on",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "why is acme frozen", "acme hasnt budged since last month whats the deal", "whats causing acme to stall",
        "acme is going nowhere, why", "is acme in jeopardy", "acme at risk y/n",
        "why cant i get acme out of validate", "what went sideways on acme", "whats the real holdup on acme",
        "acme smells like it's dying, tell me why", "acme been stuck 25 days, why", "how risky is acme rn",
        "acme: what's blocking the next stage", "something feels wrong with acme, can you check",
        "why is acme lagging", "whats gumming up acme", "acme went cold after the technical review, what happened",
        "is acme salvageable", "acme keeps getting pushed, whats the underlying issue",
        "what's preventing acme from advancing", "diagnosis on acme pls", "why is acme so slow",
        "acme seems like its stalling, is it", "what's the weak spot in acme", "why is jordan's acme deal stuck",
        "why has acme gone stale", "acme has zero movement, why", "is acme gonna die on the vine",
        "explain why acme is overdue and stuck", "why does acme keep slipping past its close date",
        "whats wrong w acme, it's been in discover for ages", "is there a problem with acme i'm not seeing",
        "acme is at a standstill, what's the cause", "why'd acme get stuck in validate", "how much danger is acme in",
        "acme health?", "why hasn't acme's buyer confirmed anything", "whats making acme drag on",
        "check acme for risks",
        "so acme was moving great until a few weeks ago and now nothing, no replies, no next meeting on the calendar, and i can't figure out what broke, can you look at it and tell me why",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "why isnt acme moving", "whats holding acme up", "acme stalled?", "how come acme hasnt progressed in weeks",
        "whats the problem with acme", "acme feels slow, why", "is acme slipping away from me",
        "why is acme still sitting in discover", "what's blocking acme from getting to the next stage",
        "acme close date came and went, whats going on with it", "why has acme been in propose so long",
        "whats the holdup on acme", "i thought acme would be closed by now. what went wrong?",
        "acme has been in validate for like 40 days, is that bad? why is it taking so long", "is this deal dying",
        "wats rong with acme", "why did acme stall out after the demo", "how far over the norm is acme and why",
        "explain why acme got flagged as stuck", "acme risk check", "is acme going sideways",
        "my manager says acme is at risk, can you tell me why", "acme hasnt budged since march, whats the issue",
        "is acme behind where it should be", "whats dragging acme down", "any red flags on acme?",
        "health check on this deal pls",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "acme hasnt moved in weeks, whats going on", "is acme at risk? why", "acme keeps slipping, why",
        "why has acme been sitting in propose forever", "acme feels stalled, can u figure out why",
        "whats wrong w acme", "acme went quiet after the demo, whats the issue here", "why isnt acme progressing",
        "what's the root cause of acme dragging", "acme close date moved twice now, what's the problem",
        "is something off with acme? it's been in discover way past norm", "red flags on acme?",
        "why does this deal look risky", "acme is stuck in commit, what am i missing that's causing it",
        "my mgr says acme is at risk, why would that be", "whats making acme stall out",
        "acme health check - why is it not moving", "why is acme over the stage norm",
        "whats killing momentum on acme", "acme been stalled since q2, explain why",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "why is acme stalling out", "acme's been sitting in discover forever, what's the problem",
        "acme went dark on me, whats going on", "acme isn't moving and i don't get why", "why hasn't acme progressed",
        "hey is acme at risk of slipping out of q4", "whats stopping acme from moving to propose", "diagnose acme pls",
        "been chasing acme for weeks and no response, what am i missing", "is acme gonna close or is it dead",
        "where is acme weak", "what are the gaps on acme", "why does acme keep getting pushed",
        "is this one in danger", "what's going wrong with it", "acme's close date keeps sliding, why",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "acme went dark, what happened", "whats wrong with acme", "acme's been in validate forever, why",
        "risk check on acme pls", "acme feels off, what am i missing", "how healthy is acme rn",
        "whats the blocker on acme", "acme stalled after the poc - why", "is acme gonna slip", "diagnose acme for me",
        "acme hasnt replied in 3 wks, whats going on there", "whats killing acme",
        "why does acme keep pushing the close date", "is acme real or am i kidding myself",
        "where is acme breaking down", "acme: hows the risk looking",
        "prepping for 1:1s - why is becca's acme deal stuck, seems like its been forever",
    ),
)
