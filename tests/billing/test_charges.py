"""Charges: the use of a completed booking per billing basis and rate unit, no-show and late-cancellation
fees, and the workflow services that write them."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking.accounts.models import AuditEntry
from booking.accounts.permissions import roles_of
from booking.billing import charges
from booking.billing.models import Charge
from booking.bookings import services as bookings
from booking.extensions import db
from booking.usage import services as usage
from booking.usage.models import UsageRecord
from booking.usage.services import close_overdue

D = Decimal


def rates(**kw):
    values = dict(billing_basis="booked", rate_unit="hour", shared_rate=D("600.00"), reference_rate=D("1250.00"))
    return SimpleNamespace(**{**values, **kw})


def charges_of(booking) -> dict[str, Charge]:
    rows = db.session.scalars(select(Charge).where(Charge.booking_id == booking.id)).all()
    return {c.kind: c for c in rows}


# --- the pure computation ---------------------------------------------------------------------

@pytest.mark.parametrize("basis,hours,amount,reference", [
    ("booked", D("2.00"), D("1200.00"), D("2500.00")),   # 120 booked minutes
    ("actual", D("1.67"), D("1000.00"), D("2083.33")),   # 100 actual: 1250 × 100 / 60 = 2083.333…
    ("max", D("2.00"), D("1200.00"), D("2500.00")),      # the larger of 120 and 100
])
def test_use_amounts_follow_the_billing_basis(basis, hours, amount, reference):
    assert charges.use_amounts(rates(billing_basis=basis), 120, 100, None) == (hours, None, amount, reference)


def test_max_basis_bills_an_overrun():
    assert charges.use_amounts(rates(billing_basis="max"), 60, 75, None) == (
        D("1.25"), None, D("750.00"), D("1562.50"))


def test_per_unit_rate_bills_the_recorded_output():
    facility = rates(rate_unit="unit", shared_rate=D("2.50"), reference_rate=D("5.20"))
    assert charges.use_amounts(facility, 120, 100, D("320")) == (D("2.00"), D("320"), D("800.00"), D("1664.00"))
    assert charges.use_amounts(facility, 120, 100, D("0.5")) == (D("2.00"), D("0.5"), D("1.25"), D("2.60"))


def test_per_unit_rate_without_recorded_output_bills_nothing():
    facility = rates(rate_unit="unit", shared_rate=D("2.50"), reference_rate=D("5.20"))
    assert charges.use_amounts(facility, 120, 100, None) == (D("2.00"), D("0.00"), D("0.00"), D("0.00"))


def test_amounts_round_half_up_once_from_the_exact_minutes():
    # 33.33 × 50 / 60 = 27.775 exactly: half up gives 27.78 (rounding the hours first would give 27.66).
    result = charges.use_amounts(rates(shared_rate=D("33.33"), reference_rate=D("33.33")), 50, None, None)
    assert result == (D("0.83"), None, D("27.78"), D("27.78"))


def test_without_an_actual_time_the_booked_time_is_billed():
    assert charges.use_amounts(rates(billing_basis="actual"), 90, None, None).amount == D("900.00")


def test_billable_minutes_ignore_seconds_as_the_clock_shows():
    start = datetime(2025, 3, 3, 1, 0, 40, tzinfo=UTC)
    assert charges.whole_minutes(start, start + timedelta(minutes=119, seconds=30)) == 120
    assert charges.whole_minutes(start, None) is None


# --- use charges written by the workflow -------------------------------------------------------

def used(scene, booking, minutes: int, **kw):
    """Check ``booking`` in at its start and out ``minutes`` later."""
    usage.check_in(scene.manager, roles_of(scene.manager), booking, at=booking.start_at, now=booking.start_at)
    end = booking.start_at + timedelta(minutes=minutes)
    return usage.check_out(scene.manager, roles_of(scene.manager), booking, at=end, now=scene.now, **kw)


@pytest.mark.parametrize("basis,minutes,amount,reference", [
    ("booked", 100, D("1200.00"), D("2500.00")),
    ("actual", 100, D("1000.00"), D("2083.33")),
    ("max", 135, D("1350.00"), D("2812.50")),
])
def test_check_out_charges_the_use_by_the_billing_basis(make, scene, basis, minutes, amount, reference):
    scene.facility.billing_basis = basis
    booking = scene.booking(make, start_in=-150, minutes=120)
    used(scene, booking, minutes)
    use = charges_of(booking)["use"]
    assert (use.amount, use.reference_amount, use.currency) == (amount, reference, "CNY")
    assert use.billable_hours == (D(max(minutes, 120) if basis == "max" else minutes if basis == "actual" else 120)
                                  / 60).quantize(D("0.01"))


def test_check_out_charges_per_unit_of_output(make, scene):
    scene.facility.rate_unit = "unit"
    scene.facility.shared_rate, scene.facility.reference_rate = D("2.50"), D("5.20")
    booking = scene.booking(make, start_in=-150, minutes=120)
    used(scene, booking, 120, output_quantity=D("320"))
    use = charges_of(booking)["use"]
    assert (use.billable_quantity, use.amount, use.reference_amount) == (D("320"), D("800.00"), D("1664.00"))


def test_computing_again_replaces_the_charge(make, scene):
    booking = scene.booking(make, start_in=-150, minutes=120)
    used(scene, booking, 120)
    scene.facility.shared_rate = D("500.00")
    charges.charge_use(booking)
    db.session.flush()
    assert [(c.kind, c.amount) for c in db.session.scalars(select(Charge))] == [("use", D("1000.00"))]


def test_correction_recomputes_the_charge_and_audits_both_amounts(make, scene):
    scene.facility.billing_basis = "actual"
    booking = scene.booking(make, start_in=-150, minutes=120)
    used(scene, booking, 100)
    assert charges_of(booking)["use"].amount == D("1000.00")
    usage.correct_usage(scene.manager, roles_of(scene.manager), booking,
                        actual_end=booking.start_at + timedelta(minutes=110), reason="漏记加班", now=scene.now)
    assert [c.amount for c in charges_of(booking).values()] == [D("1100.00")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "usage_corrected"))
    assert entry.details["charge_amount"] == ["1000.00", "1100.00"]


# --- no-shows and forgotten check-outs -----------------------------------------------------------

def test_close_overdue_writes_the_no_show_fee(make, scene):
    late = scene.booking(make, start_in=-30)
    assert close_overdue(now=scene.now) == (1, 0)
    fee = charges_of(late)["no_show"]
    assert (fee.amount, fee.reference_amount, fee.billable_hours) == (D("1200.00"), D("0.00"), D("0.00"))


def test_no_show_costs_nothing_where_the_facility_sets_no_fee(make, scene):
    scene.facility.no_show_fee = D("0")
    late = scene.booking(make, start_in=-30)
    assert close_overdue(now=scene.now) == (1, 0)
    assert charges_of(late) == {}


def test_close_overdue_charges_the_use_of_an_auto_closed_booking(make, scene):
    booking = scene.booking(make, start_in=-90, minutes=60, status="checked_in")
    db.session.add(UsageRecord(booking=booking, actual_start=booking.start_at + timedelta(minutes=10),
                               output_unit="pairs"))
    db.session.flush()
    assert close_overdue(now=scene.now) == (0, 1)
    use = charges_of(booking)["use"]
    assert (use.amount, use.reference_amount) == (D("600.00"), D("1250.00"))


def _backlog(make, scene, n: int) -> None:
    for i in range(n):
        scene.booking(make, start_in=-1000 - 200 * i, minutes=60)
        booking = scene.booking(make, start_in=-900 - 200 * i, minutes=60, status="checked_in")
        db.session.add(UsageRecord(booking=booking, actual_start=booking.start_at, output_unit="pairs"))
    db.session.commit()


def test_close_overdue_charges_in_a_fixed_number_of_statements(make, scene, count_queries):
    _backlog(make, scene, 2)
    with count_queries() as few:
        assert close_overdue(now=scene.now) == (2, 2)
    db.session.commit()
    _backlog(make, scene, 12)
    with count_queries() as many:
        assert close_overdue(now=scene.now) == (12, 12)
    assert len(many) == len(few), "\n".join(many)
    db.session.expire_all()
    written = db.session.scalars(select(Charge.kind)).all()
    assert sorted(set(written)) == ["no_show", "use"] and len(written) == 28


# --- cancellations -----------------------------------------------------------------------------

def cancel(user, booking, now, reason=""):
    bookings.cancel(user, roles_of(user), booking, reason, now=now)


def test_late_cancellation_by_the_enterprise_costs_the_fee(make, scene):
    booking = scene.booking(make, start_in=30)
    cancel(scene.member, booking, scene.now)
    fee = charges_of(booking)["late_cancel"]
    assert (fee.amount, fee.reference_amount, booking.status) == (D("600.00"), D("0.00"), "cancelled")


def test_cancelling_with_enough_notice_is_free(make, scene):
    booking = scene.booking(make, start_in=61)
    cancel(scene.member, booking, scene.now)
    assert charges_of(booking) == {}


def test_withdrawing_a_pending_request_late_is_free(make, scene):
    booking = scene.booking(make, start_in=30, status="pending")
    cancel(scene.member, booking, scene.now)
    assert charges_of(booking) == {}


def test_a_managers_cancellation_is_not_charged(make, scene):
    booking = scene.booking(make, start_in=30)
    cancel(scene.manager, booking, scene.now, "设备故障")
    assert booking.status == "cancelled" and charges_of(booking) == {}


def test_no_late_fee_where_the_facility_sets_none(make, scene):
    scene.facility.late_cancel_fee = D("0.00")
    booking = scene.booking(make, start_in=30)
    cancel(scene.member, booking, scene.now)
    assert charges_of(booking) == {}


def test_the_booking_page_shows_its_charges_to_its_enterprise(client, auth, make, scene):
    booking = scene.booking(make, start_in=-180, minutes=120, status="completed")
    db.session.add(Charge(booking=booking, kind="use", billable_hours=Decimal("2.00"), amount=Decimal("1200.00"),
                          reference_amount=Decimal("2500.00")))
    auth.login(scene.member)
    html = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'id="charges"' in html and "¥1,200.00" in html and "¥2,500.00" in html and "¥1,300.00" in html
    uncharged = scene.booking(make, start_in=600, status="approved")
    assert 'id="charges"' not in client.get(f"/bookings/{uncharged.id}").get_data(as_text=True)
