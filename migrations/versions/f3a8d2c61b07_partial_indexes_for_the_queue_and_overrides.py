"""Partial indexes: pending requests by facility, overridden bookings

The approval queue asks for a manager's facilities' pending requests, oldest first:
without its own index the database walked every booking of those facilities. Reports ask
for the bookings made outside the rules (a handful): without one they read every booking.
Both indexes hold only the rows they serve.

Revision ID: f3a8d2c61b07
Revises: e4b1c07d5a21
Create Date: 2026-11-22 10:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a8d2c61b07'
down_revision = 'e4b1c07d5a21'
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"
# As SQLAlchemy writes `rules_overridden.is_(True)` in each dialect: the planners match the text.
OVERRIDDEN = {"sqlite": "rules_overridden IS 1", "postgresql": "rules_overridden IS true"}


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_index('ix_bookings_pending', 'bookings', ['facility_id', 'created_at'],
                    postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))
    overridden = sa.text(OVERRIDDEN.get(dialect, "rules_overridden"))
    op.create_index('ix_bookings_overridden', 'bookings', ['facility_id', 'start_at'],
                    postgresql_where=overridden, sqlite_where=overridden)


def downgrade():
    op.drop_index('ix_bookings_overridden', table_name='bookings')
    op.drop_index('ix_bookings_pending', table_name='bookings')
