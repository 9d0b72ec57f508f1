"""Over a quota: refused, or flagged for the manager; exceptions recorded; the enterprise warned at 80 %."""
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from booking.accounts.permissions import roles_of
from booking.bookings import series, services
from booking.bookings.models import Booking
from booking.extensions import db
from booking.notifications.models import QUOTA_NEARLY_USED, Notification
from booking.quotas.services import QuotaExceeded

from ..factories import en_day, local, next_weekday
from .conftest import audit, request


def test_a_flagging_quota_keeps_the_request_pending_with_the_overrun(make, scene, quota):
    scene.line.requires_approval = False
    flag = quota(limit_hours="2", over_limit="flag")
    day = next_weekday(1)
    within = request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    assert within.status == "approved" and not within.over_quota
    over = request(scene.colleague, scene.line, local(day, "12:00"), local(day, "13:30"))
    assert over.status == "pending" and over.over_quota
    [event] = over.events
    assert event.details["quota_overrun"] == [{
        "quota_id": flag.id, "unit": "hours", "period": "week", "limit": "2.00", "used": "2.00",
        "requested": "1.50", "period_start": event.details["quota_overrun"][0]["period_start"],
        "period_end": event.details["quota_overrun"][0]["period_end"]}]
    # The manager is asked, and told it is over the quota.
    [asked] = db.session.scalars(select(Notification).where(Notification.user_id == scene.manager.id,
                                                            Notification.kind == "request_submitted")).all()
    assert asked.params["over_quota"] is True


def test_a_flagged_series_flags_only_the_dates_beyond_the_quota(scene, quota):
    quota(limit_hours="4", over_limit="flag")
    monday = next_weekday(0)
    _made, bookings, _skipped = series.request_series(
        scene.member, roles_of(scene.member), scene.line, local(monday, "08:00"), local(monday, "10:00"),
        "FREQ=DAILY;COUNT=4")
    assert [b.over_quota for b in bookings] == [False, False, True, True]
    assert bookings[3].events[0].details["quota_overrun"][0]["used"] == "6.00"


def test_a_refusing_quota_says_how_much_is_left_and_changes_nothing(scene, quota):
    quota(limit_hours="3")
    day = next_weekday(1)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "10:30"))
    with force_locale("en"):
        with pytest.raises(QuotaExceeded) as refused:
            request(scene.member, scene.line, local(day, "12:00"), local(day, "13:00"))
    monday = day - timedelta(days=day.weekday())
    assert refused.value.message == (
        "This request would exceed your enterprise's quota of 3 hours per week on Chunyu line: "
        f"0.5 hours left in the week from {en_day(monday)}.")
    assert refused.value.details["remaining_hours"] == "0.50"
    assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_the_message_speaks_of_today_when_the_period_is_current(scene, quota):
    quota(limit_bookings=1, period="day")
    day = next_weekday(2)
    now = local(day, "06:00")
    request(scene.member, scene.line, local(day, "08:00"), local(day, "09:00"), now=now)
    with force_locale("en"):
        with pytest.raises(QuotaExceeded) as refused:
            request(scene.member, scene.line, local(day, "10:00"), local(day, "11:00"), now=now)
    assert refused.value.message.endswith("per day on Chunyu line: 0 bookings left today.")


def test_a_managers_override_is_never_refused_and_is_recorded(scene, quota):
    refusing = quota(limit_hours="1")
    day = next_weekday(3)
    booking = request(scene.manager, scene.line, local(day, "08:00"), local(day, "12:00"), override=True,
                      enterprise_id=scene.firm.id)
    assert booking.status == "pending" and not booking.over_quota
    [exception] = audit("quota_exception")
    assert (exception.actor_id, exception.object_type, exception.object_id) == (scene.manager.id, "quota",
                                                                                 refusing.id)
    assert exception.details["enterprise_id"] == scene.firm.id and exception.details["facility_id"] == scene.line.id
    assert (exception.details["used"], exception.details["requested"], exception.details["limit"]) == (
        "0.00", "4.00", "1.00")
    # Without the override the manager's request for the enterprise is refused like anybody's.
    with pytest.raises(QuotaExceeded):
        request(scene.manager, scene.line, local(day, "13:00"), local(day, "14:00"), enterprise_id=scene.firm.id)


def test_approving_a_flagged_request_records_the_exception(scene, quota):
    flag = quota(limit_hours="1", over_limit="flag")
    day = next_weekday(3)
    booking = request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    assert booking.over_quota and audit("quota_exception") == []
    services.approve(scene.manager, roles_of(scene.manager), booking)
    [exception] = audit("quota_exception")
    assert (exception.actor_id, exception.object_type, exception.object_id) == (scene.manager.id, "booking",
                                                                                booking.id)
    assert exception.details["quota_overrun"][0]["quota_id"] == flag.id
    assert exception.details["enterprise_id"] == scene.firm.id


def test_approving_a_flagged_series_records_each_exception_reading_the_flags_once(scene, quota, count_queries):
    quota(limit_hours="2", over_limit="flag")
    monday = next_weekday(0)
    made, bookings, _skipped = series.request_series(
        scene.member, roles_of(scene.member), scene.line, local(monday, "08:00"), local(monday, "10:00"),
        "FREQ=DAILY;COUNT=5")
    db.session.commit()
    with count_queries() as seen:
        series.approve_series(scene.manager, roles_of(scene.manager), made)
    exceptions = audit("quota_exception")
    assert [e.object_id for e in exceptions] == [b.id for b in bookings[1:]]
    assert [e.details["quota_overrun"][0]["used"] for e in exceptions] == ["2.00", "4.00", "6.00", "8.00"]
    assert sum("booking_events" in s and s.lstrip().startswith("SELECT") for s in seen) == 1


def test_approving_a_request_within_its_quotas_records_no_exception(scene, quota):
    quota(limit_hours="5", over_limit="flag")
    day = next_weekday(3)
    booking = request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    services.approve(scene.manager, roles_of(scene.manager), booking)
    assert audit("quota_exception") == []


def nearly_used() -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == QUOTA_NEARLY_USED)
                                   .order_by(Notification.user_id)))


def test_the_enterprise_hears_once_per_period_that_a_quota_is_nearly_used(scene, quota):
    warned = quota(limit_hours="10")
    day = next_weekday(1)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "15:00"))   # 70 %
    assert nearly_used() == []
    request(scene.member, scene.line, local(day, "16:00"), local(day, "17:00"))   # 80 %
    notes = nearly_used()
    assert {n.user_id for n in notes} == {scene.member.id, scene.firm_admin.id}
    params = notes[0].params
    assert (params["quota_id"], params["unit"], params["used"], params["limit"]) == (warned.id, "hours", "8.00",
                                                                                     "10.00")
    assert params["facility_id"] == scene.line.id and params["facility_name"] == "春雨共享生产线"
    assert params["period_start"] < params["period_end"]
    assert notes[0].booking_id is None and notes[0].email_status == "queued"
    request(scene.colleague, scene.line, local(day, "18:00"), local(day, "19:00"))  # 90 %: told already
    assert len(nearly_used()) == 2
    # Next week is another period.
    later = day + timedelta(days=7)
    request(scene.colleague, scene.line, local(later, "08:00"), local(later, "17:00"))
    assert {n.user_id for n in nearly_used()} == {scene.member.id, scene.colleague.id, scene.firm_admin.id}
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == QUOTA_NEARLY_USED, Notification.user_id == scene.rival.id)) == 0


def test_a_manager_booking_for_an_enterprise_warns_its_admins_not_the_manager(scene, quota):
    quota(limit_bookings=1, enterprise_id=scene.firm.id)
    day = next_weekday(2)
    request(scene.manager, scene.line, local(day, "08:00"), local(day, "09:00"), enterprise_id=scene.firm.id)
    assert [n.user_id for n in nearly_used()] == [scene.firm_admin.id]
