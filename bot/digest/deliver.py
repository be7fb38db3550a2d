"""Delivering digests exactly once per person and local day, however many runs overlap.

For each digest: reserve a delivery record (its own committed transaction; the
unique constraint lets exactly one run win), then post it with the poster the
caller passes in (the Slack one renders and DMs it: ``bot.slack.digest.poster``),
then record where it went. A run that stops between reserving and recording
leaves the row ``reserved``: that person gets nothing more that day, and the next
run reports it once. One failed DM never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.runtime import Runtime
from bot.digest import compute
from bot.digest.types import Digest, Due, Recipient
from storage import digest as store
from storage.digest import StaleReservation
from storage.timeutil import zone

logger = logging.getLogger(__name__)

# A reservation older than this and still not completed is reported (a send takes seconds, even with 429 waits).
STALE_AFTER = timedelta(minutes=15)
STALE_WINDOW = timedelta(days=2)  # ...for this long, then it is history
WORKERS = 4  # DMs in flight at once; Slack's rate limits, not our CPU, set the pace


@dataclass(frozen=True)
class Posted:
    """Where a posted digest went: the channel and the message's timestamp, recorded with the delivery."""

    channel: str
    ts: str


class NotPosted(Exception):
    """A poster's refusal, with a reason fit for the run's report ("Slack error channel_not_found (HTTP 200)")."""


class Poster(Protocol):
    """Delivers one digest to its person, or raises (``NotPosted`` with a reason; any other error counts too).

    Called from several threads at once. Whatever it raises, the digest counts as not
    sent that day: the delivery is recorded as failed and not tried again.
    """

    def __call__(self, digest: Digest) -> Posted: ...


@dataclass(frozen=True)
class Outcome:
    """What happened to one person's digest in this run."""

    person: Recipient
    kind: str
    local_date: date
    status: str  # sent, empty, skipped, failed
    reason: str | None = None
    channel: str | None = None
    ts: str | None = None

    def to_json(self) -> dict:
        return {"rep_id": self.person.rep_id, "name": self.person.name, "kind": self.kind,
                "local_date": self.local_date.isoformat(), "status": self.status, "reason": self.reason,
                "channel": self.channel, "ts": self.ts}


@dataclass
class Summary:
    """The run's result: sent, recorded empty, skipped and failed (with reasons), and stale reservations."""

    outcomes: list[Outcome] = field(default_factory=list)
    stale: list[StaleReservation] = field(default_factory=list)

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.of("failed")

    def headline(self) -> str:
        return (f"digest: {len(self.of('sent'))} sent, {len(self.of('empty'))} empty (nothing due, not sent), "
                f"{len(self.of('skipped'))} skipped, {len(self.of('failed'))} failed"
                + (f", {len(self.stale)} stale reservation(s)" if self.stale else ""))

    def lines(self) -> list[str]:
        out = [self.headline()]
        out += [f"skipped: {o.person.name} ({o.kind}, {o.local_date}) — {o.reason}" for o in self.of("skipped")]
        out += [f"failed: {o.person.name} ({o.kind}, {o.local_date}) — {o.reason}" for o in self.of("failed")]
        out += [f"stale: {s.rep_name} ({s.kind}, {s.local_date}) reserved at {s.reserved_at:%Y-%m-%d %H:%M} UTC but "
                "never recorded as sent; the run may have stopped mid-send, so it is not resent — check Slack"
                for s in self.stale]
        return out

    def to_json(self) -> dict:
        return {
            "sent": len(self.of("sent")), "empty": len(self.of("empty")),
            "skipped": len(self.of("skipped")), "failed": len(self.of("failed")),
            "outcomes": [o.to_json() for o in self.outcomes],
            "stale": [{"rep_id": s.rep_id, "name": s.rep_name, "kind": s.kind, "local_date": s.local_date.isoformat(),
                       "reserved_at": s.reserved_at.isoformat()} for s in self.stale],
        }


def deliver_due(runtime: Runtime, post: Poster, *, now: datetime | None = None, day: date | None = None,
                workers: int = WORKERS, on_outcome: Callable[[Outcome], None] | None = None) -> Summary:
    """Compute and deliver every digest due at ``now`` (or, with ``day``, every one of that local date).

    Safe to run from any number of processes at once: each person and day is posted at most once.
    ``post`` delivers each digest (``bot.slack.digest.poster`` for Slack DMs).
    """
    now = now or runtime.now()
    summary = Summary()
    with runtime.session() as session:
        schedule = compute.schedule_for(session=session, settings=runtime.settings, now=now, day=day)
        summary.stale = store.claim_stale_reservations(session=session, reserved_before=now - STALE_AFTER,
                                                       reserved_since=now - STALE_WINDOW)
    for person, problem in schedule.problems:
        summary.outcomes.append(Outcome(person, "rep", day or now.date(), "failed", problem))
    reachable = [d for d in schedule.dues if d.person.slack_user_id]
    for due in schedule.dues:
        if not due.person.slack_user_id:
            summary.outcomes.append(_record_unreachable(runtime, due, now))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for digests in compute.build_in_batches(runtime, reachable):
            for outcome in pool.map(lambda d: deliver_one(runtime, post, d, now=now), digests):
                summary.outcomes.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
    for line in summary.lines()[1:]:
        logger.warning(line)
    return summary


def deliver_one(runtime: Runtime, post: Poster, digest: Digest, *, now: datetime) -> Outcome:
    """Reserve, send, complete one digest. Never raises: problems become the outcome's reason."""
    due = digest.due
    person = due.person
    try:
        if digest.is_empty and not runtime.settings.digest_send_empty:
            if _reserve(runtime, due, now, status="empty") is None:
                return _outcome(due, "skipped", "already handled by another run")
            return _outcome(due, "empty")
        delivery_id = _reserve(runtime, due, now)
        if delivery_id is None:
            return _outcome(due, "skipped", "already sent or being sent by another run")
    except Exception as exc:  # the database refused: nothing was sent, a later run will try again
        logger.exception("digest reservation for %s failed", person.name)
        return _outcome(due, "failed", f"could not reserve: {exc}")
    try:
        posted = post(digest)
    except Exception as exc:  # noqa: BLE001 - any failure of one DM is reported, and the others go on
        reason = _describe(exc)
        _mark_failed(runtime, delivery_id, reason)
        return _outcome(due, "failed", reason)
    try:
        with runtime.session() as session:
            store.complete(session=session, delivery_id=delivery_id, channel=posted.channel, ts=posted.ts,
                           now=runtime.now())
    except Exception as exc:  # sent but not recorded: the row stays reserved and the next run reports it
        logger.exception("digest sent to %s but not recorded", person.name)
        return _outcome(due, "sent", f"sent, but recording it failed: {exc}", posted.channel, posted.ts)
    return _outcome(due, "sent", EARLY if is_early(due, now) else None, posted.channel, posted.ts)


EARLY = "early: that day's scheduled digest still goes out"


def is_early(due: Due, now: datetime) -> bool:
    """Whether ``due`` is for a day after the person's own today (``digest --date`` a future day, --force).

    Such a send is recorded under its own kind ("rep-early", "manager-early"): the once-per-day
    guard of the real kind is left alone, so that day's scheduled digest still goes out, and a
    second early send of the same day is still refused.
    """
    return due.local_date > now.astimezone(zone(due.person.timezone)).date()


def _reserve(runtime: Runtime, due: Due, now: datetime, status: str = "reserved") -> int | None:
    # Committed on its own, before anything is sent, so a concurrent run sees it (or waits for it).
    kind = f"{due.kind}-early" if is_early(due, now) else due.kind
    with runtime.session() as session:
        row = store.reserve(session=session, rep_id=due.person.rep_id, local_date=due.local_date, kind=kind,
                            now=now, status=status)
        return row.id if row is not None else None


def _record_unreachable(runtime: Runtime, due: Due, now: datetime) -> Outcome:
    """A person without a Slack id: recorded once per day, so each later run does not report it again."""
    try:
        if _reserve(runtime, due, now, status="skipped") is None:
            return _outcome(due, "skipped", "already handled by another run")
    except Exception as exc:  # noqa: BLE001
        return _outcome(due, "failed", f"could not record: {exc}")
    return _outcome(due, "skipped", "no Slack user id: link them with their Slack id or email")


def _mark_failed(runtime: Runtime, delivery_id: int, reason: str) -> None:
    try:
        with runtime.session() as session:
            store.fail(session=session, delivery_id=delivery_id, error=reason)
    except Exception:  # the row stays reserved: reported as stale, never resent
        logger.exception("could not record digest failure %s", delivery_id)


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, NotPosted) else f"{type(exc).__name__}: {exc}"


def _outcome(due: Due, status: str, reason: str | None = None, channel: str | None = None,
             ts: str | None = None) -> Outcome:
    return Outcome(due.person, due.kind, due.local_date, status, reason, channel, ts)
