"""Check-in, check-out and corrections through the services: rights, states, times, output."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from booking.accounts.models import AuditEntry
from booking.accounts.permissions import roles_of
from booking.errors import Forbidden, InvalidInput, InvalidTransition
from booking.extensions import db
from booking.usage import services
from booking.usage.models import UsageCorrection


def check_in(user, booking, **kw):
    return services.check_in(user, roles_of(user), booking, **kw)


def check_out(user, booking, **kw):
    return services.check_out(user, roles_of(user), booking, **kw)


def correct(user, booking, **kw):
    return services.correct_usage(user, roles_of(user), booking, **kw)


def test_manager_checks_in_and_out_recording_output(make, scene):
    booking = scene.booking(make, start_in=-10)
    usage = check_in(scene.manager, booking, now=scene.now)
    assert booking.status == "checked_in" and usage.actual_start == scene.now
    assert usage.recorded_by_id == scene.manager.id and usage.output_unit == "pairs"
    end = scene.now + timedelta(minutes=50)
    usage = check_out(scene.manager, booking, output_quantity=Decimal("1200"), notes="良品率 98%", now=end)
    assert booking.status == "completed"
    assert (usage.actual_end, usage.output_quantity, usage.output_unit, usage.notes) == \
        (end, Decimal("1200"), "pairs", "良品率 98%")
    assert [e.to_status for e in booking.events][-2:] == ["checked_in", "completed"]
    assert booking.events[-1].actor_id == scene.manager.id
    assert booking.sequence == 2


def test_check_in_at_an_earlier_time(make, scene):
    booking = scene.booking(make, start_in=-20)
    usage = check_in(scene.manager, booking, at=scene.now - timedelta(minutes=25), now=scene.now)
    assert usage.actual_start == scene.now - timedelta(minutes=25)


def test_enterprise_checks_itself_in_only_where_the_facility_allows(make, scene):
    booking = scene.booking(make)
    with pytest.raises(Forbidden):
        check_in(scene.member, booking, now=scene.now)
    scene.facility.self_check_in = True
    check_in(scene.member, booking, now=scene.now)
    check_out(scene.member, booking, now=scene.now + timedelta(minutes=5))
    assert booking.status == "completed"


@pytest.mark.parametrize("who", ["rival", "committee"])
def test_others_may_not_check_in_even_with_self_check_in(make, scene, who):
    scene.facility.self_check_in = True
    booking = scene.booking(make)
    with pytest.raises(Forbidden):
        check_in(getattr(scene, who), booking, now=scene.now)
    assert booking.status == "approved"


@pytest.mark.parametrize("status", ["pending", "cancelled", "checked_in", "no_show", "rejected"])
def test_only_approved_bookings_are_checked_in(make, scene, status):
    booking = scene.booking(make, status=status)
    with pytest.raises(InvalidTransition):
        check_in(scene.manager, booking, now=scene.now)


@pytest.mark.parametrize("status", ["approved", "completed", "pending"])
def test_only_checked_in_bookings_are_checked_out(make, scene, status):
    booking = scene.booking(make, start_in=-30, status=status)
    with pytest.raises(InvalidTransition):
        check_out(scene.manager, booking, now=scene.now)


def test_check_in_window_opens_30_minutes_early_and_closes_at_the_end(make, scene):
    early = scene.booking(make, start_in=31)
    with pytest.raises(InvalidTransition) as error:
        check_in(scene.manager, early, now=scene.now)
    assert error.value.code == "too_early"
    other = make.facility(scene.facility.chain)
    check_in(make.manager(other), scene.booking(make, start_in=30, facility=other), now=scene.now)
    over = scene.booking(make, start_in=-120, minutes=120)
    with pytest.raises(InvalidTransition):
        check_in(scene.manager, over, now=scene.now)


@pytest.mark.parametrize("offset,code", [(1, "future_time"), (-31, "too_early")])
def test_check_in_time_limits(make, scene, offset, code):
    booking = scene.booking(make)
    with pytest.raises(InvalidInput) as error:
        check_in(scene.manager, booking, at=scene.now + timedelta(minutes=offset), now=scene.now)
    assert error.value.code == code and booking.status == "approved"


def test_check_out_time_limits(make, scene):
    booking = scene.booking(make, start_in=-10)
    check_in(scene.manager, booking, now=scene.now)
    later = scene.now + timedelta(minutes=30)
    for at, code in ((later + timedelta(minutes=1), "future_time"), (scene.now, "invalid_interval"),
                     (scene.now - timedelta(minutes=5), "invalid_interval")):
        with pytest.raises(InvalidInput) as error:
            check_out(scene.manager, booking, at=at, now=later)
        assert error.value.code == code
    assert booking.status == "checked_in"


@pytest.mark.parametrize("quantity,unit,code", [
    (Decimal("-1"), None, "invalid_quantity"),
    ("12.345", None, "invalid_quantity"),
    ("many", None, "invalid_quantity"),
    (Decimal("5"), "boxes", "invalid_unit"),
])
def test_output_is_validated(make, scene, quantity, unit, code):
    booking = scene.booking(make, start_in=-10)
    check_in(scene.manager, booking, now=scene.now)
    with pytest.raises(InvalidInput) as error:
        check_out(scene.manager, booking, output_quantity=quantity, output_unit=unit,
                  now=scene.now + timedelta(minutes=5))
    assert error.value.code == code


def test_output_needs_a_unit_where_the_facility_has_none(make, scene):
    room = make.facility(scene.facility.chain, output_unit="")
    manager = make.manager(room)
    booking = scene.booking(make, facility=room)
    check_in(manager, booking, now=scene.now)
    with pytest.raises(InvalidInput) as error:
        check_out(manager, booking, output_quantity=Decimal(3), now=scene.now + timedelta(minutes=5))
    assert error.value.code == "unit_required"
    usage = check_out(manager, booking, output_quantity=Decimal(3), output_unit="samples",
                      now=scene.now + timedelta(minutes=5))
    assert usage.output_unit == "samples"


@pytest.fixture
def completed(make, scene):
    booking = scene.booking(make, start_in=-120, minutes=120)
    check_in(scene.manager, booking, at=scene.now - timedelta(minutes=115), now=scene.now - timedelta(minutes=100))
    check_out(scene.manager, booking, output_quantity=Decimal(900), at=scene.now - timedelta(minutes=10),
              now=scene.now)
    return booking


def test_correction_keeps_the_original_values(completed, scene):
    start = scene.now - timedelta(minutes=120)
    correction = correct(scene.manager, completed, actual_start=start, output_quantity=Decimal("950.5"),
                         output_unit="pairs", reason="计数器漏记", now=scene.now)
    usage = completed.usage
    assert usage.actual_start == start and usage.output_quantity == Decimal("950.5")
    assert correction.before == {"actual_start": (scene.now - timedelta(minutes=115)).isoformat()
                                 .replace("+00:00", "Z"), "output_quantity": "900.00"}
    assert correction.after == {"actual_start": start.isoformat().replace("+00:00", "Z"),
                                "output_quantity": "950.50"}
    assert correction.actor_id == scene.manager.id and correction.reason == "计数器漏记"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "usage_corrected"))
    assert entry.object_id == completed.id and entry.details["before"] == correction.before


def test_corrections_need_a_reason_and_a_manager(completed, scene):
    with pytest.raises(InvalidInput) as error:
        correct(scene.manager, completed, output_quantity=Decimal(1), reason="  ", now=scene.now)
    assert error.value.code == "reason_required"
    with pytest.raises(Forbidden):
        correct(scene.member, completed, output_quantity=Decimal(1), reason="x", now=scene.now)
    assert db.session.scalar(select(UsageCorrection.id)) is None


def test_corrections_are_validated(completed, scene):
    for kw, code in (({"actual_end": scene.now - timedelta(minutes=200)}, "invalid_interval"),
                     ({"actual_end": scene.now + timedelta(minutes=5)}, "future_time"),
                     ({"output_quantity": Decimal(-3)}, "invalid_quantity"),
                     ({"output_unit": "kg"}, "invalid_unit"),
                     ({"output_quantity": Decimal(900)}, "no_changes")):
        with pytest.raises(InvalidInput) as error:
            correct(scene.manager, completed, reason="fix", now=scene.now, **kw)
        assert error.value.code == code
    assert completed.usage.output_quantity == Decimal(900)


def test_only_recorded_use_can_be_corrected(make, scene):
    booking = scene.booking(make)
    with pytest.raises(InvalidTransition):
        correct(scene.manager, booking, output_quantity=Decimal(1), reason="x", now=scene.now)
