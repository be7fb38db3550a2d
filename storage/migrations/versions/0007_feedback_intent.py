"""feedback intent: a verdict keeps the intent that answered, and is read by age for the admin's weekly list

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('answerfeedback') as batch:
        batch.add_column(sa.Column('intent', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.create_index(batch.f('ix_answerfeedback_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('answerfeedback') as batch:
        batch.drop_index(batch.f('ix_answerfeedback_created_at'))
        batch.drop_column('intent')
