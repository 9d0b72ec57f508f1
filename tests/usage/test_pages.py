"""The usage part of the booking page: what each role sees, and the check-in, check-out and correction forms."""
from datetime import timedelta
from decimal import Decimal

import pytest

from booking.bookings.models import Booking
from booking.extensions import db
from booking.usage.models import UsageRecord

from ..factories import SHANGHAI


def page(client, booking_id):
    response = client.get(f"/bookings/{booking_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def reload(booking_id) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


@pytest.mark.parametrize("who,sees", [("manager", True), ("member", False), ("committee", False)])
def test_check_in_form_only_for_those_who_may(client, auth, make, scene, who, sees):
    booking = scene.booking(make).id
    auth.login(getattr(scene, who))
    html = page(client, booking)
    assert ('action="/bookings/%d/check-in"' % booking in html) is sees


def test_enterprise_sees_the_form_where_it_checks_itself_in(client, auth, make, scene):
    scene.facility.self_check_in = True
    booking = scene.booking(make).id
    auth.login(scene.member)
    assert f'action="/bookings/{booking}/check-in"' in page(client, booking)
    response = client.post(f"/bookings/{booking}/check-in", data={"at": ""})
    assert response.status_code == 302
    assert reload(booking).status == "checked_in"


def test_manager_checks_in_and_out_through_the_page(client, auth, make, scene):
    booking = scene.booking(make, start_in=-20).id
    auth.login(scene.manager)
    at = (scene.now - timedelta(minutes=15)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/bookings/{booking}/check-in", data={"at": at}, follow_redirects=True)
    assert "Checked in." in response.get_data(as_text=True)
    assert reload(booking).usage.actual_start == scene.now.replace(second=0) - timedelta(minutes=15)
    html = page(client, booking)
    assert f'action="/bookings/{booking}/check-out"' in html and 'action="/bookings/%d/check-in"' % booking not in html
    response = client.post(f"/bookings/{booking}/check-out",
                           data={"output_quantity": "320", "output_unit": "pairs", "notes": "试产"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "the use is recorded" in html and "320.00 pairs" in html and "试产" in html
    assert reload(booking).status == "completed"


def test_refusal_is_flashed_and_changes_nothing(client, auth, make, scene):
    booking = scene.booking(make, start_in=-20).id
    auth.login(scene.manager)
    client.post(f"/bookings/{booking}/check-in")
    response = client.post(f"/bookings/{booking}/check-out", data={"output_quantity": "-2"},
                           follow_redirects=True)
    assert "non-negative" in response.get_data(as_text=True)
    assert reload(booking).status == "checked_in"


def test_forbidden_post_is_403(client, auth, make, scene):
    booking = scene.booking(make).id
    auth.login(scene.member)
    assert client.post(f"/bookings/{booking}/check-in").status_code == 403
    assert reload(booking).status == "approved"


@pytest.fixture
def auto_closed(make, scene) -> int:
    booking = scene.booking(make, start_in=-180, minutes=60, status="completed")
    db.session.add(UsageRecord(booking=booking, actual_start=booking.start_at, actual_end=booking.end_at,
                               output_quantity=Decimal(50), output_unit="pairs", auto_closed=True))
    db.session.commit()
    return booking.id


def test_auto_closed_use_is_flagged_and_manager_corrects_it(client, auth, scene, auto_closed):
    auth.login(scene.manager)
    html = page(client, auto_closed)
    assert "please check" in html and f'action="/bookings/{auto_closed}/usage"' in html
    booking = reload(auto_closed)
    end = (booking.end_at - timedelta(minutes=20)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    start = booking.start_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/bookings/{auto_closed}/usage", follow_redirects=True, data={
        "actual_start": start, "actual_end": end, "output_quantity": "50.00", "output_unit": "pairs",
        "notes": "", "reason": "提前收工"})
    html = response.get_data(as_text=True)
    assert "The correction is recorded." in html and "提前收工" in html and "→" in html
    correction = reload(auto_closed).usage.corrections[0]
    assert set(correction.before) == {"actual_end"}


def test_member_sees_use_but_no_correction_form(client, auth, scene, auto_closed):
    auth.login(scene.member)
    html = page(client, auto_closed)
    assert "Actual use" in html and "50.00 pairs" in html
    assert f'action="/bookings/{auto_closed}/usage"' not in html
    response = client.post(f"/bookings/{auto_closed}/usage", data={"output_quantity": "1", "reason": "x"})
    assert response.status_code == 403
