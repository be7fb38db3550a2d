"""property change old value: an imported close-date or amount change keeps the value it replaced

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('dealpropertychange') as batch:
        batch.add_column(sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dealpropertychange') as batch:
        batch.drop_column('old_value')
