"""actual use: no-show grace, self check-in, usage corrections

Facilities get the grace period after which an unchecked booking is a no-show and
whether enterprises may check themselves in; corrections of recorded use keep the
values before and after.

Revision ID: 7a36ae603a15
Revises: d9245f431c4a
Create Date: 2026-11-21 23:56:16.218958

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a36ae603a15'
down_revision = 'd9245f431c4a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('usage_record_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_usage_corrections_actor_id_users')),
    sa.ForeignKeyConstraint(['usage_record_id'], ['usage_records.id'], name=op.f('fk_usage_corrections_usage_record_id_usage_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_corrections'))
    )
    with op.batch_alter_table('usage_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_corrections_usage_record_id'), ['usage_record_id'], unique=False)

    # Plain ALTER TABLE ADD COLUMN: a batch rebuild of facilities would trip SQLite's foreign keys
    # from existing bookings.
    op.add_column('facilities', sa.Column('no_show_grace_minutes', sa.Integer(), server_default='15', nullable=False))
    op.add_column('facilities', sa.Column('self_check_in', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_column('self_check_in')
        batch_op.drop_column('no_show_grace_minutes')

    with op.batch_alter_table('usage_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_corrections_usage_record_id'))

    op.drop_table('usage_corrections')
