"""What a notification e-mail says: the facts in the facility's time zone, the links the recipient
may still use, and the .ics where there is booked time."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from booking.accounts.permissions import roles_of
from booking.bookings import series as series_service
from booking.bookings import services
from booking.extensions import db
from booking.notifications import delivery
from booking.notifications.models import APPROVED, CANCELLED, KINDS, REJECTED, REMINDER, WAITLIST_FREED
from booking.notifications.services import notify
from booking.timeutil import utcnow

from ..factories import en_day, local, next_weekday

BERLIN = ZoneInfo("Europe/Berlin")
ACT = re.compile(r"http://127\.0\.0\.1:5000/act/[\w.-]+")


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain, timezone="Europe/Berlin", hours="00:00-24:00")
    manager = make.manager(facility, locale="en")
    member = make.member(chain, locale="en")
    return facility, manager, member


def sent(smtp, notifications) -> dict:
    db.session.commit()
    assert delivery.deliver(utcnow()).sent == len(notifications)
    [message] = smtp.messages[-1:]
    found = {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}
    return {"message": message, "text": found["text/plain"].get_content(),
            "html": found["text/html"].get_content(), "ics": found.get("text/calendar")}


def test_a_request_asks_the_manager_with_approve_and_reject_links(scene, smtp):
    facility, manager, member = scene
    day = next_weekday(2)
    services.request_booking(member, roles_of(member), facility, local(day, "09:00", BERLIN),
                             local(day, "10:30", BERLIN), purpose="mould trial")
    mail = sent(smtp, [1])
    assert f"{en_day(day)}, 09:00–10:30 (Europe/Berlin)" in mail["text"]
    links = ACT.findall(mail["text"])
    assert len(links) == 2 and set(ACT.findall(mail["html"])) == set(links)
    assert "Approve" in mail["text"] and "Reject" in mail["text"]
    assert mail["ics"] is None  # nothing is booked yet


def test_an_approval_carries_a_cancel_link_and_the_calendar_request(make, scene, smtp):
    facility, _manager, member = scene
    booking = make.booking(facility, local(next_weekday(3), "14:00", BERLIN), requester=member, status="approved")
    mail = sent(smtp, notify(APPROVED, [member], booking=booking))
    assert "Cancel this booking" in mail["text"] and len(ACT.findall(mail["text"])) == 1
    ics = mail["ics"]
    assert ics.get_param("method") == "REQUEST" and ics.get_filename() == f"booking-{booking.id}.ics"
    calendar = Calendar.from_ical(ics.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.id}@lianxiang.local"
    assert event.decoded("DTSTART") == booking.start_at.astimezone(BERLIN)


def test_no_cancel_link_once_the_booking_has_started(make, scene, smtp):
    facility, _manager, member = scene
    started = make.booking(facility, utcnow() - timedelta(minutes=10), requester=member, status="approved")
    mail = sent(smtp, notify(REMINDER, [member], booking=started))
    assert ACT.findall(mail["text"]) == []


def test_a_cancellation_carries_the_reason_and_a_calendar_cancel(make, scene, smtp):
    facility, manager, member = scene
    booking = make.booking(facility, local(next_weekday(3), "14:00", BERLIN), requester=member, status="approved")
    db.session.commit()
    services.cancel(manager, roles_of(manager), booking, "设备检修 maintenance")
    mail = sent(smtp, [1])
    assert "设备检修 maintenance" in mail["text"]
    assert mail["ics"].get_param("method") == "CANCEL"
    [event] = Calendar.from_ical(mail["ics"].get_content()).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert ACT.findall(mail["text"]) == []


def test_a_rejection_says_why_and_offers_nothing_to_click(make, scene, smtp):
    facility, manager, member = scene
    booking = make.booking(facility, local(next_weekday(3), "14:00", BERLIN), requester=member)
    db.session.commit()
    services.reject(manager, roles_of(manager), booking, "line in maintenance")
    mail = sent(smtp, [1])
    assert "line in maintenance" in mail["text"] and mail["ics"] is None and ACT.findall(mail["text"]) == []


def test_an_approved_series_lists_its_dates_with_one_cancel_link_each(make, scene, smtp):
    facility, manager, member = scene
    day = next_weekday(0)
    row, bookings, _skipped = series_service.request_series(
        member, roles_of(member), facility, local(day, "09:00", BERLIN), local(day, "10:00", BERLIN),
        "FREQ=WEEKLY;COUNT=3")
    db.session.commit()
    delivery.deliver(utcnow())  # the manager's request
    series_service.approve_series(manager, roles_of(manager), row)
    mail = sent(smtp, [1])
    assert mail["message"]["To"].addresses[0].addr_spec == member.email
    assert "Dates concerned: 3" in mail["text"]
    for booking in bookings:
        assert f"{en_day(booking.start_at.astimezone(BERLIN).date())}, 09:00" in mail["text"]
    assert len(ACT.findall(mail["text"])) == 3
    assert mail["ics"].get_param("method") == "PUBLISH"
    assert len(Calendar.from_ical(mail["ics"].get_content()).walk("VEVENT")) == 3


def test_what_people_typed_is_escaped_in_the_html(make, scene, smtp):
    facility, _manager, member = scene
    booking = make.booking(facility, local(next_weekday(3), "14:00", BERLIN), requester=member,
                           status="approved", purpose='<img src=x onerror="alert(1)">')
    mail = sent(smtp, notify(APPROVED, [member], booking=booking))
    assert "<img" not in mail["html"] and "&lt;img" in mail["html"]
    assert '<img src=x onerror="alert(1)">' in mail["text"]


def test_rejected_and_cancelled_kinds_read_in_chinese_for_chinese_users(make, smtp):
    chain = make.chain()
    facility = make.facility(chain)
    member = make.member(chain)  # no locale chosen: Chinese
    booking = make.booking(facility, local(next_weekday(3), "14:00"), requester=member, status="cancelled")
    for kind in (REJECTED, CANCELLED):
        notify(kind, [member], booking=booking, params={"reason": "检修"})
    db.session.commit()
    delivery.deliver(utcnow())
    for message in smtp.messages:
        assert message["Subject"].startswith("[链享]")
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
        assert facility.name in text and "申请人: " in text and "检修" in text


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("about", ["booking", "series", "nothing"])
def test_every_kind_makes_an_email_about_a_booking_a_series_or_nothing(make, smtp, kind, about):
    chain = make.chain()
    facility = make.facility(chain)
    member = make.member(chain, locale="en")
    booking = make.booking(facility, local(next_weekday(3), "14:00"), requester=member, status="approved")
    params = {"count": 2, "reason": "r", "facility_id": facility.id, "start": "2030-01-01T02:00:00Z",
              "end": "2030-01-01T03:00:00Z", "used": 9, "limit": 10, "unit": "hours", "booking_id": booking.id}
    subject = {"booking": {"booking": booking}, "series": {"series": _series(booking)}, "nothing": {}}[about]
    notify(kind, [member], params=params, **subject)
    db.session.commit()
    assert delivery.deliver(utcnow()).sent == 1


def _series(booking):
    from booking.bookings.models import Series
    row = Series(facility=booking.facility, enterprise=booking.enterprise, requester_id=booking.requester_id,
                 rrule="FREQ=WEEKLY;COUNT=1", tzid="Asia/Shanghai", dtstart=booking.start_at,
                 duration_minutes=60)
    db.session.add(row)
    booking.series = row
    db.session.flush()
    return row


def test_a_request_the_waiting_list_made_can_be_cancelled_from_its_email(make, scene, smtp):
    facility, _manager, member = scene
    start = local(next_weekday(3), "14:00", BERLIN)
    made = make.booking(facility, start, requester=member, status="pending")
    params = {"entry_id": 1, "facility_id": facility.id, "start": start.isoformat(),
              "end": (start + timedelta(hours=1)).isoformat(), "position": 1, "booking_id": made.id}
    mail = sent(smtp, notify(WAITLIST_FREED, [member], booking=made, params=params))
    assert "Cancel this booking" in mail["text"] and len(ACT.findall(mail["text"])) == 1
    assert mail["ics"] is None  # a request, not yet booked time
