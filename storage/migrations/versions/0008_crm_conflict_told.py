"""crm conflict told: a write-back the CRM's newer stage kept out is told to the deal's owner once

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('crmoutbox') as batch:
        batch.add_column(sa.Column('told_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crmoutbox') as batch:
        batch.drop_column('told_at')
