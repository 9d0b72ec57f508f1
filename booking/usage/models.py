"""Actual use: what happened in a booked slot, and corrections of it after the fact."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..accounts.models import User
from ..bookings.models import Booking
from ..db import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class UsageRecord(db.Model):
    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    output_quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    output_unit: Mapped[str] = mapped_column(String(32), default="")
    notes: Mapped[str] = mapped_column(String(2000), default="")
    # Closed by the system at the booking's end because nobody checked out.
    auto_closed: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    booking: Mapped[Booking] = relationship(backref=backref("usage", uselist=False))


class UsageCorrection(db.Model):
    """A change to recorded use after the fact: who, when, why, and the values before and after."""
    __tablename__ = "usage_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    usage_record_id: Mapped[int] = mapped_column(ForeignKey("usage_records.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict] = mapped_column(db.JSON, default=dict)
    after: Mapped[dict] = mapped_column(db.JSON, default=dict)

    usage_record: Mapped[UsageRecord] = relationship(
        backref=backref("corrections", order_by="UsageCorrection.id", cascade="all, delete-orphan"))
    actor: Mapped[User | None] = relationship()
