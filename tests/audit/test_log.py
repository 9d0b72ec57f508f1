"""The administrator's log: audit entries and booking transitions in one list, filtered and paged."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from booking.accounts.models import AuditEntry
from booking.accounts.services import record
from booking.bookings.models import BookingEvent
from booking.extensions import db

from ..factories import SHANGHAI, UTC


def at(text: str) -> datetime:
    """Shanghai wall-clock time "2030-01-01 09:00" as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def log(make):
    """Two facilities; audit entries and booking events at known times, newest last."""
    chain = make.chain()
    line = make.facility(chain, name="春雨生产线", name_en="Chunyu line")
    studio = make.facility(chain, name="春苗直播间", name_en="Chunmiao studio")
    admin = make.admin(email="zhou.admin@example.test", name="Zhou")
    manager = make.manager(line, email="li.manager@example.test", name="Li")
    member = make.member(chain, email="wang@firm.test", name="Wang")
    booking = make.booking(line, at("2030-01-06 09:00"), requester=member)
    other = make.booking(studio, at("2030-01-06 09:00"), requester=member)
    db.session.flush()
    booking.events[0].at = at("2030-01-01 10:00")
    other.events[0].at = at("2030-01-01 10:30")
    booking.events.append(BookingEvent(actor_id=manager.id, from_status="pending", to_status="rejected",
                                       reason="设备检修", at=at("2030-01-02 08:00")))
    entries = [
        (admin, "facility_updated", "facility", line.id, {"changes": {"buffer_minutes": ["0", "15"]}},
         "2030-01-01 23:30"),
        (admin, "closure_added", "facility", studio.id, {"reason": "studio closed"}, "2030-01-02 00:30"),
        (manager, "quota_exception", "booking", booking.id, {"facility_id": line.id}, "2030-01-03 12:00"),
        (admin, "user_created", "user", member.id, {"email": member.email}, "2030-01-04 09:00"),
    ]
    for actor, action, object_type, object_id, details, when in entries:
        record(actor, action, object_type, object_id, **details)
        db.session.flush()
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        entry.at = at(when)
    db.session.flush()
    return {"line": line, "studio": studio, "admin": admin, "manager": manager, "member": member,
            "booking": booking, "other": other}


def titles(page: str) -> list[str]:
    """The "What" column, top to bottom."""
    rows = re.findall(r'<tr class="history-\w+">\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', page, re.S)
    return [r.strip() for r in rows]


def show(client, **params):
    response = client.get("/admin/log", query_string=params)
    return response, response.get_data(as_text=True)


def test_log_merges_audit_entries_and_booking_events_newest_first(client, auth, log):
    auth.login(log["admin"])
    response, page = show(client)
    assert response.status_code == 200
    assert titles(page) == ["User created", "Quota exception granted", "Pending → Rejected", "Closure added",
                            "Facility settings changed", "Requested: Pending", "Requested: Pending"]


def test_log_filters_by_actor_email(client, auth, log):
    auth.login(log["admin"])
    _response, page = show(client, actor="LI.MAN")
    assert titles(page) == ["Quota exception granted", "Pending → Rejected"]
    _response, page = show(client, actor="%")
    assert titles(page) == []


def test_log_filters_by_action_and_object_type(client, auth, log):
    auth.login(log["admin"])
    assert titles(show(client, action="closure_added")[1]) == ["Closure added"]
    assert titles(show(client, action="booking_rejected")[1]) == ["Pending → Rejected"]
    assert titles(show(client, object_type="booking")[1]) == [
        "Quota exception granted", "Pending → Rejected", "Requested: Pending", "Requested: Pending"]
    assert titles(show(client, object_type="user")[1]) == ["User created"]


def test_log_filters_by_dates_in_the_chain_time_zone(client, auth, log):
    auth.login(log["admin"])
    # 23:30 on 1 January in Shanghai is that day; 00:30 on 2 January is the next, though both are 1 January in UTC.
    assert titles(show(client, since="2030-01-01", until="2030-01-01")[1]) == [
        "Facility settings changed", "Requested: Pending", "Requested: Pending"]
    assert titles(show(client, since="2030-01-02", until="2030-01-03")[1]) == [
        "Quota exception granted", "Pending → Rejected", "Closure added"]


def test_log_filters_by_facility(client, auth, log):
    auth.login(log["admin"])
    page = show(client, facility=str(log["line"].id))[1]
    assert titles(page) == ["Quota exception granted", "Pending → Rejected", "Facility settings changed",
                            "Requested: Pending"]
    assert f'/bookings/{log["booking"].id}/history' in page and f'/bookings/{log["other"].id}/history' not in page
    assert titles(show(client, facility=str(log["studio"].id))[1]) == ["Closure added", "Requested: Pending"]


@pytest.mark.parametrize("params,message", [
    ({"since": "2030-13-01"}, "Write the date as YYYY-MM-DD."),
    ({"since": "yesterday"}, "Write the date as YYYY-MM-DD."),
    ({"since": "2030-01-05", "until": "2030-01-01"}, "The end date must not be before the start date."),
])
def test_bad_dates_are_a_form_error(client, auth, log, params, message):
    auth.login(log["admin"])
    response, page = show(client, **params)
    assert response.status_code == 422 and message in page


def test_pages_follow_one_order_without_gaps_or_repeats(app, client, auth, log):
    auth.login(log["admin"])
    everything = titles(show(client)[1])
    app.config["PAGE_SIZE"] = 3
    paged = []
    for number in (1, 2, 3):
        _response, page = show(client, page=number)
        paged += titles(page)
        assert ("rel=\"next\"" in page) == (number < 3)
    assert paged == everything and len(paged) == 7
    assert 'href="/admin/log?page=2' in show(client)[1]


def test_ties_in_time_keep_a_stable_order_across_pages(app, client, auth, make, log):
    admin = log["admin"]
    same = at("2030-02-01 09:00")
    for n in range(5):
        record(admin, "closure_added", "facility", log["line"].id, reason=f"tie {n}")
        db.session.flush()
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "closure_added",
                                                             AuditEntry.object_id == log["line"].id)):
        entry.at = same
    auth.login(admin)
    app.config["PAGE_SIZE"] = 2
    seen = []
    for number in (1, 2, 3):
        seen += re.findall(r"tie \d", show(client, page=number, action="closure_added")[1])
    assert seen == ["tie 4", "tie 3", "tie 2", "tie 1", "tie 0"]


def test_the_log_is_for_administrators_only(client, auth, log):
    assert client.get("/admin/log").status_code == 302  # to the sign-in page
    auth.login(log["manager"])
    assert client.get("/admin/log").status_code == 403


def test_the_log_costs_a_fixed_number_of_queries(client, auth, make, log, count_queries):
    auth.login(log["admin"])
    db.session.commit()
    with count_queries() as few:
        show(client)
    for n in range(4):
        booking = make.booking(log["studio"], at("2030-03-01 09:00") + timedelta(hours=n))
        record(make.admin(), "facility_updated", "facility", log["studio"].id, changes={"park": ["", str(n)]})
        assert booking.id
    db.session.commit()
    with count_queries() as many:
        _response, page = show(client)
    assert len(titles(page)) == 15
    assert len(many) == len(few)
