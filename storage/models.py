"""SQLModel tables: the deal state Stagecoach coaches on.

Conventions:
- Every datetime is timezone-aware UTC, which is what SQLModel's datetime columns
  require; conversion to a person's timezone happens at the edges (digest,
  reports, rendering).
- Every timestamp is written by the program from its clock (``Runtime.now()``),
  never by the database's clock: no column has a server-side time default, so
  the two clocks cannot disagree.
- Append-only history (stage changes, criterion checks, activities) is never
  rewritten; the current state of a criterion is its latest check.
- Indexes serve the coach (deal lookups per owner), the digest (open
  follow-ups by due date per owner) and the pipeline reports (stage changes
  by time).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Role(str, Enum):
    rep = "rep"
    manager = "manager"
    admin = "admin"


class DealStatus(str, Enum):
    open = "open"
    won = "won"
    lost = "lost"


CLOSED_STAGES = ("won", "lost")


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    timezone: str | None = Field(default=None, max_length=64, description="Team's reporting timezone.")
    slack_channel_id: str | None = Field(
        default=None, max_length=32, description="Channel where deal details may be shown to the whole team."
    )
    summary_day: str | None = Field(default=None, max_length=3,
                                    description="mon..sun: when the manager's weekly summary goes out (none: the default).")


class Rep(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slack_user_id: str | None = Field(default=None, unique=True, max_length=32)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=200)
    role: Role = Field(default=Role.rep)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="rep.id")
    timezone: str = Field(default="UTC", max_length=64)
    crm_id: str | None = Field(default=None, unique=True, max_length=64,
                               description="The rep's user id in the CRM (Salesforce 005..., a HubSpot owner id).")


class ProcessVersion(SQLModel, table=True):
    """A loaded process map; exactly one row is active."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    version: int
    source_path: str = Field(max_length=500)
    content: str = Field(sa_column=Column(Text, nullable=False))
    checksum: str = Field(max_length=64)
    loaded_at: datetime
    active: bool = Field(default=False, index=True)


class Deal(SQLModel, table=True):
    __table_args__ = (
        Index("ix_deal_owner_status", "owner_id", "status"),
        Index("ix_deal_status_stage", "status", "stage_key"),
        # The digest's "open deals of these owners over their stage's time" and "past their close date":
        # range scans that touch only the deals listed, not every open deal of the owners.
        Index("ix_deal_owner_status_stage_entered", "owner_id", "status", "stage_key", "stage_entered_at"),
        Index("ix_deal_owner_status_close", "owner_id", "status", "close_date"),
        # The few deals deleted in the CRM: an admin's report leaves out their changes by an anti-join on this
        # (tiny) range of this index instead of joining every change to every deal.
        Index("ix_deal_archived", "archived_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(unique=True, max_length=100)
    name: str = Field(max_length=300)
    account: str = Field(max_length=300)
    owner_id: int = Field(foreign_key="rep.id")
    stage_key: str = Field(max_length=64, description="Current stage, or the last one before closing.")
    amount: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(14, 2), nullable=False))
    status: DealStatus = Field(default=DealStatus.open)
    created_at: datetime
    stage_entered_at: datetime
    close_date: date | None = None
    closed_at: datetime | None = None
    next_step: str | None = Field(default=None, sa_column=Column(Text))
    currency: str | None = Field(default=None, max_length=3,
                                 description="ISO code of the amount's currency; None: the company currency.")
    undated: bool | None = Field(default=None, description="True: in its stage since an unknown date (imported "
                                                           "without dates); reports leave it out of stage figures.")
    forecast_category: str | None = Field(default=None, max_length=16,
                                          description="commit, best_case, pipeline or omitted, as the CRM or an import "
                                                      "set it; None: derived from the stage (bot.pipeline.categories).")
    archived_at: datetime | None = Field(default=None, description="Deleted in the CRM: hidden from coaching and "
                                                                 "reports, its history kept; None again if restored.")


class StageChange(SQLModel, table=True):
    """One move of a deal; ``to_stage`` may be ``won`` or ``lost``."""

    __table_args__ = (
        # Covers the pipeline reports' "previous/next change of this deal" probe: an index-only lookup.
        Index("ix_stagechange_deal_time", "deal_id", "changed_at", "id", "to_stage"),
        # Covers a period's changes for the pipeline reports (stage, deal, id): read without the table.
        Index("ix_stagechange_time", "changed_at", "to_stage", "deal_id", "id"),
        UniqueConstraint("deal_id", "from_stage", "to_stage", "changed_at", name="uq_stagechange_event"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    from_stage: str | None = Field(default=None, max_length=64)
    to_stage: str = Field(max_length=64)
    changed_at: datetime
    changed_by_id: int | None = Field(default=None, foreign_key="rep.id")
    override_reason: str | None = Field(default=None, sa_column=Column(Text))
    source: str = Field(default="app", max_length=20, description="app, import, slack, cli, process-load.")


class CriterionCheck(SQLModel, table=True):
    """A buyer-confirmed fact recorded (or withdrawn) for a deal."""

    # ``met`` last: the digest reads which criteria a deal has met from this index alone.
    __table_args__ = (Index("ix_criterioncheck_deal_criterion", "deal_id", "stage_key", "criterion_key", "id", "met"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    stage_key: str = Field(max_length=64)
    criterion_key: str = Field(max_length=64)
    met: bool = True
    evidence: str | None = Field(default=None, sa_column=Column(Text))
    checked_at: datetime
    checked_by_id: int | None = Field(default=None, foreign_key="rep.id")


class Activity(SQLModel, table=True):
    __table_args__ = (Index("ix_activity_deal_time", "deal_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    activity_key: str | None = Field(default=None, max_length=64, description="Process-map activity, if any.")
    note: str | None = Field(default=None, sa_column=Column(Text))
    occurred_at: datetime
    rep_id: int | None = Field(default=None, foreign_key="rep.id")


class FollowUp(SQLModel, table=True):
    __table_args__ = (Index("ix_followup_open_due", "done_at", "due_at"), Index("ix_followup_deal", "deal_id"))

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    due_at: datetime
    note: str | None = Field(default=None, sa_column=Column(Text))
    done_at: datetime | None = None
    created_at: datetime
    created_by_id: int | None = Field(default=None, foreign_key="rep.id")


class DigestDelivery(SQLModel, table=True):
    """Reserved before a digest is sent, completed after: at most one per person and local day."""

    __table_args__ = (
        UniqueConstraint("rep_id", "local_date", "kind", name="uq_digest_person_day"),
        # Each run lists reservations left behind by a crash: status='reserved', older than a few minutes.
        Index("ix_digestdelivery_status_reserved", "status", "reserved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rep_id: int = Field(foreign_key="rep.id")
    local_date: date
    kind: str = Field(default="rep", max_length=16, description="rep or manager roll-up.")
    status: str = Field(default="reserved", max_length=16,
                        description="reserved, sent, failed, empty, skipped (no Slack id), unconfirmed (a crashed send).")
    reserved_at: datetime
    sent_at: datetime | None = None
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, sa_column=Column(Text))


class ProcessedEvent(SQLModel, table=True):
    """Slack ``event_id``s already handled, so a retried event is answered once across workers."""

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(index=True)


class Conversation(SQLModel, table=True):
    """What a conversation (Slack thread, DM, terminal chat) is about, so follow-ups keep their deal."""

    key: str = Field(primary_key=True, max_length=200)
    rep_id: int = Field(foreign_key="rep.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    last_intent: str | None = Field(default=None, max_length=32)
    history: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    updated_at: datetime


class AnswerFeedback(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    channel: str = Field(max_length=32)
    message_ts: str = Field(max_length=32)
    helpful: bool
    question: str | None = Field(default=None, sa_column=Column(Text))
    intent: str | None = Field(default=None, max_length=32)  # the intent that answered (feedback buttons carry it)
    created_at: datetime = Field(index=True)  # the admin's weekly list reads by age


class ProposalDecision(SQLModel, table=True):
    """A write proposed in words (``bot.coach.types.Proposal``) that its asker confirmed or cancelled.

    The token is the primary key, so a proposal is decided once whatever the surface or how often
    Confirm is pressed: the first insert wins and every later one finds it (``storage.proposals``).
    """

    token: str = Field(primary_key=True, max_length=64)
    rep_id: int = Field(foreign_key="rep.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    outcome: str = Field(max_length=16, description="recorded or cancelled.")
    decided_at: datetime


class AskedQuestion(SQLModel, table=True):
    """A question an answer's buttons refer to (Share, 👍/👎): the button carries only the short token,
    so a question of any length or language fits Slack's 2,000-byte button value."""

    token: str = Field(primary_key=True, max_length=16)
    question: str = Field(sa_column=Column(Text, nullable=False))
    thread_ts: str | None = Field(default=None, max_length=32)
    asked_at: datetime = Field(index=True)  # pruned by age


class SyncState(SQLModel, table=True):
    """One CRM's live sync: where it has read up to, how the last run went, and who is running it.

    ``cursor`` is the CRM's last-modified time up to which every change is committed here; it only
    moves after the batch it covers is committed. ``lock_owner``/``lock_until`` are a lease: one
    runner at a time across processes, and a crashed runner's lease simply runs out.
    """

    crm: str = Field(primary_key=True, max_length=32)
    cursor: datetime | None = None
    cursor_id: str | None = Field(default=None, max_length=64, description="With ``cursor``, a position in "
                                  "(last-modified, id) order: the last record committed of those modified at "
                                  "``cursor`` (Salesforce: many share one SystemModstamp); None: all of them.")
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_counts: str | None = Field(default=None, sa_column=Column(Text), description="JSON: the last run's counts.")
    lock_owner: str | None = Field(default=None, max_length=64)
    lock_until: datetime | None = None
    write_back: bool = Field(default=False, description="STAGECOACH_CRM_WRITE as the last run had it: confirmed "
                                                        "changes are queued for the CRM only while on.")


class DealPropertyChange(SQLModel, table=True):
    """A recorded change of a deal's close date or amount, for slippage and forecast changes.

    ``value`` is the new value as the CRM wrote it (an imported one: an ISO date, an amount to the cent);
    ``old_value`` the value it replaced when the source says (an import's ``old_value``), else None: the
    deal's previous recorded value is the old one.
    """

    __table_args__ = (
        UniqueConstraint("deal_id", "property", "changed_at", name="uq_dealpropertychange_event"),
        Index("ix_dealpropertychange_time", "changed_at", "property"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    property: str = Field(max_length=32, description="close_date or amount.")
    value: str | None = Field(default=None, max_length=64)
    old_value: str | None = Field(default=None, max_length=64)
    changed_at: datetime
    source: str = Field(default="hubspot", max_length=20)


class Target(SQLModel, table=True):
    """What a rep or a team is to win in a period (its local calendar days), from ``import targets`` or a
    manager's confirmed proposal; ``holder`` ("rep:<id>" or "team:<id>") keys one target per period."""

    __table_args__ = (UniqueConstraint("holder", "first_day", "last_day", name="uq_target_holder_period"),)

    id: int | None = Field(default=None, primary_key=True)
    holder: str = Field(max_length=32)
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    first_day: date
    last_day: date
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    set_by_id: int | None = Field(default=None, foreign_key="rep.id")
    set_at: datetime
    source: str = Field(default="import", max_length=20, description="import or chat.")


class CrmLink(SQLModel, table=True):
    """A deal read from a CRM, with the values last read there: write-back compares them with the CRM's
    current ones before it writes, so a change made in the CRM meanwhile is never overwritten."""

    deal_id: int = Field(primary_key=True, foreign_key="deal.id")
    crm: str = Field(max_length=32)
    crm_id: str = Field(max_length=64, index=True)
    pipeline: str | None = Field(default=None, max_length=64)
    stage: str | None = Field(default=None, max_length=64, description="The CRM's stage id as last read.")
    read_at: datetime
    modified_at: datetime | None = Field(default=None, description="When the CRM last modified the deal, as last read.")


class CrmOutbox(SQLModel, table=True):
    """A confirmed change waiting for (or delivered to) the CRM, written in the change's own transaction.

    ``marker`` goes into what the CRM stores (a task's or note's body), so after a crash between the
    CRM's reply and our commit the next attempt finds the object instead of creating a second one.
    """

    __table_args__ = (Index("ix_crmoutbox_status", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    kind: str = Field(max_length=16, description="stage, task, task_done, task_due, note, property.")
    payload: str = Field(sa_column=Column(Text, nullable=False))
    marker: str = Field(unique=True, max_length=64)
    status: str = Field(default="pending", max_length=16, description="pending, delivered, conflict, failed.")
    attempts: int = 0
    crm_object_id: str | None = Field(default=None, max_length=64)
    crm_changed_at: datetime | None = Field(default=None, description="A delivered stage move: when the CRM's "
                                            "history dates it, so reading it back finds our own move, not a new one.")
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    delivered_at: datetime | None = None
    told_at: datetime | None = Field(default=None, description="A conflict: when the deal's owner was told "
                                     "HubSpot's stage stood (each is told once).")
