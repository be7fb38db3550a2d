"""deal archived index: the few deals deleted in the CRM, so an admin's reports anti-join them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 20:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_deal_archived', 'deal', ['archived_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deal_archived', table_name='deal')
