"""crm link modified: a synced deal's last-modified time in the CRM, as last read

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('crmlink') as batch:
        batch.add_column(sa.Column('modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crmlink') as batch:
        batch.drop_column('modified_at')
