"""charges per unit, enterprise baselines

A charge records the units billed where a facility charges per unit of output; an
enterprise records its stand-alone output per hour for a facility kind, against which
the reports measure the efficiency uplift of sharing.

Revision ID: ab01723150e6
Revises: 7a36ae603a15
Create Date: 2026-11-22 00:48:37.041841

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab01723150e6'
down_revision = '7a36ae603a15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('enterprise_baselines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('output_per_hour', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('output_unit', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_enterprise_baselines_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_baselines')),
    sa.UniqueConstraint('enterprise_id', 'kind', name=op.f('uq_enterprise_baselines_enterprise_id'))
    )
    with op.batch_alter_table('enterprise_baselines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_baselines_enterprise_id'), ['enterprise_id'], unique=False)

    op.add_column('charges', sa.Column('billable_quantity', sa.Numeric(precision=14, scale=2), nullable=True))



def downgrade():
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.drop_column('billable_quantity')

    with op.batch_alter_table('enterprise_baselines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_baselines_enterprise_id'))

    op.drop_table('enterprise_baselines')
