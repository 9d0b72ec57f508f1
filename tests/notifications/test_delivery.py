"""The e-mail outbox delivered against a real SMTP server: once, in the recipient's language,
with retries when the server is down, and never twice with two workers at once."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from booking.accounts.models import AuditEntry
from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.bookings.models import Booking
from booking.extensions import db
from booking.notifications import delivery
from booking.notifications.models import (APPROVED, FAILED, QUEUED, REMINDER, SENT, DeliveryFailure,
                                          Notification)
from booking.notifications.render import summary
from booking.notifications.services import notify
from booking.timeutil import utcnow

from ..factories import local, next_weekday


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain)
    manager = make.manager(facility, locale="en")
    member = make.member(chain)
    return facility, manager, member


def request(member, facility, hhmm="10:00", day=None):
    day = day or next_weekday(1)
    start = local(day, hhmm)
    return services.request_booking(member, roles_of(member), facility, start, start + timedelta(hours=1),
                                    purpose="样品试产")


def queued(count: int, make, now=None) -> list[Notification]:
    """``count`` reminders to as many members, due now."""
    chain = make.chain()
    facility = make.facility(chain)
    made = []
    for i in range(count):
        member = make.member(chain)
        start = local(next_weekday(2), "00:00") + timedelta(hours=i)
        booking = make.booking(facility, start, requester=member, status="approved")
        made += notify(REMINDER, [member], booking=booking, now=now)
    db.session.commit()
    return made


def parts(message) -> dict[str, str]:
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


def test_queued_notification_is_delivered_once_with_text_and_html(scene, smtp):
    facility, manager, member = scene
    booking = request(member, facility)
    [notification] = db.session.scalars(select(Notification)).all()
    assert notification.user_id == manager.id and notification.email_status == QUEUED

    report = delivery.deliver(utcnow())

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [message] = smtp.messages
    assert smtp.envelopes == [("noreply@lianxiang.test", [manager.email])]
    assert message["Message-ID"] == f"<notification-{notification.id}@lianxiang.test>"
    assert message["Auto-Submitted"] == "auto-generated"
    found = parts(message)
    assert {"text/plain", "text/html"} <= set(found)
    assert facility.name_en in found["text/plain"].get_content()
    assert f"/bookings/{booking.id}" in found["text/html"].get_content()
    db.session.expire_all()
    assert notification.email_status == SENT and notification.sent_at is not None
    assert notification.claimed_by is None

    assert delivery.deliver(utcnow() + timedelta(hours=1)).sent == 0
    assert len(smtp.messages) == 1


def test_each_recipient_reads_the_subject_in_their_language(make, smtp):
    chain = make.chain()
    facility = make.facility(chain)
    chinese = make.manager(facility, locale="zh_CN")
    english = make.manager(facility, locale="en")
    default = make.manager(facility)  # no choice made: the app's default, Chinese
    request(make.member(chain), facility)
    delivery.deliver(utcnow())

    notifications = {n.user_id: n for n in db.session.scalars(select(Notification))}
    for user, locale, brand in ((chinese, "zh_CN", "链享"), (english, "en", "Lianxiang"),
                                (default, "zh_CN", "链享")):
        [message] = smtp.to(user.email)
        with force_locale(locale):
            title = summary(notifications[user.id]).title
        assert message["Subject"] == f"[{brand}] {title}"
        text = parts(message)["text/plain"].get_content()
        assert (facility.name if locale == "zh_CN" else facility.name_en) in text


def test_send_notifications_once_drains_the_outbox_and_exits(make, smtp, runner, monkeypatch):
    from booking.notifications import scan
    monkeypatch.setattr(scan, "run", lambda now: {"reminders": 2})
    made = queued(5, make)

    result = runner.invoke(args=["send-notifications", "--once", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert "2 reminders" in result.output and "5 sent" in result.output
    assert len(smtp.messages) == 5
    db.session.expire_all()
    assert {n.email_status for n in made} == {SENT}


def test_smtp_down_then_up_loses_nothing_and_sends_each_message_once(make, smtp):
    made = queued(3, make)
    now = utcnow()
    smtp.stop()

    first = delivery.deliver(now)
    # An outage costs the round one attempt, not one per queued message.
    assert first.unreachable and (first.sent, first.retrying) == (0, 1)
    second = delivery.deliver(now + timedelta(seconds=30))
    assert second.unreachable and second.retrying == 1
    failures = db.session.scalars(select(DeliveryFailure).order_by(DeliveryFailure.id)).all()
    assert [(f.notification_id, f.attempt) for f in failures] == [(made[0].id, 1), (made[1].id, 1)]
    assert "Connection refused" in failures[0].error
    db.session.expire_all()
    assert made[0].email_status == QUEUED and made[0].attempts == 1
    assert made[0].next_attempt_at == now + timedelta(minutes=1) and made[0].claimed_by is None
    assert made[2].attempts == 0 and made[2].claimed_by is None  # handed back untouched

    smtp.start()
    # Within the backoff only the untried message is due; after it, everything goes.
    assert delivery.deliver(now + timedelta(seconds=40)).sent == 1
    assert delivery.deliver(now + timedelta(minutes=2)).sent == 2
    assert delivery.deliver(now + timedelta(hours=3)).sent == 0

    sent_ids = sorted(m["Message-ID"] for m in smtp.messages)
    assert sent_ids == sorted(f"<notification-{n.id}@lianxiang.test>" for n in made)
    db.session.expire_all()
    assert {n.email_status for n in made} == {SENT}


def test_retries_back_off_up_to_an_hour_and_give_up_after_48_attempts(make, smtp):
    assert [delivery.retry_delay(n) for n in (1, 2, 3, 6, 7, 30)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=32),
        timedelta(hours=1), timedelta(hours=1)]
    [notification] = queued(1, make)
    smtp.stop()
    now = utcnow()
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        report = delivery.deliver(now)
        assert report.claimed == 1
        db.session.expire_all()
        assert notification.attempts == attempt
        if notification.email_status == QUEUED:
            now = notification.next_attempt_at
    assert notification.email_status == FAILED and notification.next_attempt_at is None
    assert db.session.scalar(select(func.count(DeliveryFailure.id))) == delivery.MAX_ATTEMPTS
    assert delivery.deliver(now + timedelta(days=30)).claimed == 0


def test_an_administrator_sees_failed_mail_and_queues_it_again(make, smtp, client, auth):
    [notification] = queued(1, make)
    smtp.refuse.add(notification.user.email)
    assert delivery.deliver(utcnow()).failed == 1  # 550: that mailbox will not exist tomorrow either
    admin = make.admin()
    auth.login(make.member())
    assert client.get("/admin/outbox").status_code == 403
    auth.logout()
    auth.login(admin)

    page = client.get("/admin/outbox").get_data(as_text=True)
    assert notification.user.email in page and "550" in page

    assert client.post(f"/admin/outbox/{notification.id}/requeue").status_code == 302
    db.session.expire_all()
    assert notification.email_status == QUEUED and notification.attempts == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "notification_requeued"))
    assert entry.actor_id == admin.id and entry.object_id == notification.id and "550" in entry.details["last_error"]
    smtp.refuse.clear()
    assert delivery.deliver(utcnow()).sent == 1
    # Only failed messages can be queued again.
    client.post(f"/admin/outbox/{notification.id}/requeue")
    db.session.expire_all()
    assert notification.email_status == SENT


def test_a_recipient_without_address_or_account_fails_at_once_without_retries(make, smtp):
    inactive, no_address = queued(2, make)
    inactive.user.active = False
    no_address.user.email = ""
    db.session.commit()

    report = delivery.deliver(utcnow())

    assert (report.sent, report.failed, report.retrying) == (0, 2, 0)
    assert smtp.messages == []
    db.session.expire_all()
    assert inactive.email_status == FAILED and "inactive" in inactive.last_error
    assert no_address.email_status == FAILED and "no e-mail address" in no_address.last_error


def test_a_worker_that_dies_holding_messages_delays_them_by_its_lease_only(make, smtp):
    [notification] = queued(1, make)
    now = utcnow()
    assert delivery.claim(now, 10, "crashed") == [notification.id]  # ... and never sends

    assert delivery.deliver(now + timedelta(minutes=1)).claimed == 0
    assert delivery.deliver(now + delivery.LEASE + timedelta(seconds=1)).sent == 1
    # The worker comes back to life: its claim is gone, so it cannot mark the message again.
    assert delivery.mark_sent(notification.id, "crashed", now) is False
    assert len(smtp.messages) == 1


def test_two_workers_at_once_send_each_message_exactly_once(app, make, smtp, monkeypatch):
    made = queued(24, make)
    smtp.delay = 0.03  # a slow server keeps both workers busy at the same time
    claims, claim = [], delivery.claim
    monkeypatch.setattr(delivery, "claim", lambda *args: claims.append(claim(*args)) or claims[-1])
    barrier = threading.Barrier(2)
    reports, errors = {}, []

    def work(name: str) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                reports[name] = delivery.deliver(batch=3, worker=name)
        except Exception as error:  # the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    ids = [m["Message-ID"] for m in smtp.messages]
    assert sorted(ids) == sorted(f"<notification-{n.id}@lianxiang.test>" for n in made)
    assert sum(r.sent for r in reports.values()) == 24 and all(r.lost == 0 for r in reports.values())
    assert all(r.sent > 0 for r in reports.values()), reports  # both took part
    assert max(len(ids) for ids in claims) == 3  # a claim takes a batch, not everything due
    db.session.expire_all()
    assert {n.email_status for n in made} == {SENT}


def test_a_notification_about_a_rolled_back_request_never_exists(scene, smtp):
    facility, _manager, member = scene
    request(member, facility)
    db.session.flush()
    assert db.session.scalar(select(func.count(Notification.id))) == 1  # written with the booking...
    db.session.rollback()  # ... and gone with it

    assert db.session.scalar(select(func.count(Booking.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert delivery.deliver(utcnow()).claimed == 0 and smtp.messages == []


def test_approval_in_the_app_queues_the_members_mail(scene, smtp):
    facility, manager, member = scene
    booking = request(member, facility)
    db.session.commit()
    services.approve(manager, roles_of(manager), booking)
    db.session.commit()
    kinds = {n.kind: n for n in db.session.scalars(select(Notification))}
    assert kinds[APPROVED].user_id == member.id and kinds[APPROVED].email_status == QUEUED
    delivery.deliver(utcnow())
    assert [m["Subject"] for m in smtp.to(member.email)]


def test_a_connection_the_server_dropped_between_batches_is_opened_again(app, make, smtp):
    from booking.notifications.mail import compose
    first, second = queued(2, make)
    transport = delivery.SMTPTransport(app.config)
    transport.send(compose(first, utcnow()))
    transport.smtp.close()  # as an idle timeout on the server's side would
    transport.send(compose(second, utcnow()))
    transport.close()
    assert len(smtp.messages) == 2


def test_the_worker_loops_until_stopped(make, smtp, runner, monkeypatch):
    import time
    queued(2, make)

    def stop(_seconds):
        raise KeyboardInterrupt
    monkeypatch.setattr(time, "sleep", stop)

    result = runner.invoke(args=["send-notifications", "--interval", "5"])

    assert result.exit_code == 0, result.output
    assert "a round every 5 s" in result.output and "2 sent" in result.output and "stopped" in result.output
    assert len(smtp.messages) == 2
