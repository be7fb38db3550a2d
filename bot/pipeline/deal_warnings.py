"""Deal warnings, each with its reason in words: the ``warnings`` report, and the warnings every list of a
person's open deals shows (attention, focus, the digest, App Home) through ``open_deal_warnings``.

Warnings: no activity for ``QUIET_DAYS``; a close date in the past; the close date pushed later
``PUSHED_TIMES`` times or more (only where the CRM sync recorded close-date history); *stalled* — longer in
its stage than the team's own 75th percentile for that stage (stays that ended in the last
``STALL_LOOKBACK_DAYS``, stated only with ``MIN_SAMPLE`` stays); exit criteria of earlier stages still unmet.

Whether a deal has a warning and how it is worded is decided once, in ``explain``. The report ranks
millions of deals in SQL (``storage.reports.deal_warnings``, the same definitions as clauses) and explains
the rows it shows; the lists explain every deal they already loaded, so they add one query per team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from bot.core.text import plural
from bot.pipeline.periods import Period
from bot.pipeline.reports import Column, Report
from bot.pipeline.samples import MIN_SAMPLE, enough, too_few
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap
from storage import deals as deal_store
from storage import reports as store
from storage.access import Viewer
from storage.deals import DealState
from storage.models import Role
from storage.reports import DwellStat, ReportScope
from storage.timeutil import zone

QUIET_DAYS = 14
PUSHED_TIMES = 2
STALL_LOOKBACK_DAYS = 180  # recent enough to be the team's current pace; its cost grows with the changes in it
WARNINGS_LIMIT = 15

STALLED, PAST_CLOSE, PUSHED, QUIET, UNMET = "stalled", "close date passed", "pushed", "no activity", "unmet criteria"
KINDS = (STALLED, PAST_CLOSE, PUSHED, QUIET, UNMET)  # the order reasons are given in

# Reads every deal: for a team's pace only per-stage percentiles leave it (a rep's warnings compare their deal
# with the team's pace without showing them any of the team's deals); for digests, only the deals of owners
# whose digests they are.
_EVERYONE = Viewer(rep_id=0, name="deal warnings", role=Role.admin, team_id=None, timezone="UTC")


@dataclass(frozen=True)
class WarningFacts:
    """What the warnings read of one open deal."""

    stage_key: str
    days_in_stage: float | None  # None: in its stage since an unknown date (never stalled)
    close_date: date | None
    today: date  # in the deal owner's (or the report's) timezone
    days_quiet: float  # since its last activity, or since it was created when it has none
    has_activity: bool
    pushes: int  # times the recorded close date moved later
    unmet: tuple[tuple[str, str], ...]  # (stage, criterion) of earlier stages whose latest check is not met


@dataclass(frozen=True)
class DealWarning:
    """An open deal's warnings: each kind (``KINDS``) with its reason in words, in ``KINDS`` order."""

    deal_id: int
    reasons: tuple[tuple[str, str], ...]  # (kind, reason)
    began: tuple[datetime | None, ...] = ()  # per reason, when it began to apply (None: not known)

    def since(self, start: datetime) -> DealWarning | None:
        """Only the reasons that began at or after ``start`` (new warnings), or None when there are none."""
        new = [(r, b) for r, b in zip(self.reasons, self.began, strict=True) if b is not None and b >= start]
        return DealWarning(self.deal_id, tuple(r for r, _ in new), tuple(b for _, b in new)) if new else None

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(kind for kind, _ in self.reasons))  # unmet criteria: one reason per stage

    def words(self, *, leave_out: Sequence[str] = ()) -> list[str]:
        """The reasons, less those of the kinds a caller already says in its own words."""
        return [reason for kind, reason in self.reasons if kind not in leave_out]


def explain(deal_id: int, facts: WarningFacts, *, pace: dict[str, DwellStat], process: ProcessMap,
            now: datetime | None = None) -> DealWarning | None:
    """The deal's warnings with their reasons, or None. ``pace``: the team's stays per stage (``left_dwell``).

    With ``now`` (the moment the facts are of), each reason says when it began: stalled when the stay passed the
    percentile, quiet when the quiet days passed ``QUIET_DAYS``, unmet criteria when the deal entered its stage,
    a passed close date the day after it (UTC); a pushed close date has no known start.
    """
    stage = process.stage(facts.stage_key)
    stage_name = stage.name if stage else facts.stage_key
    reasons, began = [], []

    def ago(days: float | None) -> datetime | None:
        return now - timedelta(days=days) if now is not None and days is not None else None

    usual = pace.get(facts.stage_key)
    if (facts.days_in_stage is not None and stage is not None and usual is not None and enough(usual.count)
            and facts.days_in_stage > usual.p75_days):
        reasons.append((STALLED, f"{int(facts.days_in_stage)} days in {stage_name}; the team's deals usually leave "
                                 f"it within {usual.p75_days:.0f} (75th percentile of {plural(usual.count, 'stay')})"))
        began.append(ago(facts.days_in_stage - usual.p75_days))
    if facts.close_date is not None and facts.close_date < facts.today:
        reasons.append((PAST_CLOSE, f"close date {facts.close_date:%b %d} has passed"))
        began.append(datetime.combine(facts.close_date + timedelta(days=1), time(), UTC) if now is not None else None)
    if facts.pushes >= PUSHED_TIMES:
        reasons.append((PUSHED, f"close date pushed later {facts.pushes} times"))
        began.append(None)
    if facts.days_quiet > QUIET_DAYS:
        reasons.append((QUIET, f"no activity for {int(facts.days_quiet)} days" if facts.has_activity
                        else f"no activity recorded in the {int(facts.days_quiet)} days since it was created"))
        began.append(ago(facts.days_quiet - QUIET_DAYS))
    for key in dict.fromkeys(k for k, _ in facts.unmet):
        left = process.stage(key)
        texts = [left.criterion(c).text if left and left.criterion(c) else c  # type: ignore[union-attr]
                 for k, c in facts.unmet if k == key]
        reasons.append((UNMET, f"left {left.name if left else key} without: {'; '.join(texts)}"))
        began.append(ago(facts.days_in_stage))
    return DealWarning(deal_id, tuple(reasons), tuple(began)) if reasons else None


def earlier_criteria(process: ProcessMap) -> dict[str, list[tuple[str, str]]]:
    """Per stage, the (stage, criterion) exit criteria of the stages before it."""
    return {stage.key: [(s.key, c.key) for s in process.stages[:i] for c in s.exit_criteria]
            for i, stage in enumerate(process.stages)}


def team_pace(*, session: Session, team_id: int | None, now: datetime) -> dict[str, DwellStat]:
    """The team's stays per stage that ended in the last ``STALL_LOOKBACK_DAYS`` (everyone's, for no team)."""
    stats = store.left_dwell(session=session, viewer=_EVERYONE, scope=ReportScope(team_id=team_id),
                             start=now - timedelta(days=STALL_LOOKBACK_DAYS), end=now)
    return {d.stage_key: d for d in stats}


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86400


def _today(timezone: str | None, now: datetime) -> date:
    try:
        return now.astimezone(zone(timezone)).date()
    except ValueError:  # an unknown timezone: that rep's digest reports it; UTC meanwhile
        return now.date()


def open_deal_warnings(*, session: Session, states: Sequence[DealState], process: ProcessMap,
                       now: datetime) -> dict[int, DealWarning]:
    """The warnings of already loaded open deals (``storage.deals.open_deal_states``), by deal id.

    One query per team among the owners (its pace); "today" is each owner's own.
    """
    paces = {team_id: team_pace(session=session, team_id=team_id, now=now)
             for team_id in sorted({s.owner.team_id for s in states}, key=lambda t: (t is None, t))}
    earlier = earlier_criteria(process)
    found = {}
    for state in states:
        deal = state.deal
        checks = state.latest_checks
        quiet_since = state.last_activity.occurred_at if state.last_activity else deal.created_at
        facts = WarningFacts(
            stage_key=deal.stage_key,
            days_in_stage=None if deal.undated else _days(now, deal.stage_entered_at),
            close_date=deal.close_date, today=_today(state.owner.timezone, now),
            days_quiet=_days(now, quiet_since), has_activity=state.last_activity is not None,
            pushes=state.close_date_pushes or 0,
            unmet=tuple(pair for pair in earlier.get(deal.stage_key, [])
                        if not (pair in checks and checks[pair].met)))
        warning = explain(deal.id, facts, pace=paces[state.owner.team_id], process=process, now=now)  # type: ignore[arg-type]
        if warning is not None:
            found[deal.id] = warning  # type: ignore[index]
    return found


def owners_deal_warnings(*, session: Session, owner_ids: Sequence[int], process: ProcessMap,
                         now: datetime) -> list[tuple[DealState, DealWarning]]:
    """The open deals of ``owner_ids`` that have a warning, biggest first (for digests: their owners' or
    managers'), in a constant number of queries however many deals."""
    states = deal_store.open_deal_states(session=session, viewer=_EVERYONE, owner_ids=owner_ids)
    warnings = open_deal_warnings(session=session, states=states, process=process, now=now)
    return [(state, warnings[state.deal.id]) for state in states if state.deal.id in warnings]  # type: ignore[index]


def warnings_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period | None,
                    now: datetime, limit: int = WARNINGS_LIMIT) -> Report:
    """Open deals with a warning as of ``now``, most warnings first, then the largest.

    Stalled against the report scope's own stays (a team's report: that team's pace)."""
    del period  # as of now
    usual = {d.stage_key: d for d in store.left_dwell(session=session, viewer=viewer, scope=scope.filter,
                                                      start=now - timedelta(days=STALL_LOOKBACK_DAYS), end=now)}
    stall_days = {key: d.p75_days for key, d in usual.items() if key in process.stage_keys and enough(d.count)}
    earlier = earlier_criteria(process)
    today = now.astimezone(zone(scope.timezone)).date()
    total, found = store.deal_warnings(session=session, viewer=viewer, scope=scope.filter, now=now, today=today,
                                       stall_days=stall_days, quiet_days=QUIET_DAYS, earlier_criteria=earlier,
                                       pushed_times=PUSHED_TIMES, limit=limit)
    met = store.met_criteria(session=session, deal_ids=[w.deal_id for w in found])
    rows, lines = [], []
    for w in found:
        stage_name = process.stage(w.stage_key).name if process.stage(w.stage_key) else w.stage_key
        facts = WarningFacts(w.stage_key, w.days_in_stage, w.close_date, today, w.days_quiet, w.has_activity,
                             w.pushes, tuple(p for p in earlier.get(w.stage_key, []) if p not in met[w.deal_id]))
        warning = explain(w.deal_id, facts, pace=usual, process=process)
        kinds, reasons = (warning.kinds, warning.words()) if warning else ([], [])
        rows.append({"deal_id": w.deal_id, "external_id": w.external_id, "deal": w.name, "owner": w.owner_name,
                     "stage": w.stage_key, "stage_name": stage_name, "amount": float(w.amount),
                     "warnings": kinds, "warning": ", ".join(kinds), "reasons": reasons,
                     "unmet": [f"{k}.{c}" for k, c in facts.unmet]})
        lines.append(f"{w.name} ({w.owner_name}, {stage_name}): " + "; ".join(reasons))
    columns = [Column("deal", "Deal"), Column("owner", "Owner"), Column("stage_name", "Stage"),
               Column("amount", "Amount", "money"), Column("warning", "Warnings")]
    usual_text = ", ".join(f"{s.name} {usual[s.key].p75_days:.0f} days" if s.key in stall_days
                           else f"{s.name} {too_few(usual[s.key].count if s.key in usual else 0)}"
                           for s in process.stages)
    notes = [f"Stalled = longer in the stage than 75% of the team's stays there in the last {STALL_LOOKBACK_DAYS} "
             f"days ({usual_text}; no claim below {MIN_SAMPLE}). No activity = none for {QUIET_DAYS} days. "
             f"Pushed = the close date moved later {PUSHED_TIMES} times or more (where the CRM recorded its history)."]
    if total > len(found):
        notes.insert(0, f"Showing {len(found)} of {total} deals with warnings.")
    if not total:
        notes.insert(0, "No open deal has a warning.")
    return Report("warnings", scope, None, columns, rows, lines, notes, details={"total": total})
