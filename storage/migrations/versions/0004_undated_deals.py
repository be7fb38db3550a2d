"""undated deals: an open deal imported without any date is in its stage since an unknown date

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undated', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_column('undated')
