"""Time-triggered notifications with a frozen clock: reminders, unanswered requests, series ending soon."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.accounts.permissions import roles_of
from booking.bookings import services as bookings
from booking.bookings.series import request_series
from booking.extensions import db
from booking.notifications import models as kinds
from booking.notifications import scan
from booking.notifications.models import Notification, NotificationPreference
from booking.waitlist import services as waitlist

from ..factories import local, next_weekday


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain, name="春雨生产线", name_en="Chunyu line", reminder_hours=24)
    member = make.member(chain)
    return facility, member, make.manager(facility), make.manager(facility)


def sent(kind: str, user=None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(db.session.scalars(query))


def prefer(user, kind: str, channels: str) -> None:
    db.session.add(NotificationPreference(user_id=user.id, kind=kind, channels=channels))
    db.session.flush()


# --- reminders -------------------------------------------------------------------------------

def test_reminder_goes_out_once_inside_the_facilitys_window(make, scene):
    facility, member, _manager, _other = scene
    start = local(next_weekday(1), "10:00")
    booking = make.booking(facility, start, status="approved", requester=member)
    assert scan.run(start - timedelta(hours=24, minutes=1))["reminders"] == 0
    assert sent(kinds.REMINDER) == []
    assert scan.run(start - timedelta(hours=23))["reminders"] == 1
    [reminder] = sent(kinds.REMINDER)
    assert (reminder.user_id, reminder.booking_id, reminder.email_status, reminder.in_app) == (
        member.id, booking.id, "queued", True)
    assert reminder.dedupe_key == f"reminder:{booking.id}:{start.isoformat().replace('+00:00', 'Z')}"
    for hours in (23, 5, 1):
        assert scan.run(start - timedelta(hours=hours))["reminders"] == 0
    assert len(sent(kinds.REMINDER)) == 1


def test_each_facility_reminds_at_its_own_hour(make, scene):
    facility, member, _manager, _other = scene
    short = make.facility(facility.chain, reminder_hours=2)
    start = local(next_weekday(1), "10:00")
    make.booking(short, start, status="approved", requester=member)
    assert scan.run(start - timedelta(hours=3))["reminders"] == 0
    assert scan.run(start - timedelta(hours=2))["reminders"] == 1


def test_no_reminder_for_cancelled_bookings_or_facilities_without_reminders(make, scene):
    facility, member, _manager, _other = scene
    quiet = make.facility(facility.chain)
    quiet.reminder_hours = None  # (given to the constructor, None would let the column default of 24 apply)
    start = local(next_weekday(1), "10:00")
    make.booking(facility, start, status="cancelled", requester=member)
    make.booking(facility, start + timedelta(hours=2), status="pending", requester=member)
    make.booking(quiet, start, status="approved", requester=member)
    assert scan.run(start - timedelta(hours=1))["reminders"] == 0
    assert sent(kinds.REMINDER) == []


def test_a_booking_moved_to_another_time_is_reminded_again(make, scene):
    facility, member, _manager, _other = scene
    start = local(next_weekday(1), "10:00")
    booking = make.booking(facility, start, status="approved", requester=member)
    scan.run(start - timedelta(hours=20))
    booking.start_at, booking.end_at = start + timedelta(hours=2), start + timedelta(hours=3)
    booking.block_end = booking.end_at
    db.session.flush()
    assert scan.run(start - timedelta(hours=19))["reminders"] == 1
    assert len(sent(kinds.REMINDER, member)) == 2


def test_a_second_worker_reading_at_the_same_moment_adds_no_copy(make, scene, monkeypatch):
    facility, member, manager, other = scene
    start = local(next_weekday(1), "10:00")
    make.booking(facility, start, status="approved", requester=member)
    make.booking(facility, start + timedelta(hours=2), status="pending", requester=member)
    now = start - timedelta(hours=3)
    first = scan.run(now)
    assert (first["reminders"], first["pending_expiring"]) == (1, 3)
    # As if it had looked before the first worker's messages existed: the dedupe keys still hold.
    monkeypatch.setattr(scan, "_queued_keys", lambda kind, ids: set())
    second = scan.run(now)
    assert (second["reminders"], second["pending_expiring"]) == (0, 0)
    assert len(sent(kinds.REMINDER)) == 1 and len(sent(kinds.PENDING_EXPIRING)) == 3


def test_a_round_with_nothing_new_costs_a_fixed_number_of_queries(make, scene, count_queries):
    facility, member, _manager, _other = scene
    day = next_weekday(1)
    now = local(day, "00:00")

    def reminded(n: int) -> int:
        for _ in range(n):
            start = local(day, "08:00") + timedelta(minutes=30 * len(sent(kinds.REMINDER)))
            make.booking(facility, start, start + timedelta(minutes=30), status="approved", requester=member)
            scan.run(now)
        db.session.commit()
        with count_queries() as seen:
            assert scan.run(now)["reminders"] == 0
        return len(seen)
    assert reminded(2) == reminded(10)


# --- requests about to lapse unanswered ------------------------------------------------------

def test_pending_request_about_to_lapse_warns_managers_and_requester_once(make, scene):
    facility, member, manager, other = scene
    start = local(next_weekday(1), "10:00")
    booking = make.booking(facility, start, status="pending", requester=member)
    assert scan.run(start - timedelta(hours=25))["pending_expiring"] == 0
    assert scan.run(start - timedelta(hours=23))["pending_expiring"] == 3
    assert {n.user_id for n in sent(kinds.PENDING_EXPIRING)} == {manager.id, other.id, member.id}
    assert {n.booking_id for n in sent(kinds.PENDING_EXPIRING)} == {booking.id}
    assert scan.run(start - timedelta(hours=2))["pending_expiring"] == 0
    assert len(sent(kinds.PENDING_EXPIRING)) == 3


def test_no_warning_once_the_request_is_decided(make, scene):
    facility, member, manager, _other = scene
    start = local(next_weekday(1), "10:00")
    booking = make.booking(facility, start, status="pending", requester=member)
    bookings.reject(manager, roles_of(manager), booking, "满了")
    assert scan.run(start - timedelta(hours=2))["pending_expiring"] == 0


# --- series ending soon ----------------------------------------------------------------------

def weekly(member, facility, weeks: int):
    day = next_weekday(0)
    series, dates, _skipped = request_series(member, roles_of(member), facility, local(day, "09:00"),
                                             local(day, "11:00"), f"FREQ=WEEKLY;COUNT={weeks}")
    return series, dates


def test_series_ending_soon_is_told_once_to_its_requester(scene):
    facility, member, _manager, _other = scene
    series, dates = weekly(member, facility, 4)
    last = dates[-1].start_at
    assert scan.run(last - timedelta(days=15))["series_ending"] == 0
    assert scan.run(last - timedelta(days=13))["series_ending"] == 1
    [notice] = sent(kinds.SERIES_ENDING)
    assert (notice.user_id, notice.series_id, notice.params["last"]) == (
        member.id, series.id, last.isoformat().replace("+00:00", "Z"))
    assert scan.run(last - timedelta(days=2))["series_ending"] == 0
    assert len(sent(kinds.SERIES_ENDING)) == 1


def test_series_whose_last_date_was_cancelled_is_not_ending_soon(scene):
    facility, member, _manager, _other = scene
    _series, dates = weekly(member, facility, 3)
    bookings.cancel(member, roles_of(member), dates[-1])
    assert scan.run(dates[1].start_at - timedelta(days=1))["series_ending"] == 0


# --- preferences -----------------------------------------------------------------------------

def test_in_app_only_gets_no_email_and_nothing_gets_nothing(make, scene):
    facility, member, manager, other = scene
    prefer(member, kinds.REMINDER, kinds.IN_APP)
    prefer(manager, kinds.PENDING_EXPIRING, kinds.NONE)
    start = local(next_weekday(1), "10:00")
    make.booking(facility, start, status="approved", requester=member)
    make.booking(facility, start + timedelta(hours=2), status="pending", requester=member)
    scan.run(start - timedelta(hours=3))
    [reminder] = sent(kinds.REMINDER)
    assert (reminder.in_app, reminder.email_status, reminder.next_attempt_at) == (True, "none", None)
    assert {n.user_id for n in sent(kinds.PENDING_EXPIRING)} == {other.id, member.id}
    scan.run(start - timedelta(hours=2))  # the muted manager is not asked again either
    assert len(sent(kinds.PENDING_EXPIRING)) == 2


def test_a_manager_cannot_mute_approval_requests(scene):
    facility, member, manager, _other = scene
    prefer(manager, kinds.REQUEST_SUBMITTED, kinds.NONE)
    day = next_weekday(1)
    bookings.request_booking(member, roles_of(member), facility, local(day, "10:00"), local(day, "11:00"))
    assert manager.id in {n.user_id for n in sent(kinds.REQUEST_SUBMITTED)}


# --- no-shows and the waiting list -----------------------------------------------------------

def test_run_releases_no_shows_and_expires_waiting_entries(make, scene):
    facility, member, _manager, _other = scene
    day = next_weekday(1)
    held = make.booking(facility, local(day, "10:00"), local(day, "14:00"), status="approved",
                        requester=make.member(facility.chain))
    waiting = waitlist.join(member, roles_of(member), facility, local(day, "10:00"), local(day, "11:00"))
    later = waitlist.join(member, roles_of(member), facility, local(day, "12:00"), local(day, "13:00"))
    counts = scan.run(local(day, "10:20"))
    assert (counts["no_shows"], counts["waitlist_expired"]) == (1, 1)
    assert (held.status, waiting.status, later.status) == ("no_show", "expired", "waiting")
    assert later.times_notified == 1
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == kinds.WAITLIST_FREED)) == 1
