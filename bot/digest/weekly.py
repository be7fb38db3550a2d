"""A manager's weekly summary, by DM on their team's chosen day (``Team.summary_day``, else the
``manager_summary_day`` setting), through the digest's exactly-once delivery (kind ``weekly``).

The week is the seven days before the summary is due. It holds: deals whose close date was pushed later
this week (where the CRM recorded close-date history), the deal warnings that began this week (each in
words, from ``bot.pipeline.deal_warnings``), one finding of the observed process over the last
``FINDING_DAYS``, and the team's stage flow for the week. The forecast waterfall is not in it yet.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.plan import DealRef
from bot.core.plan import deal_ref as plan_ref
from bot.digest.rows import StageNames
from bot.digest.types import Due, PushedDeal, StageFlow, WarnedDeal, WeeklySummary
from bot.pipeline.deal_warnings import owners_deal_warnings
from bot.pipeline.observed import observed_report
from bot.pipeline.periods import Period
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap
from storage import deals as deal_store
from storage import reports as report_store
from storage.deals import visible_reps
from storage.reports import ReportScope

WEEK = timedelta(days=7)
FINDING_DAYS = 90  # a week rarely holds enough closed deals for a finding; a quarter does


def weekly_summaries(*, session: Session, process: ProcessMap, dues: list[Due]) -> list[WeeklySummary]:
    """The weekly summary of each due manager (the deals they may see)."""
    return [weekly_summary(session=session, process=process, due=due) for due in dues]


def weekly_summary(*, session: Session, process: ProcessMap, due: Due) -> WeeklySummary:
    viewer = due.person.viewer()
    at, start = due.at, due.at - WEEK
    reps = {r.id: r for r in visible_reps(session=session, viewer=viewer)}
    names = StageNames(process)
    summary = WeeklySummary(due, start)
    for state, warning in owners_deal_warnings(session=session, owner_ids=list(reps), process=process, now=at):
        new = warning.since(start)
        if new is not None:
            summary.new_warnings.append(WarnedDeal(plan_ref(state), names[state.deal.stage_key], tuple(new.kinds),
                                                   tuple(new.words())))
    for row in deal_store.pushes_between(session=session, owner_ids=list(reps), start=start, end=at):
        ref = DealRef(row.deal_id, row.external_id, row.name, row.account, row.stage_key, row.owner_id,
                      reps[row.owner_id].name, row.amount, row.close_date, "open")  # type: ignore[arg-type]
        summary.pushed.append(PushedDeal(ref, row.before, row.after, row.changed_at))
    flows = report_store.flow_counts(session=session, viewer=viewer, scope=ReportScope(), start=start, end=at)
    by_stage = {f.stage_key: f for f in flows}
    summary.flow = [StageFlow(s.name, f.at_start, f.entered, f.left, f.at_end)
                    for s in process.stages if (f := by_stage.get(s.key)) is not None]
    summary.finding = process_finding(session=session, process=process, due=due)
    return summary


def process_finding(*, session: Session, process: ProcessMap, due: Due) -> str | None:
    """One line of the observed process (``bot.pipeline.observed``) over the last ``FINDING_DAYS``: an exit
    criterion that does not predict the outcome, else one that does, else where most deals are lost, else how
    many followed the map."""
    viewer = due.person.viewer()
    period = Period(due.at - timedelta(days=FINDING_DAYS), due.at, f"last {FINDING_DAYS} days",
                    f"{FINDING_DAYS} days ago", due.person.timezone, True)
    report = observed_report(session=session, viewer=viewer, process=process,
                             scope=Scope("team", "your team", due.person.timezone, ReportScope()), period=period,
                             now=due.at)
    for wanted in ("does not predict the outcome", "won when confirmed", "Most deals are lost from",
                   "followed the map"):
        for line in report.lines:
            if wanted in line:
                return f"{line} (last {FINDING_DAYS} days)"
    return None

