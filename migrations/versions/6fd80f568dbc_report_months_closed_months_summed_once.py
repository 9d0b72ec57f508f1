"""report months: closed months summed once

The report engine stores, per facility and local month, what it sums from the bookings, so that
a year's report reads twelve months of sums instead of its bookings.

Revision ID: 6fd80f568dbc
Revises: ab01723150e6
Create Date: 2026-11-22 02:11:51.317858

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6fd80f568dbc'
down_revision = 'ab01723150e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_month_pairs',
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('merged_s', sa.Float(), nullable=False),
    sa.Column('raw_s', sa.Float(), nullable=False),
    sa.Column('slot_s', sa.Float(), nullable=False),
    sa.Column('actual_s', sa.Float(), nullable=False),
    sa.Column('in_slot_s', sa.Float(), nullable=False),
    sa.Column('reached', sa.Float(), nullable=False),
    sa.Column('no_shows', sa.Float(), nullable=False),
    sa.Column('sessions', sa.Float(), nullable=False),
    sa.Column('output', sa.Float(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('shared', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('reference', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('fees', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('outside_s', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_report_month_pairs_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_report_month_pairs_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facility_id', 'month', 'enterprise_id', name=op.f('pk_report_month_pairs'))
    )
    op.create_table('report_months',
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('outside_s', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_report_months_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facility_id', 'month', name=op.f('pk_report_months'))
    )


def downgrade():
    op.drop_table('report_months')
    op.drop_table('report_month_pairs')
