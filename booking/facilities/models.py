from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Numeric, String, Table
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..accounts.models import User
from ..db import Money, UTCDateTime
from ..extensions import db
from ..organisation.models import Chain, Enterprise, Named
from ..timeutil import utcnow, zone

KINDS = {
    "production_line": _l("Production line"),
    "livestream_studio": _l("Livestream studio"),
    "rd_centre": _l("R&D centre"),
    "lab": _l("Laboratory"),
    "meeting_room": _l("Meeting / negotiation room"),
    "training_room": _l("Training room"),
    "exhibition_hall": _l("Exhibition hall"),
    "other": _l("Other"),
}

RATE_UNITS = {"hour": _l("per hour"), "unit": _l("per unit of output")}
BILLING_BASES = {"booked": _l("Booked time"), "actual": _l("Actual time"),
                 "max": _l("The larger of booked and actual time")}
# Units of output a facility records (the stored code is shown through its label).
OUTPUT_UNITS = {"pairs": _l("pairs"), "pieces": _l("pieces"), "sessions": _l("sessions"),
                "samples": _l("samples")}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

facility_managers = Table(
    "facility_managers",
    db.metadata,
    Column("facility_id", ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Facility(Named, db.Model):
    __tablename__ = "facilities"
    __table_args__ = (
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
        CheckConstraint("min_minutes > 0 AND max_minutes >= min_minutes", name="duration_range"),
        CheckConstraint("buffer_minutes >= 0 AND min_notice_minutes >= 0 AND max_advance_days > 0",
                        name="notice_range"),
        CheckConstraint("cancel_notice_minutes >= 0 AND (reminder_hours IS NULL OR reminder_hours > 0)",
                        name="cancel_reminder_range"),
        CheckConstraint("(peak_start_minute IS NULL) = (peak_end_minute IS NULL) AND "
                        "(peak_start_minute IS NULL OR (peak_start_minute >= 0 AND peak_end_minute <= 1440 "
                        "AND peak_start_minute < peak_end_minute))", name="peak_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("chains.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    # None: the chain's committee hosts it; otherwise an enterprise shares its own asset.
    host_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    park: Mapped[str] = mapped_column(String(120), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    capacity: Mapped[int | None]
    throughput_per_hour: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    output_unit: Mapped[str] = mapped_column(String(32), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))  # None: the chain's zone
    active: Mapped[bool] = mapped_column(default=True)

    requires_approval: Mapped[bool] = mapped_column(default=True)
    slot_minutes: Mapped[int] = mapped_column(default=30)
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int] = mapped_column(default=480)
    min_notice_minutes: Mapped[int] = mapped_column(default=60)
    max_advance_days: Mapped[int] = mapped_column(default=90)
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    # The longest any booking of the facility has ever blocked (buffer included), in whole minutes rounded
    # up: overlap searches start their index range that long before the period. Only the database writes
    # it (a trigger on bookings, see migration e4b1c07d5a21), so it holds whatever path wrote a booking.
    longest_block_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    # A booking not checked in this long after its start becomes a no-show.
    no_show_grace_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    # Whether the booking's enterprise may check itself in and out (otherwise managers only).
    self_check_in: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Cancelling less than this before the start is late: recorded, and charged the late-cancellation fee.
    cancel_notice_minutes: Mapped[int] = mapped_column(default=1440, server_default="1440")
    # Remind the booking's requester this many hours before the start (None: no reminder).
    reminder_hours: Mapped[int | None]
    # Peak hours (local minutes after midnight on the weekdays listed as digits, 0 = Monday), which
    # peak-only quotas count; None: the facility has no peak hours.
    peak_start_minute: Mapped[int | None]
    peak_end_minute: Mapped[int | None]
    peak_weekdays: Mapped[str] = mapped_column(String(7), default="01234", server_default="01234")

    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    rate_unit: Mapped[str] = mapped_column(String(8), default="hour")
    shared_rate: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    reference_rate: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    billing_basis: Mapped[str] = mapped_column(String(8), default="booked")
    no_show_fee: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    late_cancel_fee: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    chain: Mapped[Chain] = relationship(lazy="joined")
    host_enterprise: Mapped[Enterprise | None] = relationship()
    hours: Mapped[list[BookableHours]] = relationship(
        back_populates="facility", cascade="all, delete-orphan",
        order_by="(BookableHours.weekday, BookableHours.start_minute)")
    managers: Mapped[list[User]] = relationship(
        secondary=facility_managers,
        backref=backref("managed_facilities", order_by="Facility.name"))

    @property
    def tzname(self) -> str:
        return self.timezone or self.chain.timezone

    @property
    def tz(self):
        return zone(self.tzname)

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))


class BookableHours(db.Model):
    """One bookable window on a weekday, in minutes after local midnight (end may be 1440)."""
    __tablename__ = "bookable_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
                        name="window_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    start_minute: Mapped[int]
    end_minute: Mapped[int]

    facility: Mapped[Facility] = relationship(back_populates="hours")


class Closure(db.Model):
    """A closure or maintenance window: nobody books inside it without an override."""
    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="interval"),
        Index("ix_closures_facility_start", "facility_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16), default="closure")  # closure | maintenance
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship()
