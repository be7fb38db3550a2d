"""The schema comes from migrations, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from storage.db import migrate


def test_migrations_create_every_table_and_match_the_models(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "models changed without a migration: run python -m storage.migrations.regen"


def test_migrate_is_idempotent(engine):
    migrate(engine)  # a second run on an up-to-date schema changes nothing and does not fail
    assert "deal" in inspect(engine).get_table_names()
