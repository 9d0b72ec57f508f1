"""The booking pages: request form, our bookings, a booking, the approval queue."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.bookings.models import Booking
from booking.extensions import db

from ..factories import local, next_weekday


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain, name="春雨共享生产线")
    member = make.member(chain)
    other = make.member(chain)
    manager = make.manager(facility)
    db.session.commit()
    return facility, member, other, manager


def form_for(day, start, end, **extra):
    return {"start_date": day.isoformat(), "start_time": start, "end_time": end, **extra}


def test_anonymous_visitor_is_sent_to_login(client):
    for path in ("/", "/facilities", "/bookings", "/queue", "/bookings/new?facility_id=1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_login_rejects_wrong_password_without_saying_which_part(client, scene):
    _facility, member, _other, _manager = scene
    response = client.post("/login", data={"email": member.email, "password": "wrong-one"})
    assert response.status_code == 422
    unknown = client.post("/login", data={"email": "nobody@example.test", "password": "wrong-one"})
    assert unknown.status_code == 422
    assert response.get_data() .count(b"error") == unknown.get_data().count(b"error")


def test_login_ignores_offsite_next(client, scene):
    _facility, member, _other, _manager = scene
    response = client.post("/login", data={"email": member.email, "password": "secret123",
                                            "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_member_requests_a_slot_through_the_form(client, auth, scene):
    facility, member, _other, _manager = scene
    auth.login(member)
    day = next_weekday(1)
    start = local(day, "10:00")
    page = client.get("/bookings/new", query_string={"facility_id": facility.id, "start": start.isoformat()})
    assert page.status_code == 200 and b'value="10:00"' in page.data
    response = client.post(f"/bookings/new?facility_id={facility.id}",
                           data=form_for(day, "10:00", "12:00", purpose="秋冬新款试产"))
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert (booking.start_at, booking.end_at, booking.status) == (start, local(day, "12:00"), "pending")
    detail = client.get(response.headers["Location"])
    assert "秋冬新款试产" in detail.get_data(as_text=True)


def test_form_shows_rule_errors_and_changes_nothing(client, auth, scene):
    facility, member, _other, _manager = scene
    auth.login(member)
    day = next_weekday(1)
    response = client.post(f"/bookings/new?facility_id={facility.id}", data=form_for(day, "06:00", "07:00"))
    assert response.status_code == 422
    assert "bookable hours" in response.get_data(as_text=True)
    response = client.post(f"/bookings/new?facility_id={facility.id}", data=form_for(day, "10:00", "09:00"))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_form_names_the_conflicting_slot(client, auth, make, scene):
    facility, member, other, _manager = scene
    day = next_weekday(2)
    make.booking(facility, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise)
    db.session.commit()
    auth.login(member)
    response = client.post(f"/bookings/new?facility_id={facility.id}", data=form_for(day, "11:00", "13:00"))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "10:00" in text and "12:00" in text


def test_member_cannot_book_a_facility_of_another_chain(client, auth, make, scene):
    _facility, member, _other, _manager = scene
    foreign = make.facility()
    db.session.commit()
    auth.login(member)
    assert client.get(f"/bookings/new?facility_id={foreign.id}").status_code == 404
    assert client.get(f"/facilities/{foreign.id}").status_code == 404


def test_other_enterprise_cannot_open_a_booking(client, auth, make, scene):
    facility, member, other, _manager = scene
    day = next_weekday(2)
    booking = make.booking(facility, local(day, "10:00"), status="pending", enterprise=member.membership.enterprise,
                           purpose="机密新品")
    db.session.commit()
    auth.login(other)
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 404


def test_our_bookings_lists_only_our_enterprise(client, auth, make, scene):
    facility, member, other, _manager = scene
    day = next_weekday(3)
    make.booking(facility, local(day, "10:00"), enterprise=member.membership.enterprise, purpose="我们的")
    make.booking(facility, local(day, "14:00"), enterprise=other.membership.enterprise, purpose="别人的")
    db.session.commit()
    auth.login(member)
    text = client.get("/bookings").get_data(as_text=True)
    assert "我们的" in text and "别人的" not in text


def test_member_cancels_own_booking(client, auth, make, scene):
    facility, member, _other, _manager = scene
    day = next_weekday(3)
    booking = make.booking(facility, local(day, "10:00"), enterprise=member.membership.enterprise)
    db.session.commit()
    auth.login(member)
    response = client.post(f"/bookings/{booking.id}/cancel", data={"reason": "计划调整"})
    assert response.status_code == 302
    db.session.refresh(booking)
    assert booking.status == "cancelled" and booking.cancel_reason == "计划调整"


def test_manager_approves_from_queue_and_rival_is_rejected(client, auth, make, scene):
    facility, member, other, manager = scene
    day = next_weekday(4)
    first = make.booking(facility, local(day, "10:00"), local(day, "12:00"), enterprise=member.membership.enterprise)
    rival = make.booking(facility, local(day, "11:00"), local(day, "13:00"), enterprise=other.membership.enterprise)
    db.session.commit()
    auth.login(manager)
    queue = client.get("/queue").get_data(as_text=True)
    assert f"#{rival.id}" in queue  # the conflict is shown next to the request
    response = client.post(f"/bookings/{first.id}/approve", data={"next": "/queue"})
    assert response.headers["Location"] == "/queue"
    db.session.expire_all()
    assert first.status == "approved" and rival.status == "rejected"
    assert f"#{first.id}" in rival.rejection_reason


def test_reject_without_reason_is_refused_with_a_message(client, auth, make, scene):
    facility, member, _other, manager = scene
    booking = make.booking(facility, local(next_weekday(4), "10:00"), enterprise=member.membership.enterprise)
    db.session.commit()
    auth.login(manager)
    response = client.post(f"/bookings/{booking.id}/reject", data={"reason": ""}, follow_redirects=True)
    assert "reason" in response.get_data(as_text=True).lower()
    db.session.refresh(booking)
    assert booking.status == "pending"


def test_member_cannot_approve_or_open_queue(client, auth, make, scene):
    facility, member, _other, _manager = scene
    booking = make.booking(facility, local(next_weekday(4), "10:00"), enterprise=member.membership.enterprise)
    db.session.commit()
    auth.login(member)
    assert client.get("/queue").status_code == 403
    assert client.post(f"/bookings/{booking.id}/approve").status_code == 403
    db.session.refresh(booking)
    assert booking.status == "pending"


def test_manager_books_on_behalf_with_override(client, auth, make, scene):
    facility, member, _other, manager = scene
    day = next_weekday(5)
    auth.login(manager)
    response = client.post(f"/bookings/new?facility_id={facility.id}",
                           data=form_for(day, "06:00", "07:00", enterprise_id=member.membership.enterprise_id,
                                         override="y"))
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert booking.rules_overridden and booking.enterprise_id == member.membership.enterprise_id


def test_password_change_signs_out_other_sessions(app, client, auth, scene):
    _facility, member, _other, _manager = scene
    other_session = app.test_client()
    AuthOther = type(auth)
    AuthOther(other_session).login(member)
    auth.login(member)
    response = client.post("/account/password", data={"current_password": "secret123",
                                                      "new_password": "n3w-passw0rd", "confirm": "n3w-passw0rd"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert other_session.get("/").status_code == 302  # the other one is signed out


def test_weak_password_is_refused(client, auth, scene):
    _facility, member, _other, _manager = scene
    auth.login(member)
    response = client.post("/account/password", data={"current_password": "secret123",
                                                      "new_password": "12345678", "confirm": "12345678"})
    assert response.status_code == 422


def test_language_switch_sticks(client, auth, scene):
    _facility, member, _other, _manager = scene
    auth.login(member)
    client.post("/language", data={"locale": "en", "next": "/"})
    db.session.refresh(member)
    assert member.locale == "en"


def test_ids_beyond_the_database_range_are_404_not_500(client, auth, scene):
    _facility, member, _other, _manager = scene
    auth.login(member)
    for path in ("/bookings/99999999999999999999", "/facilities/99999999999999999999",
                 "/chains/99999999999999999999/day"):
        assert client.get(path).status_code == 404, path


def test_queue_filters_by_facility(client, auth, make, scene):
    facility, member, _other, manager = scene
    studio = make.facility(facility.chain, name="春苗直播间01")
    studio.managers.append(manager)
    day = next_weekday(4)
    make.booking(facility, local(day, "10:00"), enterprise=member.membership.enterprise, purpose="产线试产")
    make.booking(studio, local(day, "10:00"), enterprise=member.membership.enterprise, purpose="直播带货")
    auth.login(manager)
    text = client.get(f"/queue?facility_id={studio.id}").get_data(as_text=True)
    assert "直播带货" in text and "产线试产" not in text
    text = client.get("/queue").get_data(as_text=True)
    assert "直播带货" in text and "产线试产" in text


def test_queue_shows_a_page_of_requests_oldest_first_with_their_conflicts(app, client, auth, make, scene):
    facility, member, other, manager = scene
    app.config["PAGE_SIZE"] = 5
    day = next_weekday(4)
    ours = member.membership.enterprise
    requests = [make.booking(facility, local(day + timedelta(days=i), "10:00"), enterprise=ours, purpose=f"批次{i}")
                for i in range(7)]
    rival = make.booking(facility, local(day + timedelta(days=6), "10:30"), enterprise=other.membership.enterprise,
                         purpose="对手")
    db.session.commit()
    auth.login(manager)
    first = client.get("/queue").get_data(as_text=True)
    assert [f"批次{i}" in first for i in range(7)] == [True] * 5 + [False] * 2
    assert "?page=2" in first and "对手" not in first
    second = client.get("/queue?page=2").get_data(as_text=True)
    assert "批次5" in second and "批次6" in second and "对手" in second
    assert f"#{rival.id}" in second and f"#{requests[6].id}" in second  # each shown with what it overlaps
    assert 'value="/queue?page=2"' in second  # deciding comes back to the same page


def test_long_lists_count_only_a_few_pages_ahead(app, client, auth, make, scene, monkeypatch):
    from booking import pagination
    facility, member, _other, manager = scene
    monkeypatch.setattr(pagination, "COUNTED_PAGES", 2)
    app.config["PAGE_SIZE"] = 2
    for i in range(9):
        make.booking(facility, local(next_weekday(4) + timedelta(days=i), "10:00"),
                     enterprise=member.membership.enterprise)
    db.session.commit()
    auth.login(manager)
    text = client.get("/queue").get_data(as_text=True)
    assert "Page 1 of more than 3" in text  # 9 requests, counted up to (1 + 2) pages of 2 = 6 rows
    text = client.get("/queue?page=3").get_data(as_text=True)
    assert "Page 3 of 5" in text  # counted to the end: 9 rows
