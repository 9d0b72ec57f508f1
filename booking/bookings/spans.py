"""Overlap searches that read a short range of the (facility, start) index.

A booking meets [start, end) when it starts before ``end`` and blocks past
``start``. An index on the start can serve only the first half: alone, every
search would read the facility's whole history. No booking of a facility blocks
longer than its ``longest_block_minutes`` (kept by the database), so one that
meets the period also starts less than that before it: the range is bounded on
both sides.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from ..extensions import db
from ..facilities.models import Facility
from .models import Booking


def longest_block(facilities: Iterable[Facility]) -> timedelta:
    """How long before a period a booking of these loaded facilities may start and still reach into it."""
    return timedelta(minutes=max((f.longest_block_minutes for f in facilities), default=0) + 1)


def current_longest_block(facility_ids: Iterable[int] | None = None) -> timedelta:
    """The same, read from the database now (all facilities when None): a booking written earlier in this
    transaction counts, whatever the loaded objects say. Writes use this one."""
    query = select(func.max(Facility.longest_block_minutes))
    if facility_ids is not None:
        query = query.where(Facility.id.in_(list(facility_ids)))
    with db.session.no_autoflush:
        return timedelta(minutes=(db.session.scalar(query) or 0) + 1)


def meets(start: datetime, end: datetime, longest: timedelta, until=None):
    """Bookings whose [start_at, until) meets [start, end); ``until`` is the block's end unless given."""
    until = Booking.block_end if until is None else until
    return and_(Booking.start_at < end, until > start, Booking.start_at > start - longest)
