from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, false, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..facilities.models import Facility
from ..organisation.models import Enterprise
from ..timeutil import utcnow

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
CANCELLED = "cancelled"
CHECKED_IN = "checked_in"
COMPLETED = "completed"
NO_SHOW = "no_show"

STATUSES = {
    PENDING: _l("Pending"),
    APPROVED: _l("Approved"),
    REJECTED: _l("Rejected"),
    CANCELLED: _l("Cancelled"),
    CHECKED_IN: _l("Checked in"),
    COMPLETED: _l("Completed"),
    NO_SHOW: _l("No-show"),
}
# Bookings that hold the facility: they may never overlap (buffers included).
BLOCKING = (APPROVED, CHECKED_IN)
# Bookings still in play: a new request may not overlap a blocking one, pending ones compete.
OPEN = (PENDING, APPROVED, CHECKED_IN)


class Series(db.Model):
    """A recurring request (RFC 5545 RRULE), materialised as one booking per occurrence."""
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rrule: Mapped[str] = mapped_column(String(500))
    tzid: Mapped[str] = mapped_column(String(64))
    # The first occurrence (its local wall-clock time in ``tzid`` repeats) and every occurrence's length.
    dtstart: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(500), default="")
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    facility: Mapped[Facility] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    requester: Mapped[User] = relationship()


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("start_at < end_at AND end_at <= block_end", name="interval"),
        Index("ix_bookings_facility_start", "facility_id", "start_at"),
        Index("ix_bookings_enterprise_start", "enterprise_id", "start_at"),
        Index("ix_bookings_status_created", "status", "created_at"),
        # Partial: the approval queue's requests, and the few bookings made outside the rules (reports).
        # Queries name the literal status (see approval_queue_query), so that planners can match it.
        Index("ix_bookings_pending", "facility_id", "created_at",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_bookings_overridden", "facility_id", "start_at",
              sqlite_where=text("rules_overridden IS 1"), postgresql_where=text("rules_overridden IS true")),
        # The database's own guarantee on PostgreSQL; SQLite gets a trigger (see migrations).
        ExcludeConstraint(
            (text("facility_id"), "="),
            (func.tstzrange(text("start_at"), text("block_end"), "[)"), "&&"),
            using="gist",
            where=text("status IN ('approved', 'checked_in')"),
            name="bookings_no_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # end_at plus the facility's changeover buffer at booking time: what the slot really blocks.
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    purpose: Mapped[str] = mapped_column(String(500), default="")
    planned_output: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    output_unit: Mapped[str] = mapped_column(String(32), default="")
    # Booked outside bookable hours or inside a closure by a manager's or admin's override.
    rules_overridden: Mapped[bool] = mapped_column(default=False)
    # Requested beyond a quota that accepts overruns as pending: the manager sees the flag (details in
    # the request's event) and approving it is an exception, recorded in the audit trail.
    over_quota: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(String(500), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    # iCalendar SEQUENCE: bumped on every change that a calendar should pick up.
    sequence: Mapped[int] = mapped_column(default=0)

    facility: Mapped[Facility] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    series: Mapped[Series | None] = relationship()
    events: Mapped[list[BookingEvent]] = relationship(
        back_populates="booking", order_by="BookingEvent.id", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))

    @property
    def is_blocking(self) -> bool:
        return self.status in BLOCKING


class BookingEvent(db.Model):
    """One transition of a booking: who, when, from, to, why."""
    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict] = mapped_column(db.JSON, default=dict)

    booking: Mapped[Booking] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
