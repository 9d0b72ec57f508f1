"""The notification centre: what a user sees, reads and chooses to receive."""
from __future__ import annotations

import re
from datetime import timedelta
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.extensions import db
from booking.notifications import models as kinds
from booking.notifications.models import Notification, NotificationPreference
from booking.notifications.render import summary
from booking.notifications.services import notify
from booking.timeutil import utcnow

from ..factories import local, next_weekday


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain, name="共享鞋类智能生产线", name_en="Shared shoe line")
    member = make.member(chain)
    manager = make.manager(facility)
    return facility, member, manager


def request(user, facility, start, end, **kw):
    return services.request_booking(user, roles_of(user), facility, start, end, **kw)


def unread_in_nav(html: str) -> int:
    match = re.search(r"Notifications \((\d+)\)", html)
    return int(match.group(1)) if match else 0


def test_unread_count_is_shown_and_goes_down_when_one_is_opened(client, auth, scene):
    facility, member, manager = scene
    day = next_weekday(0)
    first = request(member, facility, local(day, "09:00"), local(day, "10:00"))
    request(member, facility, local(day, "11:00"), local(day, "12:00"))
    auth.login(manager)
    page = client.get("/notifications").get_data(as_text=True)
    assert unread_in_nav(page) == 2
    assert "New request: 共享鞋类智能生产线" not in page  # English page: the English name
    assert "New request: Shared shoe line" in page
    notification = db.session.scalar(select(Notification).where(Notification.booking_id == first.id))
    response = client.get(f"/notifications/{notification.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bookings/{first.id}")
    assert unread_in_nav(client.get("/notifications").get_data(as_text=True)) == 1
    assert db.session.get(Notification, notification.id).read_at is not None


def test_mark_all_read_clears_the_count(client, auth, scene):
    facility, member, manager = scene
    day = next_weekday(1)
    request(member, facility, local(day, "09:00"), local(day, "10:00"))
    auth.login(manager)
    assert unread_in_nav(client.get("/notifications").get_data(as_text=True)) == 1
    response = client.post("/notifications/read", follow_redirects=True)
    assert unread_in_nav(response.get_data(as_text=True)) == 0
    assert "All notifications are marked as read." in response.get_data(as_text=True)


def test_another_users_notification_is_not_found(client, auth, make, scene):
    facility, member, manager = scene
    day = next_weekday(2)
    request(member, facility, local(day, "09:00"), local(day, "10:00"))
    notification = db.session.scalar(select(Notification).where(Notification.user_id == manager.id))
    auth.login(member)
    assert client.get(f"/notifications/{notification.id}/open").status_code == 404
    assert db.session.get(Notification, notification.id).read_at is None


def test_email_only_messages_stay_out_of_the_centre(client, auth, scene):
    facility, member, manager = scene
    db.session.add(NotificationPreference(user_id=manager.id, kind=kinds.REQUEST_SUBMITTED, channels="email"))
    day = next_weekday(2)
    request(member, facility, local(day, "09:00"), local(day, "10:00"))
    auth.login(manager)
    page = client.get("/notifications").get_data(as_text=True)
    assert unread_in_nav(page) == 0 and "New request" not in page


def test_preferences_are_saved_and_respected_by_notify(client, auth, scene):
    facility, member, manager = scene
    auth.login(member)
    form = {kind: "both" for kind in ("approved", "rejected", "cancelled", "pending_expiring", "reminder",
                                      "waitlist_freed", "series_ending", "quota_nearly_used")}
    form.update(approved="email", rejected="in_app", reminder="none")
    response = client.post("/notifications/preferences", data=form)
    assert response.status_code == 302
    stored = dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.channels)
                                     .where(NotificationPreference.user_id == member.id)).all())
    assert stored["approved"] == "email" and stored["rejected"] == "in_app" and stored["reminder"] == "none"
    day = next_weekday(3)
    booking = request(member, facility, local(day, "09:00"), local(day, "10:00"))
    [approved] = notify(kinds.APPROVED, [member], actor=manager, booking=booking)
    assert approved.in_app is False and approved.email_status == "queued"
    [rejected] = notify(kinds.REJECTED, [member], booking=booking, params={"reason": "x"})
    assert rejected.in_app is True and rejected.email_status == "none"
    assert notify(kinds.REMINDER, [member], booking=booking) == []
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="approved"[^>]*>(?:(?!</select>).)*<option selected value="email">', page, re.S)


def test_approval_requests_cannot_be_muted(client, auth, scene):
    facility, member, manager = scene
    auth.login(manager)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="request_submitted"' in page
    response = client.post("/notifications/preferences", data={
        "request_submitted": "none", "pending_expiring": "none", "cancelled": "none"})
    assert response.status_code == 422
    assert "cannot be switched off" in response.get_data(as_text=True)
    assert db.session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == manager.id)).all() == []


def test_members_do_not_see_the_approval_request_setting(client, auth, scene):
    _facility, member, _manager = scene
    auth.login(member)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="request_submitted"' not in page and 'name="approved"' in page
    assert "/language" in page  # the language is chosen on the same page


def test_the_centre_costs_the_same_queries_for_many_notifications(client, auth, make, scene, count_queries):
    facility, member, manager = scene
    day = next_weekday(0, weeks_ahead=2)
    request(member, facility, local(day, "09:00"), local(day, "10:00"))
    auth.login(manager)
    db.session.commit()
    with count_queries() as few:
        assert client.get("/notifications").status_code == 200
    for hour in range(10, 16):
        other = make.member(facility.chain)
        request(other, facility, local(day, f"{hour}:00"), local(day, f"{hour}:30"))
    notify(kinds.WAITLIST_FREED, [manager], params={"facility_id": facility.id, "entry_id": 1, "position": 2,
                                                     "start": "2030-01-01T01:00:00Z", "end": "2030-01-01T02:00:00Z"})
    notify(kinds.QUOTA_NEARLY_USED, [manager], params={"facility_id": facility.id, "used": 8, "limit": 10,
                                                        "unit": "hours"})
    db.session.commit()
    with count_queries() as many:
        page = client.get("/notifications").get_data(as_text=True)
    assert page.count("/open") == 9
    assert len(many) == len(few) + 1  # + the facilities named only by id, loaded together


def test_summaries_speak_the_forced_language(app, make, scene):
    facility, member, manager = scene
    day = next_weekday(4)
    booking = request(member, facility, local(day, "09:00"), local(day, "12:00"))
    [notification] = db.session.scalars(select(Notification).where(Notification.booking_id == booking.id)).all()
    with app.test_request_context():
        with force_locale("en"):
            english = summary(notification)
        with force_locale("zh_CN"):
            chinese = summary(notification)
    assert english.title.startswith(f"New request: Shared shoe line, {day.day} {day:%b} 09:00–12:00")
    assert "共享鞋类智能生产线" in chinese.title and f"{day:%m-%d} 09:00–12:00" in chinese.title
    assert english.url == f"/bookings/{booking.id}"


@pytest.mark.parametrize("kind,params,expected", [
    (kinds.REJECTED, {"reason": "维修", "lost_to": 9}, ["Rejected: Shared shoe line", "given to another request",
                                                       "Reason: 维修"]),
    (kinds.CANCELLED, {"reason": "plans", "by_manager": True, "late": True},
     ["Cancelled: Shared shoe line", "facility's manager", "a fee may apply"]),
    (kinds.REMINDER, {}, ["Reminder: Shared shoe line starts at"]),
    (kinds.APPROVED, {}, ["Approved: Shared shoe line"]),
    (kinds.PENDING_EXPIRING, {}, ["Still unanswered", "Your request has not been decided yet"]),
    (kinds.REQUEST_SUBMITTED, {"count": 1, "over_quota": True}, ["New request: Shared shoe line",
                                                                 "overruns a quota"]),
])
def test_every_kind_about_a_booking_reads_in_english(app, make, scene, kind, params, expected):
    facility, member, manager = scene
    day = next_weekday(4)
    booking = make.booking(facility, local(day, "09:00"), requester=member)
    [notification] = notify(kind, [member], booking=booking, params=params)
    with app.test_request_context(), force_locale("en"):
        text = summary(notification)
    for words in expected:
        assert words in text.title + "\n" + text.body
    assert text.url == f"/bookings/{booking.id}"


def test_messages_without_a_booking_render_from_their_params(app, make, scene):
    facility, member, _manager = scene
    [freed] = notify(kinds.WAITLIST_FREED, [member], params={
        "facility_id": facility.id, "entry_id": 3, "position": 2,
        "start": "2030-01-07T01:00:00Z", "end": "2030-01-07T03:00:00Z"})
    [auto] = notify(kinds.WAITLIST_FREED, [member], params={"facility_id": 999999, "booking_id": 5})
    [quota] = notify(kinds.QUOTA_NEARLY_USED, [member], params={
        "quota_id": 1, "used": "7.5", "limit": 10, "unit": "hours", "kind": "production_line",
        "period_start": "2030-01-06", "period_end": "2030-01-12", "enterprise_name": "甲公司"})
    [ending] = notify(kinds.SERIES_ENDING, [member], params={"last": "2030-02-03T01:00:00Z"})
    with app.test_request_context(), force_locale("en"):
        freed_text, auto_text = summary(freed), summary(auto)
        quota_text, ending_text = summary(quota), summary(ending)
    assert freed_text.title == "A slot you wait for is free: Shared shoe line, 7 Jan 09:00–11:00"
    assert "number 2 in line" in freed_text.body and freed_text.url == "/waitlist"
    assert auto_text.url == "/bookings/5" and "automatically" in auto_text.body
    assert quota_text.title == "Quota nearly used: 7.5 of 10 hours at Production line"
    assert "6 Jan 2030 to 12 Jan 2030" in quota_text.body and quota_text.url is None
    assert "last date 3 Feb 2030" in ending_text.title


def test_a_series_message_counts_its_dates_and_leads_to_an_occurrence(client, auth, scene):
    from booking.bookings import series as series_services
    facility, member, manager = scene
    day = next_weekday(0)
    row, made, _skipped = series_services.request_series(member, roles_of(member), facility, local(day, "09:00"),
                                                         local(day, "10:00"), "FREQ=WEEKLY;COUNT=3")
    notification = db.session.scalar(select(Notification).where(Notification.user_id == manager.id))
    assert notification.series_id is not None
    with client.application.test_request_context(), force_locale("en"):
        text = summary(notification)
    assert text.title.startswith("New recurring request: 3 dates from")
    auth.login(manager)
    response = client.get(text.url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bookings/{made[0].id}")
    assert notification.series_id == row.id


def test_managers_are_asked_to_decide_a_request_about_to_expire(app, make, scene):
    facility, member, manager = scene
    booking = make.booking(facility, local(next_weekday(4), "09:00"), requester=member)
    [notification] = notify(kinds.PENDING_EXPIRING, [manager], booking=booking)
    with app.test_request_context(), force_locale("en"):
        text = summary(notification)
    assert "Approve or reject it before it starts" in text.body
    assert text.title.startswith("Still unanswered: Shared shoe line")


def test_the_centre_pages_newest_first(app, client, auth, scene):
    facility, member, manager = scene
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        notify(kinds.REJECTED, [member], params={"reason": f"reason {n}"}, now=utcnow() + timedelta(minutes=n))
    auth.login(member)
    first = client.get("/notifications").get_data(as_text=True)
    assert first.index("reason 2") < first.index("reason 1") and "reason 0" not in first
    assert unread_in_nav(first) == 3
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "reason 0" in second and "reason 1" not in second
