"""Issue 5's acceptance, end to end over a real SMTP server: a manager approves from the e-mail's
link; a member gets the quota message, the reminder and the waiting-list message in their own
language; an SMTP outage in the middle loses nothing and sends nothing twice."""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.extensions import db
from booking.notifications import delivery, scan
from booking.quotas.models import Quota
from booking.waitlist import services as waitlist

from ..factories import local, next_weekday

LINK = re.compile(r"http://127\.0\.0\.1:5000(/act/[\w.-]+)")


def plain(message) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()


def deliver(now) -> None:
    db.session.commit()
    delivery.deliver(now)


def test_the_whole_round_trip_in_each_recipients_language(make, smtp, client):
    chain = make.chain()
    facility = make.facility(chain, reminder_hours=24)
    manager = make.manager(facility, locale="zh_CN")
    member = make.member(chain, locale="en")
    other = make.member(chain, locale="zh_CN")
    db.session.add(Quota(facility_id=facility.id, period="week", limit_hours=Decimal("10"), over_limit="refuse"))
    day = next_weekday(2)
    start, end = local(day, "09:00"), local(day, "17:00")
    now = start - timedelta(days=5)

    # SMTP is down when the member asks for 8 of the enterprise's 10 weekly hours.
    smtp.stop()
    booking = services.request_booking(member, roles_of(member), facility, start, end, purpose="打样", now=now)
    deliver(now)
    assert smtp.messages == []

    # It comes back: the request reaches the manager in Chinese, the quota warning the member in English.
    smtp.start()
    deliver(now + timedelta(minutes=2))
    [request] = smtp.to(manager.email)
    assert "新申请" in request["Subject"]
    [quota] = smtp.to(member.email)
    assert "quota" in quota["Subject"].lower() and "8" in plain(quota)

    # The manager approves from the e-mail's link (looking at it changes nothing).
    approve = LINK.findall(plain(request))[0]
    assert client.get(approve).status_code == 200
    assert client.post(approve).status_code == 200
    db.session.expire_all()
    assert booking.status == "approved" and booking.decided_by_id == manager.id
    deliver(now + timedelta(minutes=3))
    assert "approved" in smtp.to(member.email)[-1]["Subject"].lower()

    # Another enterprise waits for the slot.
    waitlist.join(other, roles_of(other), facility, start, end, now=now + timedelta(minutes=4))

    # The day before, the member is reminded, in English, once however often the worker looks.
    for minutes in (0, 1, 5):
        scan.run(start - timedelta(hours=20, minutes=-minutes))
        deliver(start - timedelta(hours=20, minutes=-minutes))
    reminders = [m for m in smtp.to(member.email) if "reminder" in m["Subject"].lower()]
    assert len(reminders) == 1

    # The member cancels: the one waiting hears of it in Chinese.
    cancel_at = start - timedelta(hours=19)
    services.cancel(member, roles_of(member), booking, now=cancel_at)
    deliver(cancel_at)
    [freed] = smtp.to(other.email)
    assert "候补" in freed["Subject"] or "空出" in freed["Subject"]

    # Every message went out exactly once.
    sent = Counter((tuple(rcpts), m["Message-ID"]) for m, (_sender, rcpts) in zip(smtp.messages, smtp.envelopes))
    assert set(sent.values()) == {1}
