"""A Salesforce Data Export and a HubSpot deals export import as exported, with their presets and no
hand editing, and the pipeline figures match ones computed by hand from the files (see each test).

The fixtures (tests/data/crm/) are written in the shape of the real exports: Salesforce's API column
names, latin-1 text, an account lookup file, MXN, COP and USD amounts, a User file with system users
and two users sharing an email, an OpportunityHistory with amount and close-date edits and no
from-stage; HubSpot's labels and internal stage ids, two pipelines, times without a zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from bot.cli import main
from bot.core.config import DEFAULT_PROCESS_FILE
from bot.core.runtime import Runtime
from storage import reports as store
from storage.access import Viewer
from storage.models import Deal, Rep, Role
from storage.reports import ReportScope
from storage.scorecard import figures_by_owner
from tests.importer.helpers import at, timeline

CRM = Path(__file__).resolve().parent.parent / "data" / "crm"
SALESFORCE, HUBSPOT = CRM / "salesforce", CRM / "hubspot"
ADMIN = Viewer(rep_id=0, name="Admin", role=Role.admin, team_id=None)
ORDER = ["prospect", "connect", "discover", "validate", "propose", "commit"]


@pytest.fixture
def shipped(settings, engine, clock) -> Runtime:
    """A runtime with the shipped map (b2b_default) active, whose stages the presets' stage names name."""
    return Runtime(settings.model_copy(update={"process_file": DEFAULT_PROCESS_FILE}), engine=engine, clock=clock)


@pytest.fixture
def stagecoach(shipped, db_url):
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(DEFAULT_PROCESS_FILE)}
    assert shipped.process.stage_keys == ORDER  # activates the shipped map in the database

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(main, ["import", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def _flow(runtime: Runtime, start: datetime, end: datetime) -> dict[str, tuple[int, int, int, int]]:
    with runtime.session() as session:
        return {f.stage_key: (f.at_start, f.entered, f.left, f.at_end)
                for f in store.flow_counts(session=session, viewer=ADMIN, scope=ReportScope(), start=start, end=end)}


def _conversion(runtime: Runtime, start: datetime, end: datetime) -> dict[str, tuple[int, int, int, int]]:
    with runtime.session() as session:
        return {c.stage_key: (c.entered, c.advanced, c.lost, c.still_in_stage)
                for c in store.conversion_counts(session=session, viewer=ADMIN, scope=ReportScope(), start=start,
                                                 end=end, stage_order=ORDER)}


def _won_lost(runtime: Runtime, start: datetime, end: datetime) -> dict[str, tuple[int, int, Decimal, float | None]]:
    with runtime.session() as session:
        names = {rep.id: rep.email for rep in session.exec(select(Rep)).all()}
        figures = figures_by_owner(session=session, viewer=ADMIN, start=start, end=end, today_starts={},
                                   stuck_entered_by={}, probabilities={})
        return {names[owner]: (f.won_count, f.lost_count, f.won_amount, f.win_rate) for owner, f in figures.items()
                if f.closed_count}


def test_a_salesforce_data_export_imports_as_exported(stagecoach, shipped):
    out = stagecoach("reps", "--preset", "salesforce", "--encoding", "latin-1", "--skip-invalid",
                     str(SALESFORCE / "User.csv"))
    assert "2 rows: 2 created" in out
    # The automated process and integration users are not people: left out, not errors.
    assert "2 user(s) left out, not people: row 3 (automated address autoproc@00d8a000000abcd); " \
           "row 4 (automated address noreply@00d8a000000abcd)" in out
    assert "1 invalid row(s) skipped (--skip-invalid): row 5 (line 6), column 'Email': duplicate email " \
           "'jose@acme.example' (also row 1)" in out

    out = stagecoach("deals", "--preset", "salesforce", "--encoding", "latin-1",
                     "--accounts", str(SALESFORCE / "Account.csv"), "--rates", str(SALESFORCE / "rates.csv"),
                     "--default-owner", "jose@acme.example", str(SALESFORCE / "Opportunity.csv"))
    assert "7 rows: 7 created" in out
    assert "2 amount(s) converted to USD with --rates: COP 1, MXN 1" in out
    # 006A0000006's owner is the second user with José's email, skipped above.
    assert "1 deal(s) given the default owner jose@acme.example; owner was: '005A0000005AAAA' (1)" in out

    out = stagecoach("history", "--preset", "salesforce", "--encoding", "latin-1",
                     str(SALESFORCE / "OpportunityHistory.csv"))
    # 19 rows: the 2 edits that keep the stage (rows 2 and 8) are skipped, 17 stage changes recorded; 10 of
    # them take their from-stage from the deal's previous row (every row after a deal's first).
    assert "19 rows: 17 stage changes created, 0 already recorded" in out
    assert "2 row(s) skipped: the stage did not change (amount or close-date edits)" in out
    assert "10 missing from-stage(s) taken from the deal's previous row or its imported stage" in out

    with shipped.session() as session:
        bacardi = session.exec(select(Deal).where(Deal.external_id == "006A0000001AAAA")).one()
    # By hand: 250,000.00 MXN x 0.05 = 12,500.00 USD; the account name from Account.csv, in latin-1.
    assert (bacardi.account, bacardi.amount, bacardi.currency) == ("Bacardí México", Decimal("12500.00"), "USD")
    # Won, then lost: the won -> lost move is kept.
    assert [(f, t) for f, t, _, _ in timeline(shipped, "006A0000005AAAA")] == [
        (None, "discover"), ("discover", "won"), ("won", "lost")]

    # September 2026, by hand from OpportunityHistory (stage names -> the shipped map: Prospecting = prospect,
    # Qualification = connect, Needs Analysis = discover, Value Proposition = validate, Proposal/Price
    # Quote = propose, Negotiation/Review = commit). (at start, entered, left, at end):
    #   prospect: 006-1, -2, -3 entered and left in July/August; 006-6 entered 09-02       -> 0, 1, 0, 1
    #   connect:  006-2 (since 07-25) lost 09-20, 006-4 (since 08-01) won 09-05             -> 2, 0, 2, 0
    #   discover: 006-5 (since 08-03) won 09-01 10:00                                      -> 1, 0, 1, 0
    #   validate: 006-3 (since 08-05) to commit 09-15                                      -> 1, 0, 1, 0
    #   propose:  006-1 (since 08-10) won 09-10                                            -> 1, 0, 1, 0
    #   commit:   006-3 entered 09-15                                                      -> 0, 1, 0, 1
    assert _flow(shipped, at(2026, 9, 1), at(2026, 10, 1)) == {
        "prospect": (0, 1, 0, 1), "connect": (2, 0, 2, 0), "discover": (1, 0, 1, 0), "validate": (1, 0, 1, 0),
        "propose": (1, 0, 1, 0), "commit": (0, 1, 0, 1)}
    # July to September, entries and what came next (entered, advanced, lost, still):
    #   prospect: 006-1 -> discover, 006-2 -> connect, 006-3 -> validate advanced; 006-6 still      -> 4, 3, 0, 1
    #   connect:  006-2 -> lost; 006-4 -> won                                                      -> 2, 1, 1, 0
    #   discover: 006-1 -> propose, 006-5 -> won                                                   -> 2, 2, 0, 0
    #   validate: 006-3 -> commit; propose: 006-1 -> won; commit: 006-3 still                       -> 1,1,0,0 ...
    # 006-7 was created closed (its only row is Closed Won): no stage is invented for it.
    assert _conversion(shipped, at(2026, 7, 1), at(2026, 10, 1)) == {
        "prospect": (4, 3, 0, 1), "connect": (2, 1, 1, 0), "discover": (2, 2, 0, 0), "validate": (1, 1, 0, 0),
        "propose": (1, 1, 0, 0), "commit": (1, 0, 0, 1)}
    # Win rate in Q3 by owner, from StageName and the last history row:
    #   José: 006-1 won (12,500.00 USD), 006-5 lost (won, then lost)         -> 1 won, 1 lost, 50%
    #   Ana:  006-4 won (5,000), 006-7 won (3,000), 006-2 lost               -> 2 won, 1 lost, 2/3
    assert _won_lost(shipped, at(2026, 7, 1), at(2026, 10, 1)) == {
        "jose@acme.example": (1, 1, Decimal("12500.00"), 0.5),
        "ana@acme.example": (2, 1, Decimal("8000.00"), 2 / 3)}


def test_a_hubspot_deals_export_imports_as_exported(stagecoach, shipped):
    # HubSpot's user list has first and last names apart: one name built from the two columns.
    stagecoach("reps", "--preset", "hubspot", "--map", "First Name+Last Name=name", str(HUBSPOT / "users.csv"))
    with shipped.session() as session:
        assert {(r.name, r.crm_id) for r in session.exec(select(Rep)).all()} == {
            ("José Núñez", "71000001"), ("Ana Gómez", "71000002")}

    out = stagecoach("deals", "--preset", "hubspot", "--pipeline", "Sales Pipeline", "--timezone", "America/New_York",
                     str(HUBSPOT / "deals.csv"))
    assert "5 rows: 5 created" in out
    assert "2 row(s) skipped: not in pipeline 'Sales Pipeline'" in out

    # Labels and internal ids alike: Appointment Scheduled = connect, qualifiedtobuy = discover, contractsent = commit.
    # Times are New York's (EDT, UTC-4): 2026-09-03 09:00 there is 13:00 UTC.
    assert timeline(shipped, "9001") == [(None, "connect", at(2026, 9, 3, 13), "import-snapshot")]
    assert timeline(shipped, "9002")[0][:3] == (None, "discover", at(2026, 9, 10, 19, 30))
    assert timeline(shipped, "9003")[0][:3] == (None, "commit", at(2026, 9, 20, 4))

    # September, by hand: each open deal entered its current stage then (the export's "Date entered current
    # stage"); the two closed deals have no stage history (only their close) and are in no stage figure.
    assert _flow(shipped, at(2026, 9, 1), at(2026, 10, 1)) == {
        "connect": (0, 1, 0, 1), "discover": (0, 1, 0, 1), "commit": (0, 1, 0, 1)}
    assert _conversion(shipped, at(2026, 9, 1), at(2026, 10, 1)) == {
        "connect": (1, 0, 0, 1), "discover": (1, 0, 0, 1), "commit": (1, 0, 0, 1)}
    # Won/lost in September: Ana won 9004 (4,000), José lost 9005 -> 100% and 0%.
    assert _won_lost(shipped, at(2026, 9, 1), at(2026, 10, 1)) == {
        "ana@acme.example": (1, 0, Decimal("4000.00"), 1.0), "jose@acme.example": (0, 1, Decimal("0"), 0.0)}


def test_without_the_pipeline_filter_another_pipelines_stages_are_named(shipped, db_url, stagecoach):
    stagecoach("reps", "--preset", "hubspot", "--map", "First Name+Last Name=name", str(HUBSPOT / "users.csv"))
    env = {"STAGECOACH_DATABASE_URL": db_url, "STAGECOACH_PROCESS_FILE": str(DEFAULT_PROCESS_FILE)}
    result = CliRunner().invoke(main, ["import", "deals", "--preset", "hubspot", str(HUBSPOT / "deals.csv")], env=env)
    assert result.exit_code == 1
    assert "row 6 (line 7), column 'Deal Stage': unknown stage '19283746'" in result.output


def test_the_fixtures_are_what_they_claim():
    # latin-1, not UTF-8: the Salesforce files fail to decode as UTF-8.
    with pytest.raises(UnicodeDecodeError):
        (SALESFORCE / "User.csv").read_text(encoding="utf-8")
    assert "José" in (SALESFORCE / "User.csv").read_text(encoding="latin-1")
