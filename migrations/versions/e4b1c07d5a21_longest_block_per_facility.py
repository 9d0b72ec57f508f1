"""The longest block per facility, so that overlap searches are bounded from below

A booking meets [start, end) when it starts before ``end`` and blocks past
``start``. The (facility, start) index can only use the first half, so every
overlap search read the facility's whole history. No booking of a facility
blocks longer than ``longest_block_minutes``, so it also starts after
``start - longest_block_minutes``: a short index range. The column only grows
(a trigger raises it on every insert or move, whatever writes the row); rules
such as the longest booking may change, the bookings already made stay.

The SQLite overlap trigger gets the same lower bound.

Revision ID: e4b1c07d5a21
Revises: c36735f2936f
Create Date: 2026-11-22 10:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b1c07d5a21'
down_revision = 'c36735f2936f'
branch_labels = None
depends_on = None

BLOCKING = "('approved', 'checked_in')"
# Whole minutes, rounded up (SQLite without its math functions: truncated plus one).
PG_MINUTES = "CEIL(EXTRACT(EPOCH FROM ({row}.block_end - {row}.start_at)) / 60)::integer"
SQLITE_MINUTES = "(CAST((julianday({row}.block_end) - julianday({row}.start_at)) * 1440 AS INTEGER) + 1)"

PG_FUNCTION = f"""
CREATE FUNCTION bookings_raise_longest_block() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE facilities SET longest_block_minutes = {PG_MINUTES.format(row="NEW")}
    WHERE id = NEW.facility_id AND longest_block_minutes < {PG_MINUTES.format(row="NEW")};
    RETURN NULL;
END $$
"""
SQLITE_RAISE = f"""
    UPDATE facilities SET longest_block_minutes = {SQLITE_MINUTES.format(row="NEW")}
    WHERE id = NEW.facility_id AND longest_block_minutes < {SQLITE_MINUTES.format(row="NEW")};
"""
# Stored SQLite datetimes read 'YYYY-MM-DD HH:MM:SS.ffffff', so strings compare as instants; one minute
# of slack covers the milliseconds that strftime keeps.
SQLITE_EARLIEST = """strftime('%Y-%m-%d %H:%M:%f', NEW.start_at,
    '-' || ((SELECT longest_block_minutes FROM facilities WHERE id = NEW.facility_id) + 1) || ' minutes')"""


def sqlite_overlap(bounded: bool) -> str:
    lower = f"AND other.start_at >= {SQLITE_EARLIEST}" if bounded else ""
    return f"""
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM bookings AS other
        WHERE other.facility_id = NEW.facility_id AND other.id IS NOT NEW.id
          AND other.status IN {BLOCKING}
          AND other.start_at < NEW.block_end AND NEW.start_at < other.block_end {lower}
    );
"""


def create_sqlite_overlap_guard(bounded: bool):
    op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_insert")
    op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_update")
    op.execute(f"""CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings
        WHEN NEW.status IN {BLOCKING} BEGIN {sqlite_overlap(bounded)} END""")
    op.execute(f"""CREATE TRIGGER bookings_no_overlap_update
        BEFORE UPDATE OF status, facility_id, start_at, end_at, block_end ON bookings
        WHEN NEW.status IN {BLOCKING} BEGIN {sqlite_overlap(bounded)} END""")


def upgrade():
    # Plain ADD COLUMN: a batch rebuild of facilities would trip SQLite's foreign keys.
    op.add_column('facilities', sa.Column('longest_block_minutes', sa.Integer(), server_default='0',
                                          nullable=False))
    dialect = op.get_bind().dialect.name
    minutes = (PG_MINUTES if dialect == "postgresql" else SQLITE_MINUTES).format(row="bookings")
    op.execute(f"""UPDATE facilities SET longest_block_minutes = COALESCE(
        (SELECT MAX({minutes}) FROM bookings WHERE bookings.facility_id = facilities.id), 0)""")
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("""CREATE TRIGGER bookings_longest_block
            AFTER INSERT OR UPDATE OF facility_id, start_at, block_end ON bookings
            FOR EACH ROW EXECUTE FUNCTION bookings_raise_longest_block()""")
    elif dialect == "sqlite":
        op.execute(f"""CREATE TRIGGER bookings_longest_block_insert AFTER INSERT ON bookings
            BEGIN {SQLITE_RAISE} END""")
        op.execute(f"""CREATE TRIGGER bookings_longest_block_update
            AFTER UPDATE OF facility_id, start_at, block_end ON bookings
            BEGIN {SQLITE_RAISE} END""")
        create_sqlite_overlap_guard(bounded=True)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS bookings_longest_block ON bookings")
        op.execute("DROP FUNCTION IF EXISTS bookings_raise_longest_block()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS bookings_longest_block_insert")
        op.execute("DROP TRIGGER IF EXISTS bookings_longest_block_update")
        create_sqlite_overlap_guard(bounded=False)
    op.drop_column('facilities', 'longest_block_minutes')
