"""Who is due a digest at a given instant, and what each rep's and manager's digest says.

Everything takes the instant explicitly, so tests and replays control time. A
person is due when, in their own timezone, it is a configured weekday, the hour
has reached ``digest_hour``, and there is no delivery record for that local date.

Rep digests are built for batches of people who share a timezone (and so share
"today"), with a few grouped, indexed queries per batch that return only what a
digest lists; the next activity for each deal comes from the coach's plan logic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from sqlmodel import Session

from bot.core.config import WEEKDAYS, Settings
from bot.core.plan import NextActivity, classify_followups, next_activities, unmet_criteria
from bot.core.plan import deal_ref as plan_ref
from bot.core.runtime import Runtime
from bot.digest.rollup import manager_digests
from bot.digest.rows import StageNames, deal_ref, stuck_cutoffs
from bot.digest.types import (
    DUE_TODAY,
    MANAGER,
    OVERDUE,
    PAST_CLOSE,
    REP,
    STUCK,
    WEEKLY,
    Digest,
    DigestItem,
    Due,
    Recipient,
    RepDigest,
    WarnedDeal,
)
from bot.digest.weekly import weekly_summaries
from bot.pipeline.deal_warnings import PAST_CLOSE as WARNED_PAST_CLOSE
from bot.pipeline.deal_warnings import owners_deal_warnings
from bot.sync.freshness import freshness_notice
from knowledge.process_map import ProcessMap
from storage import digest as store
from storage.models import Role
from storage.timeutil import local_midnight_utc, to_utc, zone

BATCH = 200  # people per batch of queries: few round trips, bounded memory


@dataclass
class Schedule:
    """The digests due, and the people who cannot be scheduled (with why)."""

    dues: list[Due] = field(default_factory=list)
    problems: list[tuple[Recipient, str]] = field(default_factory=list)


def kinds_for(person: Recipient, *, digest_day: bool = True, summary_day: bool = False) -> list[str]:
    """On a digest day everyone gets their own digest, and managers the team roll-up; on their team's summary
    day managers also get the weekly summary, whatever the digest days."""
    kinds = ([REP, MANAGER] if person.role == Role.manager else [REP]) if digest_day else []
    return kinds + [WEEKLY] if summary_day and person.role == Role.manager else kinds


class SummaryDays:
    """Each team's weekday for the weekly summary (``Team.summary_day``), else the ``manager_summary_day`` setting."""

    def __init__(self, session: Session, settings: Settings):
        self.default = WEEKDAYS.index(settings.manager_summary_day)
        self.teams = {team_id: WEEKDAYS.index(day) for team_id, day in
                      store.team_summary_days(session=session).items() if day in WEEKDAYS}

    def __call__(self, person: Recipient, weekday: int) -> bool:
        return weekday == self.teams.get(person.team_id, self.default)  # type: ignore[arg-type]


def due_at(*, session: Session, settings: Settings, now: datetime) -> Schedule:
    """Digests due at ``now``: local weekday configured, local hour reached, none recorded for the local date."""
    schedule = Schedule()
    summary_day = SummaryDays(session, settings)
    for person in _people(session, schedule):
        local = now.astimezone(zone(person.timezone))
        if local.hour >= settings.digest_hour:
            kinds = kinds_for(person, digest_day=local.weekday() in settings.digest_weekdays,
                              summary_day=summary_day(person, local.weekday()))
            schedule.dues += [Due(person, kind, local.date(), to_utc(now)) for kind in kinds]
    schedule.dues = _not_delivered(session, schedule.dues)
    return schedule


def due_on(*, session: Session, settings: Settings, day: date, include_delivered: bool = False) -> Schedule:
    """Digests of everyone whose workday ``day`` is (and weekly summaries due that day), each as of
    ``digest_hour`` on that local date."""
    schedule = Schedule()
    summary_day = SummaryDays(session, settings)
    for person in _people(session, schedule):
        at = to_utc(datetime.combine(day, time(settings.digest_hour), tzinfo=zone(person.timezone)))
        kinds = kinds_for(person, digest_day=day.weekday() in settings.digest_weekdays,
                          summary_day=summary_day(person, day.weekday()))
        schedule.dues += [Due(person, kind, day, at) for kind in kinds]
    if not include_delivered:
        schedule.dues = _not_delivered(session, schedule.dues)
    return schedule


def schedule_for(*, session: Session, settings: Settings, now: datetime, day: date | None) -> Schedule:
    """Every digest of local date ``day`` when given (``stagecoach digest --date``), else those due at ``now``."""
    if day:
        return due_on(session=session, settings=settings, day=day)
    return due_at(session=session, settings=settings, now=now)


def _people(session: Session, schedule: Schedule) -> list[Recipient]:
    people = []
    for rep in store.people(session=session):
        person = Recipient.of(rep)
        try:
            zone(person.timezone)
        except ValueError as exc:
            schedule.problems.append((person, str(exc)))
            continue
        people.append(person)
    return people


def _not_delivered(session: Session, dues: list[Due]) -> list[Due]:
    by_date: dict[date, list[Due]] = defaultdict(list)
    for due in dues:
        by_date[due.local_date].append(due)
    done: set[tuple[int, str, date]] = set()
    for day, group in by_date.items():
        done |= {(rep_id, kind, day) for rep_id, kind in
                 store.delivered(session=session, rep_ids=[d.person.rep_id for d in group], local_date=day)}
    return [d for d in dues if (d.person.rep_id, d.kind, d.local_date) not in done]


def build_in_batches(runtime: Runtime, dues: list[Due], batch: int = BATCH) -> Iterator[list[Digest]]:
    """The digests of ``dues`` a batch at a time (grouped by timezone, so not in the given order),
    each batch in its own short session: memory stays flat. Each says when deal data is stale."""
    process = runtime.process
    freshness = freshness_notice(runtime)
    # People who share a timezone share "today": grouped, a batch is one set of queries.
    ordered = sorted(dues, key=lambda d: (d.person.timezone, d.at, d.local_date, d.person.rep_id, d.kind))
    for start in range(0, len(ordered), batch):
        with runtime.session() as session:
            digests = build(session=session, process=process, dues=ordered[start:start + batch])
        for digest in digests:
            digest.freshness = freshness
        yield digests


def build(*, session: Session, process: ProcessMap, dues: Iterable[Due]) -> list[Digest]:
    """The digest of each due, in the order given."""
    dues = list(dues)
    built: dict[tuple[int, str], Digest] = {}
    rep_batches: dict[tuple[str, datetime, date], list[Due]] = defaultdict(list)
    manager_batches: dict[datetime, list[Due]] = defaultdict(list)
    weekly = [due for due in dues if due.kind == WEEKLY]
    for due in dues:
        if due.kind == REP:
            rep_batches[(due.person.timezone, due.at, due.local_date)].append(due)
        elif due.kind == MANAGER:
            manager_batches[due.at].append(due)
    for batch in rep_batches.values():
        for digest in rep_digests(session=session, process=process, dues=batch):
            built[(digest.due.person.rep_id, REP)] = digest
    for managers in manager_batches.values():
        for rollup in manager_digests(session=session, process=process, dues=managers):
            built[(rollup.due.person.rep_id, MANAGER)] = rollup
    for summary in weekly_summaries(session=session, process=process, dues=weekly):
        built[(summary.due.person.rep_id, WEEKLY)] = summary
    return [built[(d.person.rep_id, d.kind)] for d in dues]


def rep_digests(*, session: Session, process: ProcessMap, dues: list[Due]) -> list[RepDigest]:
    """Digests for reps who share a timezone and instant: one set of queries for the whole batch."""
    first = dues[0]
    tz_name, at, today = first.person.timezone, first.at, first.local_date
    start_of_today = local_midnight_utc(today, zone(tz_name))
    end_of_today = local_midnight_utc(today + timedelta(days=1), zone(tz_name))
    owners = {d.person.rep_id: d for d in dues}
    followups = store.followups_due_before(session=session, owner_ids=owners, until=end_of_today)
    # A deal whose next touch is scheduled for today or later (e.g. snoozed from the digest) is listed
    # through that follow-up when it falls due, not again as stuck or past its close date.
    stuck = store.stuck_deals(session=session, owner_ids=owners, entered_by=stuck_cutoffs(process, at),
                              unless_scheduled_from=start_of_today, with_met_criteria=True)
    past = store.deals_past_close(session=session, owner_ids=owners, before=today,
                                  unless_scheduled_from=start_of_today)

    digests = {rep_id: RepDigest(due) for rep_id, due in owners.items()}
    next_activity = _NextActivities(process)
    stages = {s.key: s for s in process.stages}
    names = StageNames(process)
    by_owner: dict[int, list] = defaultdict(list)
    for row in followups:
        by_owner[row.deal_owner_id].append(row)
    for owner_id, rows in by_owner.items():
        owner_name = owners[owner_id].person.name
        deals = {r.deal_id: (deal_ref(r, owner_name, prefix="deal_"), r.met_criteria) for r in rows}
        # Rows carry id, deal_id, due_at and note: all classify_followups reads of a FollowUp.
        overdue, due_today = classify_followups(rows, at, tz_name)
        digest = digests[owner_id]
        for section, items in ((OVERDUE, overdue), (DUE_TODAY, due_today)):
            for item in items:
                deal, met = deals[item.deal_id]
                getattr(digest, section).append(DigestItem(
                    section, deal, names[deal.stage_key], item.days_overdue, next_activity(deal.stage_key, met), item))
    for row in stuck:
        deal = deal_ref(row, owners[row.owner_id].person.name)
        stage = stages[row.stage_key]
        days_over = (at - row.stage_entered_at).days - stage.expected_days
        digests[row.owner_id].stuck.append(DigestItem(
            STUCK, deal, stage.name, days_over, next_activity(row.stage_key, row.met_criteria)))
    for row in past:
        deal = deal_ref(row, owners[row.owner_id].person.name)
        digests[row.owner_id].past_close.append(DigestItem(
            PAST_CLOSE, deal, names[row.stage_key], (today - row.close_date).days,
            next_activity(row.stage_key, row.met_criteria)))
    for state, warning in owners_deal_warnings(session=session, owner_ids=list(owners), process=process, now=at):
        reasons = warning.words(leave_out=[WARNED_PAST_CLOSE])  # the past-close section says it already
        if reasons:
            digests[state.deal.owner_id].warnings.append(WarnedDeal(
                plan_ref(state), names[state.deal.stage_key], tuple(k for k in warning.kinds if k != WARNED_PAST_CLOSE),
                tuple(reasons)))
    for digest in digests.values():
        digest.stuck.sort(key=lambda i: (-i.days, i.deal.name, i.deal.id))
    return [digests[d.person.rep_id] for d in dues]


class _NextActivities:
    """The map's next activity for a deal, remembered per stage and met criteria (many deals share one)."""

    def __init__(self, process: ProcessMap):
        self.process = process
        self.known: dict[tuple[str, str | None], NextActivity | None] = {}

    def __call__(self, stage_key: str, met_criteria: str | None) -> NextActivity | None:
        """``met_criteria``: the met criteria of the deal's current stage, as ``storage.digest`` joins them."""
        key = (stage_key, met_criteria)
        if key not in self.known:
            met = met_criteria.split(store.MET_SEPARATOR) if met_criteria else ()
            self.known[key] = _next_activity(self.process, stage_key, {(stage_key, k): _MET for k in met})
        return self.known[key]


# What the plan reads of a met check; the digest shows no evidence.
_MET = SimpleNamespace(met=True, evidence=None)


def _next_activity(process: ProcessMap, stage_key: str, checks: dict) -> NextActivity | None:
    """The first activity the map suggests for the deal's unmet exit criteria (the coach's own choice)."""
    stage = process.stage(stage_key)
    if stage is None:
        return None
    suggestions = next_activities(stage, unmet_criteria(process, stage_key, checks), limit=1)
    return suggestions[0] if suggestions else None
