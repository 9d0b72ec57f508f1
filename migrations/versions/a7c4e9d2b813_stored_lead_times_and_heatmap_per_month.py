"""Stored months also hold lead times and the heatmap

A stored facility-month now also holds the lead times of its decisions (a count per distinct
value: the nearest-rank percentiles stay exact) and its booked minutes per weekday and hour, so
a year's report reads no bookings for its closed months. The months stored before lack them:
they are forgotten here and stored again by ``flask --app booking report-months``.

Revision ID: a7c4e9d2b813
Revises: f3a8d2c61b07
Create Date: 2026-11-22 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c4e9d2b813'
down_revision = 'f3a8d2c61b07'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM report_month_pairs")
    op.execute("DELETE FROM report_months")
    op.add_column('report_months', sa.Column('heat', sa.Text(), nullable=True))
    op.create_table('report_month_leads',
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('lead_s', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'],
                            name=op.f('fk_report_month_leads_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facility_id', 'month', 'lead_s', name=op.f('pk_report_month_leads'))
    )


def downgrade():
    op.drop_table('report_month_leads')
    op.execute("DELETE FROM report_month_pairs")
    op.execute("DELETE FROM report_months")
    with op.batch_alter_table('report_months') as batch_op:
        batch_op.drop_column('heat')
