"""The schema comes from migrations, the migrations match the models, and released ones never change."""

import hashlib
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, inspect, text
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.db import MIGRATIONS_DIR, alembic_config, head_revision, make_engine, migrate, stored_revisions
from storage.models import (
    Activity,
    CriterionCheck,
    Deal,
    DealStatus,
    FollowUp,
    ProposalDecision,
    Rep,
    StageChange,
    Team,
)

VERSIONS = MIGRATIONS_DIR / "versions"
# Released migrations, as shipped. A database made by a release already ran these files: changing one
# does nothing to such a database and leaves it out of step with the models. Add a new migration instead.
RELEASED = {
    "0001_initial.py": "a6c0a9e259ea2a5bd3f51da4540b09a31685dec2a919dd2fd47d3efd17f9afdc",
    "0002_proposal_decisions.py": "bf476ef35339899519df42a766d5c7a3e33b13039315d3beaf9d016e7da9cf04",
}
LAST_RELEASED = "0002"


def test_migrations_create_every_table_and_match_the_models(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], ("models changed without a migration: add one chained after the newest in "
                        "storage/migrations/versions (alembic revision --autogenerate)")


def test_migrate_is_idempotent(engine):
    assert migrate(engine) is False  # a second run on an up-to-date schema leaves alembic out and does not fail
    assert "deal" in inspect(engine).get_table_names()


def test_the_newest_migration_read_from_the_files_is_the_one_alembic_finds(engine):
    assert head_revision() == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head_revision() == sorted(p.name.split("_")[0] for p in VERSIONS.glob("[0-9]*.py"))[-1]


def test_migrate_runs_alembic_on_a_fresh_or_older_database_and_skips_it_at_the_newest(db_url):
    engine = make_engine(db_url)
    try:
        assert stored_revisions(engine) == []
        assert migrate(engine) is True
        assert stored_revisions(engine) == [head_revision()]
        assert migrate(engine) is False
        command.downgrade(alembic_config(engine), "-1")  # one migration behind: the next start upgrades
        assert stored_revisions(engine) != [head_revision()]
        assert migrate(engine) is True
        assert stored_revisions(engine) == [head_revision()]
    finally:
        engine.dispose()


def test_a_start_on_an_up_to_date_database_does_not_import_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'up_to_date.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    check = ("import sys; from storage.db import make_engine, migrate; "
             f"assert migrate(make_engine({url!r})) is False; "
             "assert not [m for m in sys.modules if m.split('.')[0] == 'alembic'], 'alembic was imported'")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_migration_is_unchanged(name):
    digest = hashlib.sha256((VERSIONS / name).read_bytes()).hexdigest()
    assert digest == RELEASED[name], (f"{name} was released and must never change; revert it and put the "
                                      "change in a new migration")


def test_no_tool_regenerates_a_migration_in_place():
    assert not (MIGRATIONS_DIR / "regen.py").exists()


_T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _released_database(url: str):
    """A database as the last release left it: schema by its migrations, rows written with plain SQL."""
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), LAST_RELEASED)
    rows = [
        ("INSERT INTO team (id, name, timezone, slack_channel_id) VALUES (1, 'East', 'Europe/Paris', 'C1')", {}),
        ("INSERT INTO rep (id, slack_user_id, email, name, role, team_id, manager_id, timezone) VALUES "
         "(1, 'UMGR', 'mia@example.com', 'Mia', 'manager', 1, NULL, 'UTC'), "
         "(2, 'UALICE', 'alice@example.com', 'Alice', 'rep', 1, 1, 'Europe/Paris')", {}),
        ("INSERT INTO deal (id, external_id, name, account, owner_id, stage_key, amount, status, created_at, "
         "stage_entered_at, close_date, closed_at, next_step) VALUES "
         "(1, 'D-1', 'Globex renewal', 'Globex', 2, 'qualify', 12500.50, 'open', :t, :t, '2026-12-15', NULL, 'call'), "
         "(2, 'D-2', 'Hooli pilot', 'Hooli', 2, 'close', 900, 'won', :t, :t, NULL, :t, NULL)", {"t": _T0}),
        ("INSERT INTO stagechange (id, deal_id, from_stage, to_stage, changed_at, changed_by_id, override_reason, source) "
         "VALUES (1, 1, 'discover', 'qualify', :t, 2, 'buyer asked', 'slack')", {"t": _T0}),
        ("INSERT INTO criterioncheck (id, deal_id, stage_key, criterion_key, met, evidence, checked_at, checked_by_id) "
         "VALUES (1, 1, 'qualify', 'budget_confirmed', TRUE, 'CFO said yes', :t, 2)", {"t": _T0}),
        ("INSERT INTO activity (id, deal_id, activity_key, note, occurred_at, rep_id) "
         "VALUES (1, 1, 'discovery_call', 'good call', :t, 2)", {"t": _T0}),
        ("INSERT INTO followup (id, deal_id, due_at, note, done_at, created_at, created_by_id) "
         "VALUES (1, 1, :t, 'send ROI case', NULL, :t, 2)", {"t": _T0}),
        ("INSERT INTO proposaldecision (token, rep_id, deal_id, outcome, decided_at) "
         "VALUES ('tok-1', 2, 1, 'applied', :t)", {"t": _T0}),
    ]
    with engine.begin() as conn:
        for sql, params in rows:
            # Times bound as the release bound them (its UTCDateTime column type), so they read back alike.
            statement = text(sql).bindparams(bindparam("t", type_=UTCDateTime())) if params else text(sql)
            conn.execute(statement, params)
    return engine


def test_a_database_made_by_the_released_schema_upgrades_and_keeps_its_rows(db_url):
    engine = _released_database(db_url)
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == LAST_RELEASED
        migrate(engine)
        with engine.connect() as conn:
            head = MigrationContext.configure(conn).get_current_revision()
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert head == sorted(p.name.split("_")[0] for p in VERSIONS.glob("[0-9]*.py"))[-1]
        assert diff == []
        with Session(engine) as session:
            assert session.get(Team, 1).timezone == "Europe/Paris"
            alice = session.exec(select(Rep).where(Rep.email == "alice@example.com")).one()
            assert (alice.slack_user_id, alice.role.value, alice.manager_id, alice.team_id) == ("UALICE", "rep", 1, 1)
            deals = {d.external_id: d for d in session.exec(select(Deal)).all()}
            assert set(deals) == {"D-1", "D-2"}
            globex = deals["D-1"]
            assert (globex.name, globex.owner_id, globex.stage_key, globex.status) == \
                ("Globex renewal", 2, "qualify", DealStatus.open)
            assert globex.amount == Decimal("12500.50")
            assert globex.close_date == date(2026, 12, 15)
            assert globex.stage_entered_at == _T0
            assert deals["D-2"].status == DealStatus.won and deals["D-2"].closed_at == _T0
            change = session.exec(select(StageChange)).one()
            assert (change.from_stage, change.to_stage, change.override_reason) == ("discover", "qualify", "buyer asked")
            check = session.exec(select(CriterionCheck)).one()
            assert (check.criterion_key, check.met, check.evidence) == ("budget_confirmed", True, "CFO said yes")
            assert session.exec(select(Activity)).one().note == "good call"
            assert session.exec(select(FollowUp)).one().note == "send ROI case"
            assert session.exec(select(ProposalDecision)).one().outcome == "applied"
            # The upgraded database takes new rows through the models, new columns included.
            session.add(Deal(id=3, external_id="D-3", name="Initech", account="Initech", owner_id=2, stage_key="discover",
                             amount=Decimal("10"), status=DealStatus.open, created_at=_T0, stage_entered_at=_T0))
            session.commit()
            assert len(session.exec(select(Deal)).all()) == 3
    finally:
        engine.dispose()


def test_the_released_fixture_really_is_the_old_schema(db_url):
    """The fixture above must stand for the release: before upgrading it lacks what later migrations add."""
    engine = _released_database(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff, "the released schema already matches the models: the upgrade test would prove nothing"
    finally:
        engine.dispose()


def test_migration_files_are_all_here():
    assert {p.name for p in VERSIONS.glob("000[12]_*.py")} == set(RELEASED)
    assert Path(VERSIONS / "0001_initial.py").is_file()
