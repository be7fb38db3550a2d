"""crm sync: each CRM's sync cursor and runner lease, deals' close-date and amount changes, CRM links and outbox, deals deleted in the CRM

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deal') as batch:
        batch.add_column(sa.Column('archived_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table('syncstate',
    sa.Column('crm', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('cursor', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_run_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_success_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_counts', sa.Text(), nullable=True),
    sa.Column('lock_owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('lock_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('write_back', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('crm')
    )
    op.create_table('dealpropertychange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('property', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('deal_id', 'property', 'changed_at', name='uq_dealpropertychange_event')
    )
    op.create_index('ix_dealpropertychange_time', 'dealpropertychange', ['changed_at', 'property'], unique=False)
    op.create_table('crmlink',
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('crm', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('crm_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pipeline', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('deal_id')
    )
    op.create_index(op.f('ix_crmlink_crm_id'), 'crmlink', ['crm_id'], unique=False)
    op.create_table('crmoutbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('marker', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('crm_object_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('crm_changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('marker')
    )
    op.create_index('ix_crmoutbox_status', 'crmoutbox', ['status', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_crmoutbox_status', table_name='crmoutbox')
    op.drop_table('crmoutbox')
    op.drop_index(op.f('ix_crmlink_crm_id'), table_name='crmlink')
    op.drop_table('crmlink')
    op.drop_index('ix_dealpropertychange_time', table_name='dealpropertychange')
    op.drop_table('dealpropertychange')
    op.drop_table('syncstate')
    with op.batch_alter_table('deal') as batch:
        batch.drop_column('archived_at')
