"""Calendar feed bodies: a feed's last answer, kept under its version

Rendering a busy facility's feed (hundreds of events) takes half a second; most
calendar clients fetch it again every few minutes, many without a conditional
request. The answer is kept in the database, so that every app host can serve it
again until the feed's version (its ETag) changes.

Revision ID: a7e5c3d9f210
Revises: a7c4e9d2b813
Create Date: 2026-11-22 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e5c3d9f210'
down_revision = 'a7c4e9d2b813'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed_bodies',
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['feed_id'], ['calendar_feeds.id'], name=op.f('fk_calendar_feed_bodies_feed_id_calendar_feeds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('feed_id', name=op.f('pk_calendar_feed_bodies'))
    )


def downgrade():
    op.drop_table('calendar_feed_bodies')
