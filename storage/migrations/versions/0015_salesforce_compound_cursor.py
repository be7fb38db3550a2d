"""salesforce compound cursor: the sync cursor is a (last-modified, id) position

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('syncstate') as batch:
        batch.add_column(sa.Column('cursor_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('syncstate') as batch:
        batch.drop_column('cursor_id')
