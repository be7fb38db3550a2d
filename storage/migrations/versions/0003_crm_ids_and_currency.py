"""CRM exports as exported: reps carry their CRM user id, deals the currency of their amount

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rep', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crm_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_rep_crm_id'), ['crm_id'])
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_column('currency')
    with op.batch_alter_table('rep', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_rep_crm_id'), type_='unique')
        batch_op.drop_column('crm_id')
