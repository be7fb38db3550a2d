"""asked questions: answer buttons carry a short token, the question is kept here

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 03:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('askedquestion',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('thread_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    op.create_index(op.f('ix_askedquestion_asked_at'), 'askedquestion', ['asked_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_askedquestion_asked_at'), table_name='askedquestion')
    op.drop_table('askedquestion')
