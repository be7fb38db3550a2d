"""deal forecast category: commit, best case, pipeline or omitted, as the CRM or an import sets it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deal') as batch:
        batch.add_column(sa.Column('forecast_category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deal') as batch:
        batch.drop_column('forecast_category')
