"""Money: what each booking costs its enterprise, and what the enterprise would produce alone."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..bookings.models import Booking
from ..db import Money, UTCDateTime
from ..extensions import db
from ..organisation.models import Enterprise
from ..timeutil import utcnow

USE, LATE_CANCEL, NO_SHOW_FEE = "use", "late_cancel", "no_show"


class Charge(db.Model):
    """What a booking costs the enterprise, and what it would have cost alone."""
    __tablename__ = "charges"
    __table_args__ = (UniqueConstraint("booking_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # use | late_cancel | no_show
    billable_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    # Units of output billed, where the facility charges per unit rather than per hour.
    billable_quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    amount: Mapped[Decimal] = mapped_column(Money())
    reference_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship(backref=backref("charges", order_by="Charge.id"))


class EnterpriseBaseline(db.Model):
    """An enterprise's stand-alone output per hour on its own equipment of a facility kind."""
    __tablename__ = "enterprise_baselines"
    __table_args__ = (UniqueConstraint("enterprise_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    output_per_hour: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    output_unit: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise] = relationship(
        backref=backref("baselines", order_by="EnterpriseBaseline.kind", cascade="all, delete-orphan"))
