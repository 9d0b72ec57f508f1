"""Overlap searches read a short range of the (facility, start) index: they start no earlier than the
facility's longest block before the period. That bound must hold for every booking ever written, also
when the facility's rules have since become stricter."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.bookings.models import Booking
from booking.errors import Conflict
from booking.extensions import db
from booking.facilities.models import Facility
from booking.schedule.services import availability
from booking.timeutil import iso

from ..factories import local, next_weekday

DAY = next_weekday(2)


def longest(facility) -> int:
    return db.session.scalar(select(Facility.longest_block_minutes).where(Facility.id == facility.id))


def test_the_database_keeps_each_facilitys_longest_block_whatever_writes_the_booking(make):
    line = make.facility(buffer_minutes=30)
    other = make.facility()
    assert longest(line) == 0
    booking = make.booking(line, local(DAY, "09:00"), local(DAY, "11:00"))
    assert 150 <= longest(line) <= 151 and longest(other) == 0  # two hours and the buffer
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(
        end_at=local(DAY, "19:00"), block_end=local(DAY, "19:30")))
    assert 630 <= longest(line) <= 631  # moved by a plain UPDATE
    make.booking(line, local(DAY + timedelta(days=1), "09:00"), local(DAY + timedelta(days=1), "10:00"))
    booking.status = "cancelled"
    db.session.flush()
    assert 630 <= longest(line) <= 631  # it only grows: shorter or cancelled bookings leave it


@pytest.fixture
def stricter_line(make):
    """A line whose ten-hour booking was made before the longest booking became one hour."""
    chain = make.chain()
    line = make.facility(chain, requires_approval=False, hours="00:00-24:00", max_minutes=600)
    long_run = make.booking(line, local(DAY, "08:00"), local(DAY, "18:00"), status="approved")
    line.max_minutes = 60
    member = make.member(chain)
    db.session.commit()
    return line, long_run, member


def test_a_booking_longer_than_todays_limit_still_holds_its_slot(stricter_line):
    line, long_run, member = stricter_line
    with pytest.raises(Conflict) as refused:
        services.request_booking(member, roles_of(member), line, local(DAY, "17:00"), local(DAY, "18:00"))
    assert refused.value.details["conflict"]["start"] == iso(long_run.start_at)


def test_the_database_guard_sees_a_booking_longer_than_todays_limit(make, stricter_line):
    line, _long_run, _member = stricter_line
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            make.booking(line, local(DAY, "17:00"), local(DAY, "17:30"), status="approved")


def test_availability_shows_the_end_of_a_booking_longer_than_todays_limit(stricter_line):
    line, long_run, member = stricter_line
    free = availability(roles_of(member), line, local(DAY, "17:00"), local(DAY, "20:00"))
    assert [b["start"] for b in free["busy"]] == [iso(long_run.start_at)]
