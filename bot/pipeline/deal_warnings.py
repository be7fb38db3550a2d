"""The ``warnings`` report: open deals with a warning, each with its reason in words.

Warnings: no activity for ``QUIET_DAYS``; a close date in the past; *stalled* — longer in its
stage than the scope's own 75th percentile for that stage (stays that ended in the last
``STALL_LOOKBACK_DAYS``, stated only with ``MIN_SAMPLE`` stays); exit criteria of earlier
stages still unmet. ("Pushed twice or more" needs close-date history, which is not kept yet.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.text import plural
from bot.pipeline.periods import Period
from bot.pipeline.reports import Column, Report
from bot.pipeline.samples import MIN_SAMPLE, enough, too_few
from bot.pipeline.scope import Scope
from knowledge.process_map import ProcessMap
from storage import reports as store
from storage.access import Viewer
from storage.timeutil import zone

QUIET_DAYS = 14
STALL_LOOKBACK_DAYS = 180  # recent enough to be the team's current pace; its cost grows with the changes in it
WARNINGS_LIMIT = 15


def warnings_report(*, session: Session, viewer: Viewer, process: ProcessMap, scope: Scope, period: Period | None,
                    now: datetime, limit: int = WARNINGS_LIMIT) -> Report:
    """Open deals with a warning as of ``now``, most warnings first, then the largest."""
    del period  # as of now
    usual = {d.stage_key: d for d in store.left_dwell(session=session, viewer=viewer, scope=scope.filter,
                                                      start=now - timedelta(days=STALL_LOOKBACK_DAYS), end=now)}
    stall_days = {key: d.p75_days for key, d in usual.items() if key in process.stage_keys and enough(d.count)}
    earlier = {stage.key: [(s.key, c.key) for s in process.stages[:i] for c in s.exit_criteria]
               for i, stage in enumerate(process.stages)}
    today = now.astimezone(zone(scope.timezone)).date()
    total, found = store.deal_warnings(session=session, viewer=viewer, scope=scope.filter, now=now, today=today,
                                       stall_days=stall_days, quiet_days=QUIET_DAYS, earlier_criteria=earlier,
                                       limit=limit)
    met = store.met_criteria(session=session, deal_ids=[w.deal_id for w in found])
    rows, lines = [], []
    for w in found:
        stage_name = process.stage(w.stage_key).name if process.stage(w.stage_key) else w.stage_key
        reasons = []
        if w.stalled:
            d = usual[w.stage_key]
            reasons.append(f"{int(w.days_in_stage)} days in {stage_name}; the team's deals usually leave it within "
                           f"{d.p75_days:.0f} (75th percentile of {plural(d.count, 'stay')})")
        if w.past_close and w.close_date is not None:
            reasons.append(f"close date {w.close_date:%b %d} has passed")
        if w.quiet:
            reasons.append(f"no activity for {int(w.days_quiet)} days" if w.has_activity
                           else f"no activity recorded in the {int(w.days_quiet)} days since it was created")
        unmet = []
        if w.unmet_earlier:
            for key, criterion in earlier.get(w.stage_key, []):
                if (key, criterion) not in met[w.deal_id]:
                    unmet.append((key, criterion))
            for key in dict.fromkeys(k for k, _ in unmet):
                stage = process.stage(key)
                texts = [stage.criterion(c).text for k, c in unmet if k == key and stage and stage.criterion(c)]  # type: ignore[union-attr]
                reasons.append(f"left {stage.name if stage else key} without: {'; '.join(texts)}")
        kinds = [k for k, on in (("stalled", w.stalled), ("close date passed", w.past_close),
                                 ("no activity", w.quiet), ("unmet criteria", w.unmet_earlier)) if on]
        rows.append({"deal_id": w.deal_id, "external_id": w.external_id, "deal": w.name, "owner": w.owner_name,
                     "stage": w.stage_key, "stage_name": stage_name, "amount": float(w.amount),
                     "warnings": kinds, "warning": ", ".join(kinds), "reasons": reasons,
                     "unmet": [f"{k}.{c}" for k, c in unmet]})
        lines.append(f"{w.name} ({w.owner_name}, {stage_name}): " + "; ".join(reasons))
    columns = [Column("deal", "Deal"), Column("owner", "Owner"), Column("stage_name", "Stage"),
               Column("amount", "Amount", "money"), Column("warning", "Warnings")]
    usual_text = ", ".join(f"{s.name} {usual[s.key].p75_days:.0f} days" if s.key in stall_days
                           else f"{s.name} {too_few(usual[s.key].count if s.key in usual else 0)}"
                           for s in process.stages)
    notes = [f"Stalled = longer in the stage than 75% of the team's stays there in the last {STALL_LOOKBACK_DAYS} "
             f"days ({usual_text}; no claim below {MIN_SAMPLE}). No activity = none for {QUIET_DAYS} days."]
    if total > len(found):
        notes.insert(0, f"Showing {len(found)} of {total} deals with warnings.")
    if not total:
        notes.insert(0, "No open deal has a warning.")
    return Report("warnings", scope, None, columns, rows, lines, notes, details={"total": total})
