"""A manager's team roll-up: overdue follow-ups per rep, stuck deals, and what moved since the last one."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlmodel import Session

from bot.digest.rows import StageNames, deal_ref, stuck_cutoffs
from bot.digest.types import MANAGER, Due, ManagerDigest, RepOverdue, StageMove, StuckDeal
from knowledge.process_map import ProcessMap
from storage import digest as store
from storage.deals import visible_reps
from storage.timeutil import local_midnight_utc, zone

# Moves are those since the last roll-up (sent, or recorded empty); a first roll-up looks back this far.
FIRST_LOOKBACK = timedelta(days=1)


def manager_digests(*, session: Session, process: ProcessMap, dues: list[Due]) -> list[ManagerDigest]:
    """Roll-ups of managers whose digests share an instant: one set of queries over all their teams.

    Each manager's roll-up covers the reps they may see (their team and direct reports).
    """
    at = dues[0].at
    teams = {d.person.rep_id: {r.id: r for r in visible_reps(session=session, viewer=d.person.viewer())} for d in dues}
    reps = {rep_id: rep for team in teams.values() for rep_id, rep in team.items()}
    digests = [ManagerDigest(d, since=store.last_digest_at(session=session, rep_id=d.person.rep_id, kind=MANAGER,
                                                           before=d.local_date) or at - FIRST_LOOKBACK) for d in dues]

    overdue_by_rep = {}
    # Overdue as each rep sees it: due before today began in the rep's own timezone.
    by_zone: dict[str, list[int]] = defaultdict(list)
    for rep_id, rep in reps.items():
        by_zone[_tz_name(rep.timezone)].append(rep_id)
    for tz_name, owner_ids in by_zone.items():
        tz = zone(tz_name)
        today = at.astimezone(tz).date()
        for row in store.open_followup_counts(session=session, owner_ids=owner_ids,
                                              before=local_midnight_utc(today, tz)):
            overdue_by_rep[row.owner_id] = RepOverdue(row.owner_id, reps[row.owner_id].name, row.due_count,
                                                      (today - row.oldest.astimezone(tz).date()).days)

    stuck = []
    stages = {s.key: s for s in process.stages}
    for row in store.stuck_deals(session=session, owner_ids=reps, entered_by=stuck_cutoffs(process, at)):
        stage = stages[row.stage_key]
        stuck.append(StuckDeal(deal_ref(row, reps[row.owner_id].name), stage.name,
                               (at - row.stage_entered_at).days, stage.expected_days))
    stuck.sort(key=lambda s: (-s.days_over, s.deal.name, s.deal.id))

    earliest = min(d.since for d in digests)
    names = StageNames(process)
    moves = [StageMove(deal_ref(row, reps[row.deal_owner_id].name, prefix="deal_"),
                       names[row.from_stage], names[row.to_stage], row.changed_at, row.to_stage in ("won", "lost"))
             for row in store.stage_moves(session=session, owner_ids=reps, since=earliest, until=at)]

    for digest in digests:
        team = teams[digest.due.person.rep_id]
        digest.overdue_by_rep = sorted((o for rep_id, o in overdue_by_rep.items() if rep_id in team),
                                       key=lambda r: (-r.count, -r.oldest_days, r.name))
        digest.stuck = [s for s in stuck if s.deal.owner_id in team]
        digest.moves = [m for m in moves if m.deal.owner_id in team and m.changed_at > digest.since]
    return digests


def _tz_name(name: str | None) -> str:
    """A rep's timezone, or UTC when it is not a known one (that rep's own digest reports the problem)."""
    try:
        zone(name)
    except ValueError:
        return "UTC"
    return name or "UTC"
