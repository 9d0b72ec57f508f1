"""The county-scale load generator: a whole county in an empty database, true to the booking rules."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from booking import create_app
from booking.accounts.models import User
from booking.billing.models import Charge
from booking.bookings.models import Booking
from booking.demo.county import CountyError, generate
from booking.extensions import db
from booking.facilities.models import Closure, Facility
from booking.facilities.rules import bookable_intervals, overlaps
from booking.organisation.models import Chain, Enterprise, chain_enterprises
from booking.organisation.uscc import is_valid
from booking.usage.models import UsageRecord

from .conftest import _config, empty_database
from .factories import Factory

NOW = datetime(2026, 3, 10, 2, 17, tzinfo=UTC)  # a Tuesday morning in Shanghai
BOOKINGS = 2000
# Bookings that held their slot: whatever their status now, they never overlapped another.
HELD = ("approved", "checked_in", "completed", "no_show")


# Runs first: on PostgreSQL its fresh database is the shared one the module fixture fills afterwards.
def test_refuses_a_database_that_has_data(app, make):
    make.user()
    db.session.commit()
    with pytest.raises(CountyError, match="already holds data"):
        generate(bookings=10, years=1, echo=lambda _line: None)
    assert db.session.scalar(select(func.count(Chain.id))) == 0


def test_command_refuses_a_database_that_has_data(app, make, runner):
    make.facility()
    db.session.commit()
    result = runner.invoke(args=["generate-load", "--bookings", "10"])
    assert result.exit_code != 0
    assert "already holds data" in result.output


@pytest.fixture(scope="module")
def county_app(database_template, tmp_path_factory):
    """One generated county for the read-only tests below."""
    app = create_app(_config(empty_database(database_template, tmp_path_factory.mktemp("county"))))
    with app.app_context():
        summary = generate(bookings=BOOKINGS, years=1, seed=7, now=NOW, echo=lambda _line: None)
        db.engine.dispose()
    yield app, summary
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def county(county_app):
    app, summary = county_app
    with app.app_context():
        yield summary
        db.session.remove()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def all_bookings() -> list[Booking]:
    return db.session.scalars(select(Booking).options(
        selectinload(Booking.facility).selectinload(Facility.hours), selectinload(Booking.usage),
        selectinload(Booking.charges))).all()


def test_a_county_has_the_shape_of_design_md(county):
    assert (count(Chain), count(Enterprise), count(Facility), count(Booking)) == (10, 500, 300, BOOKINGS)
    assert county["bookings"] == BOOKINGS and county["users"] == count(User)
    assert {c.timezone for c in db.session.scalars(select(Chain))} == {"Asia/Shanghai"}
    per_enterprise = db.session.execute(select(chain_enterprises.c.enterprise_id, func.count())
                                        .group_by(chain_enterprises.c.enterprise_id)).all()
    assert len(per_enterprise) == 500 and {n for _e, n in per_enterprise} == {1, 2}
    codes = db.session.scalars(select(Enterprise.uscc)).all()
    assert all(is_valid(code) for code in codes) and len(set(codes)) == 500
    facilities = db.session.scalars(select(Facility).options(selectinload(Facility.hours))).all()
    assert {"production_line", "livestream_studio", "rd_centre", "lab", "meeting_room"} <= {f.kind for f in facilities}
    assert all(f.hours and f.managers and f.shared_rate < f.reference_rate for f in facilities)
    assert {f.billing_basis for f in facilities} == {"booked", "actual", "max"}
    assert {f.rate_unit for f in facilities} == {"hour", "unit"}
    assert any(len(f.hours) == 7 and all(w.start_minute == 0 and w.end_minute == 1440 for w in f.hours)
               for f in facilities if f.kind == "production_line")
    assert count(Closure) >= 600


def test_bookings_that_held_a_slot_never_overlap(county):
    held = defaultdict(list)
    for facility_id, start, block_end in db.session.execute(
            select(Booking.facility_id, Booking.start_at, Booking.block_end).where(Booking.status.in_(HELD))):
        held[facility_id].append((start, block_end))
    assert len(held) > 200
    for intervals in held.values():
        intervals.sort()
        assert all(earlier[1] <= later[0] for earlier, later in zip(intervals, intervals[1:]))


def test_every_booking_keeps_its_facility_rules(county):
    closures = defaultdict(list)
    for closure in db.session.scalars(select(Closure)):
        closures[closure.facility_id].append(closure)
    for b in all_bookings():
        f = b.facility
        assert any(s <= b.start_at and b.end_at <= e for s, e in bookable_intervals(f, f.hours, b.start_at, b.end_at))
        assert not any(overlaps(b.start_at, b.end_at, c.start_at, c.end_at) for c in closures[f.id])
        minutes = (b.end_at - b.start_at) / timedelta(minutes=1)
        assert 60 <= minutes <= 240 and minutes % f.slot_minutes == 0
        assert b.block_end == b.end_at + timedelta(minutes=f.buffer_minutes)
        assert b.created_at <= b.start_at - timedelta(minutes=f.min_notice_minutes) and b.created_at < NOW


def test_statuses_and_their_traces_fit_the_time(county):
    bookings = all_bookings()
    past = [b for b in bookings if b.end_at <= NOW]
    upcoming = [b for b in bookings if b.start_at > NOW]
    share = {s: sum(b.status == s for b in past) / len(past) for s in ("completed", "no_show", "cancelled", "rejected")}
    assert 0.7 < share["completed"] < 0.86 and 0.02 < share["no_show"] < 0.09
    assert 0.05 < share["cancelled"] < 0.13 and 0.02 < share["rejected"] < 0.12
    assert {b.status for b in upcoming} <= {"approved", "pending", "cancelled", "rejected"}
    assert {"approved", "pending"} <= {b.status for b in upcoming}
    held = {(b.facility_id, b.start_at): b.id for b in upcoming if b.status == "approved"}
    for lost in (b for b in upcoming if b.status == "rejected"):  # approving a request rejects its rivals
        assert lost.rejection_reason.endswith(f"#{held[lost.facility_id, lost.start_at]}）。")
    for b in bookings:
        if b.decided_at is not None:
            assert b.created_at <= b.decided_at <= min(b.start_at, NOW)
        if b.status in ("rejected", "completed", "no_show") and b.facility.requires_approval:
            assert b.decided_by_id is not None
        if b.status == "rejected":
            assert b.rejection_reason
        if b.status == "cancelled":
            assert b.cancel_reason and b.cancelled_by_id and b.created_at < b.cancelled_at <= min(b.start_at, NOW)
        if b.status == "completed":
            assert b.usage.actual_start < b.usage.actual_end <= min(b.block_end, NOW)
            assert b.usage.output_unit == b.facility.output_unit
        else:
            assert b.usage is None or b.status == "checked_in"


def test_completed_bookings_are_charged_by_their_facility_rates(county):
    checked = 0
    for b in all_bookings():
        kinds = {c.kind: c for c in b.charges}
        if b.status == "completed":
            f, usage, charge = b.facility, b.usage, kinds["use"]
            booked = Decimal((b.end_at - b.start_at) // timedelta(minutes=1)) / 60
            actual = Decimal((usage.actual_end - usage.actual_start) // timedelta(minutes=1)) / 60
            hours = {"booked": booked, "actual": actual, "max": max(booked, actual)}[f.billing_basis]
            billed = usage.output_quantity if f.rate_unit == "unit" else hours
            assert charge.billable_hours == cents(hours)
            assert charge.billable_quantity == (usage.output_quantity if f.rate_unit == "unit" else None)
            assert (charge.amount, charge.reference_amount) == (cents(f.shared_rate * billed),
                                                                cents(f.reference_rate * billed))
            checked += 1
        elif b.status == "no_show" and b.facility.no_show_fee > 0:
            assert kinds["no_show"].amount == b.facility.no_show_fee
        else:
            assert not kinds
    assert checked > 1000
    assert count(Charge) == db.session.scalar(select(func.count()).select_from(Charge).where(Charge.kind == "use")) + \
        db.session.scalar(select(func.count()).select_from(Charge).where(Charge.kind == "no_show"))
    assert count(UsageRecord) == db.session.scalar(
        select(func.count()).where(Booking.status.in_(("completed", "checked_in"))))


@pytest.mark.parametrize("change", ["overlap", "unknown_facility"])
def test_the_database_still_guards_its_invariants_after_the_load(county, change):
    """The load keeps SQLite's overlap triggers and re-adds PostgreSQL's foreign keys."""
    approved = db.session.scalars(select(Booking).where(Booking.status == "approved").limit(1)).one()
    other = db.session.scalars(select(Booking).where(Booking.status == "completed", Booking.facility_id
                                                     == approved.facility_id).limit(1)).one()
    values = ({"start_at": approved.start_at, "end_at": approved.end_at, "block_end": approved.block_end,
               "status": "approved"} if change == "overlap" else {"facility_id": 10_000})
    with pytest.raises(IntegrityError):
        db.session.execute(update(Booking).where(Booking.id == other.id).values(**values))
        db.session.flush()
    db.session.rollback()


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_new_rows_get_ids_after_the_generated_ones(county):
    make = Factory()
    chain = make.chain()
    facility = make.facility(chain)
    booking = make.booking(facility, NOW + timedelta(days=400))
    assert chain.id > 10 and facility.id > 300 and booking.id > BOOKINGS
    db.session.rollback()
