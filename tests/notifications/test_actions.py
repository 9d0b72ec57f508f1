"""One-click links from e-mails: looking changes nothing, the button acts as the recipient through
the workflow, and a link that no longer applies (or was never issued) is a clear 4xx."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import itsdangerous
import pytest
from sqlalchemy import func, select

from booking.accounts.models import AuditEntry
from booking.accounts.permissions import roles_of
from booking.bookings import series as series_service
from booking.bookings import services
from booking.bookings.models import Booking, BookingEvent
from booking.extensions import db
from booking.notifications import actions, delivery
from booking.notifications.models import REMINDER
from booking.notifications.services import notify
from booking.timeutil import utcnow

from ..factories import local, next_weekday

LINK = re.compile(r"http://127\.0\.0\.1:5000(/act/[\w.-]+)")


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain)
    manager = make.manager(facility, locale="en")
    member = make.member(chain, locale="en")
    return facility, manager, member


def links_to(smtp, user) -> list[str]:
    """The one-click paths in the last e-mail to ``user``, in order."""
    db.session.commit()
    delivery.deliver(utcnow())
    message = smtp.to(user.email)[-1]
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    return LINK.findall(text)


def requested(member, facility, hhmm="10:00") -> Booking:
    day = next_weekday(2)
    return services.request_booking(member, roles_of(member), facility, local(day, hhmm),
                                    local(day, hhmm) + timedelta(hours=1), purpose="打样")


def event_count() -> int:
    return db.session.scalar(select(func.count(BookingEvent.id)))


def test_a_manager_approves_from_the_emails_link(scene, smtp, client):
    facility, manager, member = scene
    booking = requested(member, facility)
    approve, _reject = links_to(smtp, manager)
    events = event_count()

    page = client.get(approve)  # what a mail scanner does, too
    assert page.status_code == 200 and "Approve" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    assert booking.status == "pending" and event_count() == events

    done = client.post(approve)
    assert done.status_code == 200 and "Approved." in done.get_data(as_text=True)
    db.session.expire_all()
    assert booking.status == "approved" and booking.decided_by_id == manager.id
    assert (booking.events[-1].to_status, booking.events[-1].actor_id) == ("approved", manager.id)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "email_link_used"))
    assert (audit.actor_id, audit.object_id, audit.details["link_action"]) == (manager.id, booking.id, "approve")

    # The member hears of it as of any approval.
    assert links_to(smtp, member)
    again = client.post(approve)
    assert again.status_code == 409 and "already been approved" in again.get_data(as_text=True)
    assert client.get(approve).status_code == 409


def test_rejecting_from_the_email_asks_for_the_reason(scene, smtp, client):
    facility, manager, member = scene
    booking = requested(member, facility)
    _approve, reject = links_to(smtp, manager)

    page = client.get(reject).get_data(as_text=True)
    assert 'name="reason"' in page
    assert client.post(reject, data={"reason": "  "}).status_code == 422
    db.session.expire_all()
    assert booking.status == "pending"

    assert client.post(reject, data={"reason": "排产已满"}).status_code == 200
    db.session.expire_all()
    assert booking.status == "rejected" and booking.rejection_reason == "排产已满"
    assert booking.decided_by_id == manager.id


def test_a_manager_approves_a_whole_series_from_one_link(make, scene, smtp, client):
    facility, manager, member = scene
    day = next_weekday(0)
    _row, bookings, _skipped = series_service.request_series(
        member, roles_of(member), facility, local(day, "09:00"), local(day, "10:00"), "FREQ=WEEKLY;COUNT=4")
    approve, _reject = links_to(smtp, manager)
    assert client.post(approve).status_code == 200
    db.session.expire_all()
    assert {b.status for b in bookings} == {"approved"}


def test_a_member_cancels_one_occurrence_through_the_link(scene, smtp, client):
    facility, manager, member = scene
    day = next_weekday(0)
    row, bookings, _skipped = series_service.request_series(
        member, roles_of(member), facility, local(day, "09:00"), local(day, "10:00"), "FREQ=WEEKLY;COUNT=3")
    db.session.commit()
    series_service.approve_series(manager, roles_of(manager), row)
    cancel_links = links_to(smtp, member)
    assert len(cancel_links) == 3

    second = cancel_links[1]
    assert client.get(second).status_code == 200
    assert client.post(second).status_code == 200
    db.session.expire_all()
    assert [b.status for b in bookings] == ["approved", "cancelled", "approved"]
    assert bookings[1].cancelled_by_id == member.id
    assert client.post(second).status_code == 409  # already cancelled: says so


def test_a_reminder_cancels_its_booking(make, scene, smtp, client):
    facility, _manager, member = scene
    booking = make.booking(facility, local(next_weekday(2), "15:00"), requester=member, status="approved")
    notify(REMINDER, [member], booking=booking)
    [cancel] = links_to(smtp, member)
    assert client.post(cancel, data={"reason": "plans changed"}).status_code == 200
    db.session.expire_all()
    assert booking.status == "cancelled" and booking.cancel_reason == "plans changed"


def test_a_link_for_a_decision_someone_else_made_says_what_happened(make, scene, smtp, client):
    facility, manager, member = scene
    booking = requested(member, facility)
    other = make.manager(facility, locale="en")
    approve, _reject = links_to(smtp, manager)
    services.reject(other, roles_of(other), db.session.get(Booking, booking.id), "no operator")
    db.session.commit()

    page = client.get(approve)
    assert page.status_code == 409
    assert "already been rejected" in page.get_data(as_text=True) and other.name in page.get_data(as_text=True)
    assert client.post(approve).status_code == 409
    db.session.expire_all()
    assert booking.status == "rejected"


def test_a_manager_who_lost_the_facility_cannot_use_old_links(scene, smtp, client):
    facility, manager, member = scene
    booking = requested(member, facility)
    approve, _reject = links_to(smtp, manager)
    facility.managers.remove(manager)
    db.session.commit()
    assert client.post(approve).status_code == 409
    db.session.expire_all()
    assert booking.status == "pending"


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature
    lambda token: "x" + token,  # payload
    lambda token: "not-a-token",
    lambda token: "",
])
def test_a_tampered_link_is_a_400(scene, smtp, client, mangle):
    facility, manager, member = scene
    booking = requested(member, facility)
    approve, _reject = links_to(smtp, manager)
    token = approve.rsplit("/", 1)[1]
    path = "/act/" + mangle(token)
    for response in (client.get(path), client.post(path)):
        assert 400 <= response.status_code < 500, response.status_code
    db.session.expire_all()
    assert booking.status == "pending"


def test_a_token_signed_for_something_else_is_refused(app, scene, client):
    facility, manager, member = scene
    requested(member, facility)
    db.session.commit()
    # The app's own key, another salt (as a session cookie or another feature would use).
    forged = itsdangerous.URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
        {"u": manager.id, "v": 1, "a": "approve", "b": 1})
    assert client.post(f"/act/{forged}").status_code == 400


def test_an_expired_link_is_a_410(scene, smtp, client, monkeypatch):
    facility, manager, member = scene
    booking = requested(member, facility)
    db.session.commit()
    fifteen_days_ago = int(time.time()) - 15 * 86400
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: fifteen_days_ago)
    with client.application.test_request_context(base_url="http://127.0.0.1:5000"):
        path = actions.link(manager, actions.APPROVE, booking=booking).removeprefix("http://127.0.0.1:5000")
    monkeypatch.undo()
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert booking.status == "pending"


def test_a_new_password_revokes_the_links_already_sent(scene, smtp, client):
    facility, manager, member = scene
    booking = requested(member, facility)
    approve, _reject = links_to(smtp, manager)
    manager.session_version += 1  # what changing the password does
    db.session.commit()
    assert client.post(approve).status_code == 403
    db.session.expire_all()
    assert booking.status == "pending"
