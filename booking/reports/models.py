"""Closed months of the report, summed once: what a year's report reads instead of its bookings.

A row holds, for one facility and one of its local calendar months, exactly what the report
engine sums from the bookings for that month. Any change to a booking, its use, its charge, a
closure or bookable hours deletes the rows of the months it touches in the same transaction, so
a stored month is never stale: a month without rows is computed from the bookings again.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Float, ForeignKey, Numeric, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class ReportMonth(db.Model):
    """A facility's month is stored: its booked time outside available time (merged)."""
    __tablename__ = "report_months"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # the first local day of the month
    outside_s: Mapped[float] = mapped_column(Float, default=0.0)
    # Booked minutes per hour of the week (Monday 00:00 first, 168 comma-separated integers), local time
    # at the UTC offset of the month's start.
    heat: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportMonthPair(db.Model):
    """One enterprise's sums at a facility in a stored month (the engine's parts, in its order)."""
    __tablename__ = "report_month_pairs"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True)
    merged_s: Mapped[float] = mapped_column(Float)
    raw_s: Mapped[float] = mapped_column(Float)
    slot_s: Mapped[float] = mapped_column(Float)
    actual_s: Mapped[float] = mapped_column(Float)
    in_slot_s: Mapped[float] = mapped_column(Float)
    reached: Mapped[float] = mapped_column(Float)
    no_shows: Mapped[float] = mapped_column(Float)
    sessions: Mapped[float] = mapped_column(Float)
    output: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    shared: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    reference: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    fees: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    outside_s: Mapped[float] = mapped_column(Float)


class ReportMonthLead(db.Model):
    """How many decisions of a stored month (on bookings starting in it) took ``lead_s`` seconds."""
    __tablename__ = "report_month_leads"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    lead_s: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int]


PART_COLUMNS = ("merged_s", "raw_s", "slot_s", "actual_s", "in_slot_s", "reached", "no_shows", "sessions",
                "output", "expected", "shared", "reference", "fees", "outside_s")
