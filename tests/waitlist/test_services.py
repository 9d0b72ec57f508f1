"""Waiting lists through the services: joining, the order of the line, freeing, expiry, withdrawal."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from booking.accounts.models import AuditEntry
from booking.accounts.permissions import roles_of
from booking.bookings import services as bookings
from booking.bookings.models import Booking
from booking.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from booking.extensions import db
from booking.notifications.models import REQUEST_SUBMITTED, Notification
from booking.usage.services import close_overdue
from booking.waitlist import services
from booking.waitlist.models import WaitlistEntry

from .conftest import freed_notices


def test_joining_needs_a_slot_taken_by_another_enterprise(scene, make):
    with pytest.raises(InvalidInput) as free:
        scene.join(scene.first)
    assert free.value.code == "slot_free"
    scene.hold(make, status="pending")
    entry = scene.join(scene.first, purpose="样品试产", auto_request=True)
    assert (entry.status, entry.enterprise_id, entry.auto_request) == (
        "waiting", scene.first.membership.enterprise_id, True)
    assert services.positions([entry]) == {entry.id: 1}
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == entry.id)) == "waitlist_joined"


def test_own_enterprise_cannot_wait_for_its_own_slot(scene, make):
    scene.hold(make)
    with pytest.raises(InvalidInput) as error:
        scene.join(scene.holder)
    assert error.value.code == "already_booked"


def test_changeover_buffer_makes_a_neighbouring_slot_taken(scene, make):
    scene.facility.buffer_minutes = 30
    make.booking(scene.facility, scene.at("08:00"), scene.at("10:00"), status="approved", requester=scene.holder)
    assert scene.join(scene.first, "10:00", "11:00").status == "waiting"  # inside the holder's changeover


def test_joining_twice_for_an_overlapping_slot_is_refused(scene, make):
    scene.hold(make)
    scene.join(scene.first, "10:00", "11:00")
    with pytest.raises(Conflict) as error:
        scene.join(scene.first, "10:30", "12:00")
    assert error.value.code == "already_waiting"
    assert scene.join(scene.second, "10:30", "12:00").status == "waiting"  # someone else may


@pytest.mark.parametrize("start,end,code", [("06:00", "07:00", "outside_hours"), ("10:15", "11:00", "not_aligned")])
def test_a_slot_that_breaks_the_rules_cannot_be_waited_for(scene, make, start, end, code):
    scene.hold(make, "06:00", "12:00")
    with pytest.raises(InvalidInput) as error:
        scene.join(scene.first, start, end)
    assert error.value.code == code


def test_only_members_of_the_chain_may_wait(scene, make):
    scene.hold(make)
    with pytest.raises(Forbidden):
        scene.join(make.member())


def test_cancellation_tells_everyone_in_order_and_requests_the_slot_for_the_first(scene, make):
    held = scene.hold(make)
    first = scene.join(scene.first, auto_request=True, purpose="秋冬新款")
    second = scene.join(scene.second, auto_request=True)
    third = scene.join(scene.third, "11:00", "12:00")
    bookings.cancel(scene.holder, roles_of(scene.holder), held, "不需要了")

    told = freed_notices()
    assert [n.user_id for n in told] == [scene.first.id, scene.second.id, scene.third.id]
    assert [n.params["position"] for n in told] == [1, 2, 3]
    request = db.session.get(Booking, first.booking_id)
    assert (first.status, request.status, request.requester_id, request.purpose) == (
        "fulfilled", "pending", scene.first.id, "秋冬新款")
    assert told[0].booking_id == request.id and told[0].params["booking_id"] == request.id
    assert (second.status, second.booking_id, third.status) == ("waiting", None, "waiting")  # only the first's
    assert [e.times_notified for e in (first, second, third)] == [1, 1, 1]
    assert second.notified_at is not None
    assert db.session.scalar(select(Notification.user_id).where(
        Notification.kind == REQUEST_SUBMITTED, Notification.booking_id == request.id)) == scene.manager.id


def test_disjoint_slots_each_have_their_own_first_in_line(scene, make):
    held = scene.hold(make, "10:00", "14:00")
    morning = scene.join(scene.first, "10:00", "12:00", auto_request=True)
    afternoon = scene.join(scene.second, "12:00", "14:00", auto_request=True)
    bookings.cancel(scene.holder, roles_of(scene.holder), held)
    assert (morning.status, afternoon.status) == ("fulfilled", "fulfilled")
    assert [n.params["position"] for n in freed_notices()] == [1, 1]


def test_rejection_frees_the_slot_for_the_waiting_list(scene, make):
    rival = scene.hold(make, status="pending")
    entry = scene.join(scene.first)
    bookings.reject(scene.manager, roles_of(scene.manager), rival, "设备检修")
    [told] = freed_notices(scene.first)
    assert told.params["entry_id"] == entry.id and "booking_id" not in told.params
    assert entry.status == "waiting" and entry.times_notified == 1  # told, still waiting until it acts


def test_no_show_release_frees_the_rest_of_the_slot(scene, make):
    held = scene.hold(make, "10:00", "14:00")
    entry = scene.join(scene.first, "12:00", "13:00", auto_request=True)
    gone = scene.join(scene.second, "10:00", "11:00")  # its start will have passed
    assert close_overdue(now=scene.at("10:10")) == (0, 0)
    assert freed_notices() == []
    assert close_overdue(now=scene.at("10:16")) == (1, 0)
    assert held.status == "no_show"
    [told] = freed_notices()
    assert told.user_id == scene.first.id and entry.status == "fulfilled"
    assert db.session.get(Booking, entry.booking_id).start_at == scene.at("12:00")
    assert gone.status == "waiting" and gone.times_notified == 0


def test_slot_still_covered_by_another_booking_tells_nobody(scene, make):
    held = scene.hold(make, "10:00", "11:00")
    scene.hold(make, "10:00", "11:00", status="pending", requester=scene.third)
    entry = scene.join(scene.first, "10:00", "11:00", auto_request=True)
    bookings.cancel(scene.holder, roles_of(scene.holder), held)
    assert freed_notices() == [] and entry.status == "waiting" and entry.times_notified == 0


def test_a_booking_in_the_changeover_still_covers_the_slot(scene, make):
    scene.facility.buffer_minutes = 30
    held = scene.hold(make, "10:00", "11:00")
    scene.hold(make, "11:30", "12:30", requester=scene.third)  # right after the holder's changeover
    entry = scene.join(scene.first, "10:00", "11:30")
    bookings.cancel(scene.holder, roles_of(scene.holder), held)
    assert freed_notices() == [] and entry.times_notified == 0


def test_auto_request_refused_by_a_rule_keeps_the_entry_waiting(scene, make):
    held = scene.hold(make)
    entry = scene.join(scene.first, auto_request=True)
    make.closure(scene.facility, scene.at("11:00"), scene.at("13:00"), reason="设备检修")
    bookings.cancel(scene.holder, roles_of(scene.holder), held)
    [told] = freed_notices()
    assert entry.status == "waiting" and entry.booking_id is None and told.booking_id is None
    assert told.params["refusal"]["code"] == "closed"
    assert db.session.scalar(select(Booking.id).where(Booking.requester_id == scene.first.id)) is None


def test_a_slot_freed_again_tells_the_waiting_again(scene, make):
    held = scene.hold(make)
    entry = scene.join(scene.first)
    bookings.cancel(scene.holder, roles_of(scene.holder), held)
    again = scene.hold(make, requester=scene.third)
    bookings.cancel(scene.third, roles_of(scene.third), again)
    assert entry.times_notified == 2 and len(freed_notices(scene.first)) == 2


def test_entries_expire_once_their_slot_has_started(scene, make):
    scene.hold(make)
    early = scene.join(scene.first, "10:00", "11:00")
    late = scene.join(scene.second, "11:00", "12:00")
    db.session.commit()
    assert services.expire(scene.at("09:59")) == 0
    assert services.expire(scene.at("10:00")) == 1
    assert (early.status, early.closed_at, late.status) == ("expired", scene.at("10:00"), "waiting")
    assert services.expire(scene.at("10:30")) == 0


def test_withdrawing_keeps_the_entry(scene, make):
    scene.hold(make)
    entry = scene.join(scene.first)
    services.withdraw(scene.first, roles_of(scene.first), entry)
    assert entry.status == "withdrawn" and entry.closed_at is not None
    assert db.session.get(WaitlistEntry, entry.id) is entry
    with pytest.raises(InvalidTransition):
        services.withdraw(scene.first, roles_of(scene.first), entry)


def test_only_the_member_or_their_enterprise_admin_may_withdraw(scene, make):
    scene.hold(make)
    entry = scene.join(scene.first)
    enterprise = scene.first.membership.enterprise
    colleague, admin = make.user(enterprise), make.user(enterprise, role="admin")
    for outsider in (scene.second, colleague, scene.manager):
        with pytest.raises(Forbidden):
            services.withdraw(outsider, roles_of(outsider), entry)
    services.withdraw(admin, roles_of(admin), entry)
    assert entry.status == "withdrawn"


def test_withdrawn_and_expired_entries_are_not_told(scene, make):
    held = scene.hold(make)
    entry = scene.join(scene.first)
    services.withdraw(scene.first, roles_of(scene.first), entry)
    bookings.cancel(scene.holder, roles_of(scene.holder), held)
    assert freed_notices() == []


def _covered_slots(make, scene, first_day: int, n: int) -> list[Booking]:
    """``n`` cancelled bookings on consecutive days, each waited for and still covered by a rival's request."""
    freed = []
    for day in range(first_day, first_day + n):
        start, end = scene.at("10:00") + timedelta(days=day), scene.at("11:00") + timedelta(days=day)
        freed.append(make.booking(scene.facility, start, end, status="cancelled", requester=scene.holder))
        make.booking(scene.facility, start, end, status="pending", requester=scene.third)
        services.join(scene.first, roles_of(scene.first), scene.facility, start, end)
    return freed


def _loaded(freed: list[Booking]) -> list[Booking]:
    """As the workflow hands them over: loaded, with their facility."""
    return db.session.scalars(select(Booking).where(Booking.id.in_([b.id for b in freed]))
                              .options(joinedload(Booking.facility))).unique().all()


def test_freeing_many_slots_costs_a_fixed_number_of_queries(scene, make, count_queries):
    few, many = _covered_slots(make, scene, 0, 2), _covered_slots(make, scene, 10, 8)
    db.session.commit()
    few, many = _loaded(few), _loaded(many)
    with count_queries() as for_few:
        services.slots_freed(few, scene.at("08:00"))
    with count_queries() as for_many:
        services.slots_freed(many, scene.at("08:00"))
    assert len(for_few) == len(for_many) == 2, for_many  # the entries, the bookings that still cover them
    assert freed_notices() == []
