"""The booking workflow through the services: rules, conflicts, approval, cancellation, audit."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.bookings.models import Booking, BookingEvent
from booking.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from booking.extensions import db

from ..factories import local, next_weekday


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain, buffer_minutes=0)
    member = make.member(chain)
    other = make.member(chain)
    manager = make.manager(facility)
    return chain, facility, member, other, manager


def request(user, facility, start, end, **kw):
    return services.request_booking(user, roles_of(user), facility, start, end, **kw)


def test_request_creates_pending_booking_with_audit_event(scene):
    _chain, facility, member, _other, _manager = scene
    day = next_weekday(0)
    booking = request(member, facility, local(day, "10:00"), local(day, "12:00"), purpose="样品试产")
    assert booking.status == "pending"
    assert booking.enterprise_id == member.membership.enterprise_id
    events = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking.id)).all()
    assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [(None, "pending", member.id)]


def test_facility_without_approval_approves_at_once(make, scene):
    chain, _facility, member, _other, _manager = scene
    open_room = make.facility(chain, requires_approval=False)
    day = next_weekday(1)
    booking = request(member, open_room, local(day, "09:00"), local(day, "10:00"))
    assert booking.status == "approved"
    assert [e.to_status for e in booking.events] == ["pending", "approved"]


def test_booking_confirmed_at_once_rejects_the_pending_requests_it_overlaps(make, scene):
    chain, _facility, member, other, _manager = scene
    open_room = make.facility(chain, requires_approval=False)
    day = next_weekday(1)
    rival = make.booking(open_room, local(day, "10:00"), requester=other)
    booking = request(member, open_room, local(day, "09:00"), local(day, "11:00"))
    assert booking.status == "approved"
    assert rival.status == "rejected" and f"#{booking.id}" in rival.rejection_reason


@pytest.mark.parametrize("start,end,code", [
    ("12:00", "10:00", "invalid_interval"),
    ("10:15", "11:00", "not_aligned"),
    ("06:00", "07:00", "outside_hours"),
    ("19:00", "21:00", "outside_hours"),
    ("10:00", "19:00", "too_long"),
])
def test_rules_refuse_bad_times(scene, start, end, code):
    _chain, facility, member, _other, _manager = scene
    day = next_weekday(2)
    with pytest.raises(InvalidInput) as error:
        request(member, facility, local(day, start), local(day, end))
    assert error.value.code == code
    assert db.session.scalar(select(Booking.id)) is None


def test_too_short_too_soon_and_too_far(make, scene):
    chain, _facility, member, _other, _manager = scene
    strict = make.facility(chain, min_minutes=60, max_advance_days=14, min_notice_minutes=24 * 60)
    day = next_weekday(3)
    with pytest.raises(InvalidInput, match="60") as error:
        request(member, strict, local(day, "10:00"), local(day, "10:30"))
    assert error.value.code == "too_short"
    far = next_weekday(3, weeks_ahead=3)
    with pytest.raises(InvalidInput) as error:
        request(member, strict, local(far, "10:00"), local(far, "11:00"))
    assert error.value.code == "too_far"
    soon = services.utcnow() + timedelta(hours=2)
    soon = soon.replace(minute=0, second=0, microsecond=0)
    with pytest.raises(InvalidInput) as error:
        request(member, strict, soon, soon + timedelta(hours=1), now=soon - timedelta(hours=2))
    assert error.value.code == "too_soon"


def test_closure_refuses_and_manager_override_is_recorded(make, scene):
    _chain, facility, member, _other, manager = scene
    day = next_weekday(4)
    make.closure(facility, local(day, "08:00"), local(day, "12:00"), reason="设备检修")
    with pytest.raises(InvalidInput, match="设备检修") as error:
        request(member, facility, local(day, "10:00"), local(day, "11:00"))
    assert error.value.code == "closed"
    with pytest.raises(Forbidden):
        request(member, facility, local(day, "10:00"), local(day, "11:00"), override=True)
    booking = request(manager, facility, local(day, "10:00"), local(day, "11:00"), override=True,
                      enterprise_id=member.membership.enterprise_id)
    assert booking.rules_overridden
    assert booking.events[0].details == {"override": True}


def test_overnight_booking_across_contiguous_hours(make, scene):
    chain, _facility, member, _other, _manager = scene
    line = make.facility(chain, hours="00:00-24:00", max_minutes=24 * 60)
    day = next_weekday(0)
    booking = request(member, line, local(day, "20:00"), local(day + timedelta(days=1), "04:00"))
    assert booking.status == "pending"


def test_request_overlapping_approved_is_409_naming_the_slot(make, scene):
    _chain, facility, member, other, _manager = scene
    day = next_weekday(1)
    make.booking(facility, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise)
    with pytest.raises(Conflict) as error:
        request(member, facility, local(day, "11:00"), local(day, "13:00"))
    assert "10:00" in error.value.message and "12:00" in error.value.message
    assert error.value.details["conflict"]["status"] == "approved"


def test_half_open_back_to_back_is_fine(make, scene):
    _chain, facility, member, other, _manager = scene
    day = next_weekday(1)
    make.booking(facility, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise)
    assert request(member, facility, local(day, "12:00"), local(day, "14:00")).status == "pending"
    assert request(member, facility, local(day, "08:00"), local(day, "10:00")).status == "pending"


def test_changeover_buffer_blocks_the_following_slot(make, scene):
    chain, _facility, member, other, _manager = scene
    line = make.facility(chain, buffer_minutes=30)
    day = next_weekday(2)
    make.booking(line, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise)
    with pytest.raises(Conflict):
        request(member, line, local(day, "12:00"), local(day, "13:00"))
    with pytest.raises(Conflict):  # our own buffer would run into the next booking
        request(member, line, local(day, "09:00"), local(day, "10:00"))
    assert request(member, line, local(day, "12:30"), local(day, "13:30")).status == "pending"


def test_approving_rejects_overlapping_pending_with_reason(scene):
    _chain, facility, member, other, manager = scene
    day = next_weekday(3)
    first = request(member, facility, local(day, "10:00"), local(day, "12:00"))
    rival = request(other, facility, local(day, "11:00"), local(day, "13:00"))
    elsewhere = request(other, facility, local(day, "14:00"), local(day, "15:00"))
    rejected = services.approve(manager, roles_of(manager), first)
    assert first.status == "approved" and first.decided_by_id == manager.id
    assert rejected == [rival]
    assert rival.status == "rejected" and f"#{first.id}" in rival.rejection_reason
    assert rival.events[-1].details == {"lost_to": first.id}
    assert elsewhere.status == "pending"


def test_only_managers_approve_and_only_pending(scene):
    _chain, facility, member, other, manager = scene
    day = next_weekday(3)
    booking = request(member, facility, local(day, "10:00"), local(day, "12:00"))
    with pytest.raises(Forbidden):
        services.approve(member, roles_of(member), booking)
    services.approve(manager, roles_of(manager), booking)
    with pytest.raises(InvalidTransition):
        services.approve(manager, roles_of(manager), booking)
    with pytest.raises(InvalidTransition):
        services.reject(manager, roles_of(manager), booking, "太晚了")


def test_reject_needs_a_reason(scene):
    _chain, facility, member, _other, manager = scene
    day = next_weekday(3)
    booking = request(member, facility, local(day, "10:00"), local(day, "12:00"))
    with pytest.raises(InvalidInput) as error:
        services.reject(manager, roles_of(manager), booking, "  ")
    assert error.value.code == "reason_required"
    services.reject(manager, roles_of(manager), booking, "设备调试")
    assert booking.status == "rejected" and booking.rejection_reason == "设备调试"


def test_cancel_rules(make, scene):
    _chain, facility, member, other, manager = scene
    day = next_weekday(4)
    booking = request(member, facility, local(day, "10:00"), local(day, "12:00"))
    with pytest.raises(Forbidden):
        services.cancel(other, roles_of(other), booking, "不是我的")
    colleague = make.user(member.membership.enterprise)
    services.cancel(colleague, roles_of(colleague), booking)
    assert booking.status == "cancelled" and booking.cancelled_by_id == colleague.id
    with pytest.raises(InvalidTransition):
        services.cancel(member, roles_of(member), booking)
    approved = make.booking(facility, local(day, "14:00"), local(day, "15:00"), status="approved",
                            enterprise=member.membership.enterprise)
    with pytest.raises(InvalidInput):
        services.cancel(manager, roles_of(manager), approved, "")
    services.cancel(manager, roles_of(manager), approved, "停电")
    assert approved.cancel_reason == "停电" and approved.events[-1].details["by_manager"]


def test_member_cannot_cancel_after_start(make, scene):
    _chain, facility, member, _other, manager = scene
    start = services.utcnow() - timedelta(minutes=30)
    booking = make.booking(facility, start, start + timedelta(hours=2), status="approved",
                           enterprise=member.membership.enterprise)
    with pytest.raises(InvalidTransition) as error:
        services.cancel(member, roles_of(member), booking)
    assert error.value.code == "already_started"
    services.cancel(manager, roles_of(manager), booking, "提前结束")


def test_enterprise_outside_the_chain_cannot_book(make, scene):
    _chain, facility, _member, _other, _manager = scene
    outsider = make.member()  # a member of another chain
    day = next_weekday(0)
    with pytest.raises(Forbidden) as error:
        request(outsider, facility, local(day, "10:00"), local(day, "11:00"))
    assert error.value.code == "not_in_chain"


def test_database_refuses_overlapping_blocking_bookings(make, scene):
    """The last line of defence: the database itself, whatever the code above it does."""
    _chain, facility, member, other, _manager = scene
    day = next_weekday(1)
    make.booking(facility, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise)
    db.session.commit()
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError):
        make.booking(facility, local(day, "11:30"), local(day, "12:30"), status="approved",
                     enterprise=member.membership.enterprise)
    db.session.rollback()
    pending = make.booking(facility, local(day, "11:30"), local(day, "12:30"), status="pending",
                           enterprise=member.membership.enterprise)
    db.session.commit()
    pending.status = "approved"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_database_guard_counts_the_buffer(make, scene):
    chain, _facility, member, other, _manager = scene
    line = make.facility(chain, buffer_minutes=30)
    day = next_weekday(1)
    make.booking(line, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise)
    db.session.commit()
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError):
        make.booking(line, local(day, "12:15"), local(day, "13:00"), status="approved",
                     enterprise=member.membership.enterprise)
    db.session.rollback()


def test_suspended_enterprise_cannot_book(scene):
    _chain, facility, member, _other, _manager = scene
    member.membership.enterprise.active = False
    day = next_weekday(0)
    with pytest.raises(Forbidden) as error:
        request(member, facility, local(day, "10:00"), local(day, "11:00"))
    assert error.value.code == "enterprise_inactive"
