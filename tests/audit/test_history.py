"""The history pages of a booking and of a facility: who did what, when and why, all of it."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from booking.accounts.permissions import roles_of
from booking.accounts.services import record
from booking.bookings import services
from booking.extensions import db
from booking.facilities.services import FACILITY_FIELDS, save_facility
from booking.quotas.models import Quota
from booking.timeutil import utcnow
from booking.usage import services as usage

from ..factories import local, next_weekday


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain, name="春雨生产线", name_en="Chunyu line", kind="production_line",
                             output_unit="pairs")
    member = make.member(chain, name="Wang Fang")
    manager = make.manager(facility, name="Li Qiang")
    return chain, facility, member, manager


def test_booking_history_shows_transitions_with_actors_reasons_and_messages(client, auth, scene):
    _chain, facility, member, manager = scene
    day = next_weekday(0)
    booking = services.request_booking(member, roles_of(member), facility, local(day, "09:00"),
                                       local(day, "11:00"), purpose="试产")
    services.reject(manager, roles_of(manager), booking, "设备检修")
    auth.login(member)
    page = client.get(f"/bookings/{booking.id}/history").get_data(as_text=True)
    assert "Requested: Pending" in page and "Pending → Rejected" in page
    assert "Wang Fang" in page and "Li Qiang" in page
    assert "Reason: 设备检修" in page
    assert "Notified: A request waits for my approval" in page and "To Li Qiang" in page
    assert "Notified: A request was rejected" in page and "To Wang Fang" in page
    assert "e-mail queued" in page
    assert page.index("Requested: Pending") < page.index("Pending → Rejected")
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f"/bookings/{booking.id}/history" in detail


def test_booking_history_shows_quota_exceptions_corrections_and_charges(client, auth, make, scene):
    _chain, facility, member, manager = scene
    now = utcnow().replace(microsecond=0)
    booking = make.booking(facility, now - timedelta(minutes=130), now - timedelta(minutes=10),
                           status="approved", requester=member)
    record(manager, "quota_exception", "booking", booking.id, enterprise_id=booking.enterprise_id,
           facility_id=facility.id, quota_overrun=[{"quota_id": 1, "unit": "hours", "used": "10.00",
                                                    "limit": "8.00", "requested": "2.00"}])
    roles = roles_of(manager)
    usage.check_in(manager, roles, booking, at=now - timedelta(minutes=125), now=now - timedelta(minutes=120))
    usage.check_out(manager, roles, booking, output_quantity=Decimal("900"), now=now - timedelta(minutes=10))
    usage.correct_usage(manager, roles, booking, output_quantity=Decimal("950"), reason="计数器漏记", now=now)
    auth.login(manager)
    page = client.get(f"/bookings/{booking.id}/history").get_data(as_text=True)
    assert "Quota exception granted" in page and "Over quota: 10.00 of 8.00 hours" in page
    assert "Recorded use corrected" in page and "Reason: 计数器漏记" in page
    assert "<del>900.00</del> → <ins>950.00</ins>" in page
    assert page.count("Recorded use corrected") == 1  # the audit entry and the correction are one thing
    assert "Charge:" in page
    assert "Approved → Checked in" in page and "Checked in → Completed" in page


def test_booking_history_is_for_those_who_see_the_booking(client, auth, make, scene):
    chain, facility, member, manager = scene
    booking = make.booking(facility, local(next_weekday(1), "09:00"), requester=member)
    auth.login(make.member(chain))
    assert client.get(f"/bookings/{booking.id}/history").status_code == 404
    auth.logout()
    auth.login(make.committee(chain))
    assert client.get(f"/bookings/{booking.id}/history").status_code == 200
    assert client.get("/bookings/999999/history").status_code == 404


def test_booking_history_costs_a_fixed_number_of_queries(client, auth, make, scene, count_queries):
    _chain, facility, member, manager = scene
    day = next_weekday(2)
    booking = services.request_booking(member, roles_of(member), facility, local(day, "09:00"), local(day, "10:00"))
    auth.login(manager)
    db.session.commit()
    with count_queries() as few:
        client.get(f"/bookings/{booking.id}/history")
    services.approve(manager, roles_of(manager), booking)
    services.cancel(manager, roles_of(manager), booking, "停电")
    for n in range(3):
        record(make.admin(), "quota_exception", "booking", booking.id, n=n)
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/bookings/{booking.id}/history").get_data(as_text=True)
    assert "Approved → Cancelled" in page and page.count("Quota exception granted") == 3
    assert len(many) == len(few)


def _settings(facility) -> dict:
    return {name: getattr(facility, name) for name in FACILITY_FIELDS}


def test_facility_history_shows_settings_changes_with_before_and_after(client, auth, make, scene):
    chain, facility, _member, manager = scene
    admin = make.admin(name="Admin Zhou")
    data = _settings(facility) | {"buffer_minutes": 15, "requires_approval": False}
    save_facility(admin, roles_of(admin), facility, data)
    facility_quota = Quota(facility_id=facility.id, period="week", limit_hours=Decimal("8"))
    db.session.add(facility_quota)
    db.session.flush()
    record(admin, "quota_created", "quota", facility_quota.id, facility_id=facility.id, period="week")
    other = make.facility(chain)
    record(admin, "facility_updated", "facility", other.id, changes={"buffer_minutes": ["0", "987"]})
    auth.login(manager)
    response = client.get(f"/facilities/{facility.id}/history")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Facility settings changed" in page and "Admin Zhou" in page
    assert "Changeover buffer (minutes): <del>0</del> → <ins>15</ins>" in page
    assert "Bookings need a manager&#39;s approval: <del>Yes</del> → <ins>No</ins>" in page
    assert "Quota created" in page
    assert "<ins>987</ins>" not in page  # another facility's history stays out


def test_facility_history_is_paginated_newest_first(app, client, auth, make, scene):
    _chain, facility, _member, manager = scene
    app.config["PAGE_SIZE"] = 2
    admin = make.admin()
    start = utcnow() - timedelta(days=1)
    for n in range(5):
        record(admin, "closure_added", "facility", facility.id, reason=f"closure {n}")
        db.session.flush()
    from booking.accounts.models import AuditEntry
    from sqlalchemy import select
    for n, entry in enumerate(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))):
        entry.at = start + timedelta(minutes=n)
    auth.login(manager)
    first = client.get(f"/facilities/{facility.id}/history").get_data(as_text=True)
    assert first.index("closure 4") < first.index("closure 3") and "closure 2" not in first
    third = client.get(f"/facilities/{facility.id}/history?page=3").get_data(as_text=True)
    assert "closure 0" in third and "closure 1" not in third


def test_facility_history_is_for_admins_managers_and_committee(client, auth, make, scene):
    chain, facility, member, _manager = scene
    auth.login(member)
    assert client.get(f"/facilities/{facility.id}/history").status_code == 403
    auth.logout()
    auth.login(make.manager(make.facility(chain)))
    assert client.get(f"/facilities/{facility.id}/history").status_code == 403
    auth.logout()
    auth.login(make.committee(chain))
    assert client.get(f"/facilities/{facility.id}/history").status_code == 200
    schedule = client.get(f"/facilities/{facility.id}").get_data(as_text=True)
    assert f"/facilities/{facility.id}/history" in schedule
    auth.logout()
    auth.login(make.admin())
    assert client.get(f"/facilities/{facility.id}/history").status_code == 200
    assert client.get("/facilities/999999/history").status_code == 404


def test_facility_history_costs_a_fixed_number_of_queries(client, auth, make, scene, count_queries):
    _chain, facility, _member, manager = scene
    admin = make.admin()
    record(admin, "hours_set", "facility", facility.id, windows=[[0, 480, 1200]])
    auth.login(manager)
    db.session.commit()
    with count_queries() as few:
        client.get(f"/facilities/{facility.id}/history")
    for n in range(6):
        record(make.admin(), "closure_added", "facility", facility.id, reason=str(n))
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/facilities/{facility.id}/history").get_data(as_text=True)
    assert "Mon 08:00–20:00" in page
    assert len(many) == len(few)
