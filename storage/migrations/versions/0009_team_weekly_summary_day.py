"""team weekly summary day: the weekday a team's manager gets the weekly summary DM (none: the default)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('team') as batch:
        batch.add_column(sa.Column('summary_day', sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('team') as batch:
        batch.drop_column('summary_day')
