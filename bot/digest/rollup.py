"""A manager's team roll-up: overdue follow-ups per rep, stuck deals, and what moved since the last one."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlmodel import Session

from bot.coach.plan import classify_followups
from bot.digest.rows import deal_ref, stage_name, stuck_cutoffs
from bot.digest.types import MANAGER, Due, ManagerDigest, RepOverdue, StageMove, StuckDeal
from knowledge.process_map import ProcessMap
from storage import digest as store
from storage.deals import visible_reps
from storage.timeutil import zone

# Moves are those since the last roll-up (sent, or recorded empty); a first roll-up looks back this far.
FIRST_LOOKBACK = timedelta(days=1)


def manager_digest(*, session: Session, process: ProcessMap, due: Due) -> ManagerDigest:
    """The roll-up for ``due.person`` over the reps they may see (their team and direct reports)."""
    at = due.at
    team = {r.id: r for r in visible_reps(session=session, viewer=due.person.viewer())}
    since = (store.last_digest_at(session=session, rep_id=due.person.rep_id, kind=MANAGER, before=due.local_date)
             or at - FIRST_LOOKBACK)
    digest = ManagerDigest(due, since=since)

    by_owner: dict[int, list] = defaultdict(list)
    for row in store.open_followups_due_before(session=session, owner_ids=team, until=at):
        by_owner[row.owner_id].append(row)
    for owner_id, rows in by_owner.items():
        # Overdue as each rep sees it: by calendar day in the rep's own timezone.
        overdue, _ = classify_followups(rows, at, _tz_name(team[owner_id].timezone))
        if overdue:
            digest.overdue_by_rep.append(RepOverdue(owner_id, team[owner_id].name, len(overdue), overdue[0].days_overdue))
    digest.overdue_by_rep.sort(key=lambda r: (-r.count, -r.oldest_days, r.name))

    for row in store.stuck_deals(session=session, owner_ids=team, entered_by=stuck_cutoffs(process, at)):
        stage = process.stage(row.stage_key)
        digest.stuck.append(StuckDeal(deal_ref(row, team[row.owner_id].name), stage.name,  # type: ignore[union-attr]
                                      (at - row.stage_entered_at).days, stage.expected_days))  # type: ignore[union-attr]
    digest.stuck.sort(key=lambda s: (-s.days_over, s.deal.name, s.deal.id))

    for row in store.stage_moves(session=session, owner_ids=team, since=since, until=at):
        digest.moves.append(StageMove(deal_ref(row, team[row.deal_owner_id].name, prefix="deal_"),
                                      stage_name(process, row.from_stage), stage_name(process, row.to_stage),
                                      row.changed_at, row.to_stage in ("won", "lost")))
    return digest


def _tz_name(name: str | None) -> str:
    """A rep's timezone, or UTC when it is not a known one (that rep's own digest reports the problem)."""
    try:
        zone(name)
    except ValueError:
        return "UTC"
    return name or "UTC"
