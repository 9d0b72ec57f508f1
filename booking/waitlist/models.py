from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..bookings.models import Booking
from ..db import UTCDateTime
from ..extensions import db
from ..facilities.models import Facility
from ..organisation.models import Enterprise
from ..timeutil import utcnow

WAITING, FULFILLED, WITHDRAWN, EXPIRED = "waiting", "fulfilled", "withdrawn", "expired"
STATUSES = {WAITING: _l("Waiting"), FULFILLED: _l("Request made"), WITHDRAWN: _l("Withdrawn"),
            EXPIRED: _l("Expired")}


class WaitlistEntry(db.Model):
    """A member waiting for a taken slot; its place in the line is (created_at, id)."""
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="interval"),
        Index("ix_waitlist_facility_status_start", "facility_id", "status", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(String(500), default="")
    # When the slot frees up and this entry is first in line, request it as pending at once.
    auto_request: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last time the member was told the slot is free, and how often.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    times_notified: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The request made for the member (automatically, or through the entry's link).
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))

    facility: Mapped[Facility] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    user: Mapped[User] = relationship()
    booking: Mapped[Booking | None] = relationship()

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))
