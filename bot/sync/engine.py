"""Running a sync: what to read (windows after the cursor), writing it through the importer, one runner.

A run, for any CRM source (HubSpot, Salesforce):
1. takes the CRM's runner lease (``storage.sync.take_lease``): a second run at the same time stops at once;
2. maps the CRM's stages and owners; anything unmapped stops the run with one message, nothing written;
3. reads the deals last modified in ``[cursor - lookback, now - lag]`` (all of them on a first or full
   sync), split into windows of at most 10,000 deals, a page of ids at a time;
4. writes each batch of pages in one transaction through the importer's source seam (``bot.importer.importing``):
   the deals, then their stage history (authoritative for the deals it names), with the close-date and
   amount changes and the deals' CRM links; a page with a bad record is refused whole;
5. moves the cursor to a window's end once every page of it is committed (a source listing in
   (last-modified, id) order, Salesforce, also to its position with each committed page);
6. hides the deals the CRM deleted (all linked deals not seen, on a reconciliation: when the last good
   sync is older than the CRM keeps its deletions).
A killed run therefore resumes at its last whole window; re-reading a window rewrites nothing (every
write is an upsert of the same values or an insert of an event already stored).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.errors import InvalidInput
from bot.core.runtime import Runtime
from bot.importer import RecordSource, importing
from bot.importer.options import ImportOptions
from bot.sync.client import CrmError
from bot.sync.hubspot import SEARCH_CAP, parse_time
from bot.sync.records import CRM_NAMES, EPOCH, SALESFORCE, CrmDeal, Mapping, Owner, mask
from storage import imports as import_db
from storage import sync as store

WRITE_BATCH = 1000  # deals written per transaction (five search pages): fewer, larger importer batches
LEASE = timedelta(minutes=10)  # renewed at every committed page; a dead runner's lease runs out
ONE_MS = timedelta(milliseconds=1)

# The importer's fields, fed from the CRM's properties (errors name the property).
DEAL_FIELDS = {"external_id": "hs_object_id", "name": "dealname", "account": "company",
               "owner_email": "hubspot_owner_id", "stage": "dealstage", "amount": "amount",
               "currency": "deal_currency_code", "pipeline": "pipeline", "created_at": "createdate",
               "close_date": "closedate", "next_step": "hs_next_step", "stage_entered_at": "dealstage history",
               "forecast_category": "hs_forecast_category"}
HISTORY_FIELDS = {"deal_external_id": "hs_object_id", "to_stage": "dealstage", "changed_at": "dealstage timestamp"}
# ... and from Salesforce's fields, so an error names what its admin sees.
FIELDS_OF = {SALESFORCE: (
    {"external_id": "Id", "name": "Name", "account": "Account.Name", "owner_email": "OwnerId", "stage": "StageName",
     "amount": "Amount", "currency": "CurrencyIsoCode", "pipeline": "pipeline", "created_at": "CreatedDate",
     "close_date": "CloseDate", "next_step": "NextStep", "stage_entered_at": "OpportunityHistory"},
    {"deal_external_id": "OpportunityId", "to_stage": "OpportunityHistory.StageName",
     "changed_at": "OpportunityHistory.CreatedDate"})}


class Source(Protocol):
    """A CRM read by the engine (``bot.sync.hubspot.HubSpotSource``)."""

    crm: str

    def mapping(self, process: Any, stage_names: dict[str, str] | None = None) -> Mapping: ...
    def owners_with_deals(self, owner_ids: list[str]) -> list[str]: ...
    def count(self, start: datetime, end: datetime) -> int: ...
    def changed_ids(self, start: datetime, end: datetime) -> Iterator[list[str]]: ...
    def deals(self, ids: list[str]) -> list[CrmDeal]: ...
    def archived_ids(self, since: datetime | None = None, until: datetime | None = None) -> set[str]: ...


class SyncBusy(InvalidInput):
    """Another run holds the CRM's runner lease."""


@dataclass
class SyncSummary:
    """What a run did: deals created/updated/unchanged, history and property changes stored, API use."""

    crm: str
    full: bool = False
    dry_run: bool = False
    deals_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stage_changes: int = 0
    property_changes: int = 0
    windows: int = 0
    pages: int = 0
    archived: int = 0  # deals deleted in the CRM, hidden from now on
    reconciled: bool = False  # the CRM keeps deletions too briefly for the last sync's age: every deal read again
    restored: int = 0  # deals restored there, shown again
    delivered: int = 0  # confirmed changes written to the CRM before reading
    conflicts: int = 0  # ... and those the CRM's own newer value kept out
    waiting: int = 0  # ... and those that failed this time and wait for the next run
    api_calls: int = 0
    cursor: str | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        verb = "would change" if self.dry_run else "synced"
        return (f"{self.crm}: {verb} {self.deals_read} deal(s): {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged; {self.stage_changes} stage change(s), {self.property_changes} "
                f"close-date/amount change(s) recorded; {self.api_calls} API call(s)")


Progress = Callable[[int, int], None]  # (deals read so far, deals the run's search counted at its start)


def sync(runtime: Runtime, source: Source, *, full: bool = False, dry_run: bool = False,
         stage_names: dict[str, str] | None = None, default_owner: str | None = None,
         progress: Progress | None = None, runner: str | None = None, budget: Any = None,
         write_back: Callable[[Mapping], Any] | None = None) -> SyncSummary:
    """One sync of ``source`` into the database (see the module docstring).

    Args:
        full: read every deal, whatever the cursor says.
        dry_run: read and check everything, count what would change, write nothing (nor move the cursor).
        stage_names: {CRM stage label or id: stage key, won or lost}: a mapping file's ``stages``.
        default_owner: email or CRM id of the rep given deals whose owner matches no rep.
        budget: the client's ``Budget``, counted into the summary.
        write_back: delivers the confirmed changes waiting for the CRM, given the mapping (None: write-back
            off; changes are then not queued either).

    Raises:
        SyncBusy: another sync of this CRM is running.
        InvalidInput: unmapped stages or owners (nothing written), or rows the importer refuses.
        CrmError: the CRM refused or kept failing.
    """
    runner = runner or new_runner()
    crm = source.crm
    started = runtime.now()
    _take_lease(runtime, crm, runner, started)
    summary = SyncSummary(crm=crm, full=full, dry_run=dry_run)
    error: str | None = None
    try:
        _run(runtime, source, summary, runner=runner, stage_names=stage_names, default_owner=default_owner,
             progress=progress, write_back=write_back)
        return summary
    except (InvalidInput, CrmError) as exc:
        error = str(exc)
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if budget is not None:
            summary.api_calls = budget.calls
        with runtime.session() as session:
            secret = runtime.settings.hubspot_access_token
            if not dry_run:
                store.record_run(session=session, crm=crm, at=started, succeeded=error is None,
                                 error=mask(error, secret) if error else None,
                                 counts=json.dumps({k: v for k, v in asdict(summary).items() if k != "notes"}))
            store.release_lease(session=session, crm=crm, owner=runner)


def new_runner() -> str:
    """This run's name in the lease: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _take_lease(runtime: Runtime, crm: str, runner: str, now: datetime) -> None:
    """Become the CRM's one runner, taking over from a runner on this host whose process is gone (killed).

    Raises:
        SyncBusy: another live runner holds the lease.
    """
    with runtime.session() as session:
        if store.take_lease(session=session, crm=crm, owner=runner, now=now, until=now + LEASE):
            return
        state = store.sync_state(session=session, crm=crm)
        holder = state.lock_owner if state is not None else None
        if holder and _dead_here(holder) and store.take_lease(session=session, crm=crm, owner=runner, now=now,
                                                               until=now + LEASE, replacing=holder):
            return
    raise SyncBusy(f"a {crm} sync is already running; this one stops (it would read the same changes)")


def _dead_here(runner: str) -> bool:
    """Whether ``runner`` ran on this host in a process that no longer exists."""
    host, _, rest = runner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _run(runtime: Runtime, source: Source, summary: SyncSummary, *, runner: str,
         stage_names: dict[str, str] | None, default_owner: str | None, progress: Progress | None,
         write_back: Callable[[Mapping], Any] | None) -> None:
    settings = runtime.settings
    mapping = source.mapping(runtime.process, stage_names)
    owners = _owner_emails(runtime, source, mapping, default_owner)
    if not summary.dry_run:
        with runtime.session() as session:
            store.set_write_back(session=session, crm=source.crm, on=write_back is not None)
        if write_back is not None:  # what reps confirmed goes out before HubSpot's changes come in
            delivery = write_back(mapping)
            summary.delivered, summary.conflicts, summary.waiting = (delivery.delivered, delivery.conflicts,
                                                                     delivery.waiting + delivery.failed)
    now = runtime.now()
    with runtime.session() as session:
        state = store.sync_state(session=session, crm=source.crm)
    if reconciliation_due(source, state, now):  # deletions older than the CRM keeps may have been missed
        summary.full = summary.reconciled = True
        summary.notes.append(f"the last good sync is older than the {source.crm} deletions kept "
                             f"({source.deletions_kept.days} days): every deal read again to find deleted ones")
    cursor = state.cursor if state is not None and not summary.full else None
    after = (cursor, state.cursor_id) if cursor is not None and state.cursor_id else None
    start = EPOCH if cursor is None else cursor - timedelta(seconds=settings.sync_lookback_seconds)
    end = now - timedelta(seconds=settings.sync_lag_seconds)
    options = ImportOptions(default_owner=default_owner, currency=settings.currency,
                            rates=mapping.rates_into(settings.currency))
    seen: set[str] = set()
    if end >= start:
        _read(runtime, source, summary, start, end, mapping, owners, options, runner=runner, progress=progress,
              after=after, seen=seen)
    deleted = source.archived_ids(None if cursor is None else start, now) - seen
    with runtime.session() as session:
        if summary.reconciled:  # every live deal was seen: the linked ones not seen are deleted there
            deleted |= store.linked_crm_ids(session=session, crm=source.crm) - seen
        summary.archived = store.mark_archived(session=session, crm=source.crm, crm_ids=deleted, now=now)
        if summary.dry_run:
            session.rollback()


def reconciliation_due(source: Source, state: Any, now: datetime) -> bool:
    """Whether the CRM's delete log (kept ``source.deletions_kept``) no longer reaches back to the last
    good sync, so deletions can only be found by reading every deal."""
    kept = getattr(source, "deletions_kept", None)
    last = state.last_success_at if state is not None else None
    return bool(kept and last and state.cursor and now - last > kept)


def _read(runtime: Runtime, source: Source, summary: SyncSummary, start: datetime, end: datetime, mapping: Mapping,
          owners: dict[str, str], options: ImportOptions, *, runner: str, progress: Progress | None,
          after: tuple[datetime, str] | None = None, seen: set[str] | None = None) -> None:
    """Every deal changed in [start, end], a page per transaction, the cursor moved after each window.

    A source that lists in (last-modified, id) order (``position``, Salesforce) also moves the cursor to
    that position in each page's own transaction, so a killed run resumes after what it committed
    (``after``: that position).
    """
    total = source.count(start, end)  # the search's total: what a first sync's progress counts up to
    if progress is not None and total:
        progress(0, total)
    positioned = hasattr(source, "position")
    for window_start, window_end, _ in windows(source, start, end, total):
        summary.windows += 1
        waiting: list[CrmDeal] = []
        listed = source.changed_ids(window_start, window_end, after=after) if positioned else \
            source.changed_ids(window_start, window_end)
        for ids in listed:
            waiting += source.deals(ids)
            if seen is not None:
                seen.update(ids)
            summary.pages += 1
            if len(waiting) >= WRITE_BATCH:
                _write_page(runtime, waiting, owners, mapping, options, summary, runner=runner, crm=source.crm,
                            position=getattr(source, "position", None))
                summary.deals_read += len(waiting)
                waiting = []
                if progress is not None:
                    progress(summary.deals_read, total)
        _write_page(runtime, waiting, owners, mapping, options, summary, runner=runner, crm=source.crm)
        summary.deals_read += len(waiting)
        if progress is not None and waiting:
            progress(summary.deals_read, total)
        if not summary.dry_run:
            with runtime.session() as session:  # every page of the window is committed: move past it
                store.set_cursor(session=session, crm=source.crm, cursor=window_end)
        summary.cursor = window_end.isoformat()


def sync_deals(runtime: Runtime, source: Source, crm_ids: list[str], *, stage_names: dict[str, str] | None = None,
               default_owner: str | None = None, budget: Any = None, runner: str | None = None) -> SyncSummary:
    """Read the named deals now (a webhook's trigger), under the same lease; the cursor stays where it is.

    Raises:
        SyncBusy: another sync is running (it, or the next, reads these deals anyway).
    """
    runner = runner or new_runner()
    now = runtime.now()
    summary = SyncSummary(crm=source.crm)
    _take_lease(runtime, source.crm, runner, now)
    try:
        mapping = source.mapping(runtime.process, stage_names)
        owners = _owner_emails(runtime, source, mapping, default_owner)
        options = ImportOptions(default_owner=default_owner, currency=runtime.settings.currency)
        deals = source.deals(crm_ids)
        _write_page(runtime, deals, owners, mapping, options, summary, runner=runner, crm=source.crm)
        summary.deals_read = len(deals)
    finally:
        with runtime.session() as session:
            store.release_lease(session=session, crm=source.crm, owner=runner)
        if budget is not None:
            summary.api_calls = budget.calls
    return summary


def windows(source: Source, start: datetime, end: datetime,
            count: int | None = None) -> Iterator[tuple[datetime, datetime, int]]:
    """[start, end] as consecutive windows of at most 10,000 deals each (by their last-modified time), in
    time order, with their counts; a single instant holding more stays one window (it is paged by id).
    ``count``: the deals in [start, end] when the caller counted them already."""
    count = source.count(start, end) if count is None else count
    if count <= SEARCH_CAP or end - start < ONE_MS:
        if count:
            yield start, end, count
        return
    middle = start + (end - start) / 2
    middle = middle.replace(microsecond=middle.microsecond // 1000 * 1000)  # HubSpot filters whole milliseconds
    yield from windows(source, start, middle)
    yield from windows(source, middle + ONE_MS, end)


def _owner_emails(runtime: Runtime, source: Source, mapping: Mapping, default_owner: str | None) -> dict[str, str]:
    """CRM owner id -> what the importer resolves the owner by (the email a rep has, else the CRM id).

    Raises:
        InvalidInput: owners of deals match no rep and no default owner is given; nothing is written.
    """
    with runtime.session() as session:
        directory = import_db.rep_directory(session=session)
    emails = {rep.email.lower() for rep in directory}
    crm_ids = {rep.crm_id for rep in directory if rep.crm_id}
    unmatched: list[Owner] = [owner for owner in mapping.owners.values()
                              if owner.email.lower() not in emails and owner.crm_id not in crm_ids]
    if unmatched and default_owner is None:
        owning = set(source.owners_with_deals([owner.crm_id for owner in unmatched]))
        blocking = [owner for owner in unmatched if owner.crm_id in owning]
        if blocking:
            raise InvalidInput(
                f"{len(blocking)} {source.crm} deal owner(s) match no rep by email: add them as reps "
                "(stagecoach import reps FILE), or give their deals to one rep with --default-owner EMAIL",
                [f"{owner.name} <{owner.email}> (owner id {owner.crm_id}"
                 + (", deactivated)" if owner.archived else ")") for owner in blocking])
    return {owner.crm_id: (owner.email if owner.email.lower() in emails else owner.crm_id)
            for owner in mapping.owners.values()}


def deal_records(deals: list[CrmDeal], owners: dict[str, str]) -> list[dict[str, Any]]:
    """The deals as the importer's typed records (``DEAL_FIELDS``); amounts stay the CRM's text, checked
    as a file's would be."""
    return [{"external_id": deal.crm_id, "name": deal.name, "account": deal.company,
             "owner_email": owners.get(deal.owner_id or "", deal.owner_id), "stage": deal.stage,
             "amount": deal.amount, "currency": deal.currency, "pipeline": deal.pipeline,
             "created_at": parse_time(deal.created_at), "close_date": (deal.close_date or "")[:10] or None,
             "next_step": deal.next_step,
             "stage_entered_at": deal.stage_history[-1][1] if deal.stage_history else deal.stage_entered_at,
             "forecast_category": deal.forecast_category}
            for deal in deals]


def history_records(deals: list[CrmDeal], ours: dict[tuple[str, datetime], datetime]) -> list[dict[str, Any]]:
    """The deals' stage histories as the importer's history records.

    ``ours``: {(CRM deal id, when the CRM dates a move): when we made it}, for moves written back from
    here: such a move keeps our time, so it is the move already stored, not a second one.
    """
    return [{"deal_external_id": deal.crm_id, "to_stage": stage, "changed_at": ours.get((deal.crm_id, at), at)}
            for deal in deals for stage, at in deal.stage_history]


def _write_page(runtime: Runtime, deals: list[CrmDeal], owners: dict[str, str], mapping: Mapping,
                options: ImportOptions, summary: SyncSummary, *, runner: str, crm: str,
                position: tuple[datetime, str] | None = None) -> None:
    """One page of deals, their stage history and close-date/amount changes, in one transaction through
    the importer's checks and writes (``bot.importer.importing``): a bad record refuses the whole page."""
    if not deals:
        return
    now = runtime.now()
    options = replace(options, now=now, dry_run=summary.dry_run)
    name = CRM_NAMES.get(crm, crm)
    with importing(runtime, options) as batch:
        deal_fields, history_fields = FIELDS_OF.get(crm, (DEAL_FIELDS, HISTORY_FIELDS))
        done = batch.run("deals", RecordSource("deals", name, deal_records(deals, owners), fields=deal_fields,
                                               place="deal {external_id}", stage_names=mapping.stages,
                                               preset=crm))  # the CRM's own rules, as its export file gets
        summary.created += done.created
        summary.updated += done.updated
        summary.unchanged += done.unchanged
        session = batch.session
        ids = import_db.deals_by_external_id(session=session, external_ids=[deal.crm_id for deal in deals])
        crm_ids = {stored.id: crm_id for crm_id, stored in ids.items()}
        ours = {(crm_ids[deal_id], crm_at): at for (deal_id, crm_at), at in
                store.delivered_moves(session=session, deal_ids=list(crm_ids)).items()}
        history = batch.run("history", RecordSource("history", name, history_records(deals, ours),
                                                    fields=history_fields, place="deal {deal_external_id}",
                                                    stage_names=mapping.stages))
        summary.stage_changes += history.created
        summary.restored += store.unarchive(session=session, deal_ids=[stored.id for stored in ids.values()])
        store.upsert_links(session=session, rows=[
            {"deal_id": ids[deal.crm_id].id, "crm": crm, "crm_id": deal.crm_id, "pipeline": deal.pipeline,
             "stage": deal.stage, "read_at": now,
             "modified_at": deal.modified_at} for deal in deals])
        summary.property_changes += store.add_property_changes(session=session, rows=[
            {"deal_id": ids[deal.crm_id].id, "property": name, "value": (value or "")[:64] or None,
             "changed_at": at, "source": crm}
            for deal in deals for name, timeline in (("close_date", deal.close_date_history),
                                                     ("amount", deal.amount_history))
            for value, at in timeline])
        if not summary.dry_run:
            store.take_lease(session=session, crm=crm, owner=runner, now=now, until=now + LEASE)
            if position is not None:  # committed with the page it covers
                store.set_cursor(session=session, crm=crm, cursor=position[0], cursor_id=position[1])


