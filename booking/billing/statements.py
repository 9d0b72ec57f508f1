"""An enterprise's monthly statement: its charged bookings of a month, per facility, with totals.

A booking belongs to the month of its start in its facility's local time. Every number comes
from the stored charges (computed per booking, rounded half up to the cent); subtotals and
totals are sums of those rounded amounts, so that the page, the CSV and the XLSX agree to the
cent. Three queries whatever the number of bookings: the bookings with their facilities, their
charges, their usage records.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.permissions import Roles
from ..bookings.models import Booking
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..organisation.models import Enterprise
from ..timeutil import utcnow, zone
from .charges import FEES, ZERO
from .models import USE, Charge

# Which month "this month" is; each booking still falls in the month of its facility's local time.
STATEMENT_ZONE = "Asia/Shanghai"
_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The widest UTC offsets (UTC−12, UTC+14): the query window that holds every local day of a month.
_EARLIEST, _LATEST = timedelta(hours=14), timedelta(hours=12)
PERCENT = Decimal("0.1")


# --- access and the month ----------------------------------------------------------------------

def may_see_statement(roles: Roles, enterprise_id: int) -> bool:
    return roles.is_admin or (roles.enterprise_id is not None and roles.enterprise_id == enterprise_id)


def get_statement_enterprise(roles: Roles, enterprise_id: int) -> Enterprise:
    """The enterprise whose statement the viewer may read; any other answers 404 (checked before
    the lookup, so that nobody learns which enterprises exist)."""
    enterprise = db.session.get(Enterprise, enterprise_id) if may_see_statement(roles, enterprise_id) else None
    if enterprise is None:
        raise NotFound(_("There is no such enterprise."), code="unknown_enterprise")
    return enterprise


def current_month(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone(STATEMENT_ZONE)).date().replace(day=1)


def parse_month(text: str | None, now: datetime | None = None) -> date:
    """``YYYY-MM`` as the month's first day; empty means the current month."""
    text = (text or "").strip()
    if not text:
        return current_month(now)
    match = _MONTH.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise InvalidInput(_("Give the month as year and month, for example 2025-03."), code="invalid_month",
                           field="month")
    return date(int(match[1]), int(match[2]), 1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --- the statement -------------------------------------------------------------------------

@dataclass
class Line:
    """One booking: its use charge (if any) and its fees."""
    booking: Booking
    day: date
    booked: str
    actual: str
    billable_hours: Decimal | None
    billable_quantity: Decimal | None
    unit: str                 # of the billed quantity
    rate: Decimal | None      # the facility's shared rate, where the booking was used
    rate_unit: str
    amount: Decimal
    reference_amount: Decimal
    fees: Decimal
    fee_kinds: tuple[str, ...]
    currency: str

    @property
    def savings(self) -> Decimal:
        return self.reference_amount - self.amount

    @property
    def has_use(self) -> bool:
        return self.rate is not None


@dataclass
class Sums:
    currency: str
    bookings: int = 0
    amount: Decimal = ZERO
    reference_amount: Decimal = ZERO
    fees: Decimal = ZERO

    def add(self, line: Line) -> None:
        self.bookings += 1
        self.amount += line.amount
        self.reference_amount += line.reference_amount
        self.fees += line.fees

    @property
    def savings(self) -> Decimal:
        return self.reference_amount - self.amount

    @property
    def payable(self) -> Decimal:
        return self.amount + self.fees

    @property
    def savings_percent(self) -> Decimal | None:
        """Savings as a percentage of the reference cost, to 0.1, None without a reference cost."""
        if not self.reference_amount:
            return None
        return (self.savings * 100 / self.reference_amount).quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass
class Group:
    facility: Facility
    lines: list[Line] = field(default_factory=list)

    @property
    def subtotal(self) -> Sums:
        sums = Sums(self.facility.currency)
        for line in self.lines:
            sums.add(line)
        return sums


@dataclass
class Statement:
    enterprise: Enterprise
    month: date
    groups: list[Group]

    @property
    def totals(self) -> list[Sums]:
        """One total per currency (CNY alone, unless a facility charges in another currency)."""
        sums: dict[str, Sums] = {}
        for group in self.groups:
            for line in group.lines:
                sums.setdefault(line.currency, Sums(line.currency)).add(line)
        return sorted(sums.values(), key=lambda s: (s.currency != "CNY", s.currency))

    @property
    def lines(self) -> list[Line]:
        return [line for group in self.groups for line in group.lines]

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def previous_month(self) -> str:
        return f"{add_months(self.month, -1):%Y-%m}"

    @property
    def next_month(self) -> str:
        return f"{add_months(self.month, 1):%Y-%m}"


def monthly_statement(roles: Roles, enterprise: Enterprise, month: date) -> Statement:
    """The enterprise's bookings with charges whose local start falls in ``month``."""
    if not may_see_statement(roles, enterprise.id):
        raise NotFound(_("There is no such enterprise."), code="unknown_enterprise")
    following = add_months(month, 1)
    low = datetime.combine(month, time(), tzinfo=UTC) - _EARLIEST
    high = datetime.combine(following, time(), tzinfo=UTC) + _LATEST
    charged = select(Charge.id).where(Charge.booking_id == Booking.id).exists()
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.enterprise_id == enterprise.id, Booking.start_at >= low, Booking.start_at < high, charged)
        .options(joinedload(Booking.facility), selectinload(Booking.charges), selectinload(Booking.usage))
        .order_by(Booking.start_at, Booking.id)).unique().all()
    groups: dict[int, Group] = {}
    for booking in bookings:
        tz = booking.facility.tz
        if not month <= booking.start_at.astimezone(tz).date() < following:
            continue
        groups.setdefault(booking.facility_id, Group(booking.facility)).lines.append(_line(booking, tz))
    ordered = sorted(groups.values(), key=lambda g: (g.facility.display_name, g.facility.id))
    return Statement(enterprise=enterprise, month=month, groups=ordered)


def _span(start: datetime | None, end: datetime | None, tz) -> str:
    """09:00–12:00 in the facility's time; the end's date is shown when it is another day."""
    if start is None:
        return ""
    start = start.astimezone(tz)
    if end is None:
        return f"{start:%H:%M}–"
    end = end.astimezone(tz)
    return f"{start:%H:%M}–{end:%H:%M}" if end.date() == start.date() else f"{start:%H:%M}–{end:%m-%d %H:%M}"


def _line(booking: Booking, tz) -> Line:
    facility, usage = booking.facility, booking.usage
    use = next((c for c in booking.charges if c.kind == USE), None)
    fees = [c for c in booking.charges if c.kind in FEES]
    return Line(
        booking=booking, day=booking.start_at.astimezone(tz).date(),
        booked=_span(booking.start_at, booking.end_at, tz),
        actual=_span(usage.actual_start, usage.actual_end, tz) if usage is not None else "",
        billable_hours=use.billable_hours if use else None,
        billable_quantity=use.billable_quantity if use else None,
        unit=(usage.output_unit if usage is not None and usage.output_unit else facility.output_unit),
        rate=facility.shared_rate if use else None, rate_unit=facility.rate_unit,
        amount=use.amount if use else ZERO, reference_amount=use.reference_amount if use else ZERO,
        fees=sum((c.amount for c in fees), ZERO), fee_kinds=tuple(c.kind for c in fees),
        currency=(use or fees[0]).currency)
