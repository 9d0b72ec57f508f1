"""The usage API: check-in, check-out, reading and correcting use; 403, 409 and 422 as elsewhere."""
from datetime import timedelta

import pytest

from booking.bookings.models import Booking
from booking.extensions import db
from booking.timeutil import iso

from ..api.conftest import ApiClient
from ..api.helpers import error_of


@pytest.fixture
def api(client, make) -> ApiClient:
    return ApiClient(client, make)


def patch(api, path, user, **kw):
    return api.client.patch(path, headers={"Authorization": f"Bearer {api.token(user)}"}, **kw)


def test_manager_checks_in_and_out(api, make, scene):
    booking = scene.booking(make, start_in=-5).id
    at = iso(scene.now - timedelta(minutes=3))
    response = api.post(f"/api/v1/bookings/{booking}/check-in", scene.manager, json={"at": at})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "checked_in" and body["usage"]["actual_start"] == at
    assert body["usage"]["actual_end"] is None and body["usage"]["output_unit"] == "pairs"
    response = api.post(f"/api/v1/bookings/{booking}/check-out", scene.manager,
                        json={"output_quantity": "1500", "notes": "良品率 98%"})
    assert response.status_code == 200, response.get_json()
    usage = response.get_json()["usage"]
    assert response.get_json()["status"] == "completed"
    assert usage["output_quantity"] == "1500.00" and usage["notes"] == "良品率 98%"
    assert usage["actual_end"] and usage["auto_closed"] is False and usage["corrections"] == []


def test_check_in_with_an_empty_body(api, make, scene):
    booking = scene.booking(make).id
    assert api.post(f"/api/v1/bookings/{booking}/check-in", scene.manager).status_code == 200


@pytest.mark.parametrize("who,status", [("member", 403), ("committee", 403), ("rival", 404)])
def test_only_managers_check_in(api, make, scene, who, status):
    booking = scene.booking(make).id
    response = api.post(f"/api/v1/bookings/{booking}/check-in", getattr(scene, who))
    assert response.status_code == status
    assert db.session.get(Booking, booking).status == "approved"


def test_wrong_state_is_409(api, make, scene):
    booking = scene.booking(make, status="pending").id
    response = api.post(f"/api/v1/bookings/{booking}/check-in", scene.manager)
    assert response.status_code == 409 and error_of(response)["code"] == "invalid_state"
    response = api.post(f"/api/v1/bookings/{booking}/check-out", scene.manager)
    assert response.status_code == 409


@pytest.mark.parametrize("body,field", [
    ({"at": "2025-01-01T10:00:00"}, "at"),
    ({"at": "tomorrow"}, "at"),
    ({"output_quantity": -1}, "output_quantity"),
    ({"output_quantity": 1.5}, "output_quantity"),
    ({"output_unit": "kg"}, "output_unit"),
    ({"colour": "red"}, "colour"),
])
def test_bad_check_out_input_is_422(api, make, scene, body, field):
    booking = scene.booking(make, start_in=-5).id
    assert api.post(f"/api/v1/bookings/{booking}/check-in", scene.manager).status_code == 200
    response = api.post(f"/api/v1/bookings/{booking}/check-out", scene.manager, json=body)
    assert response.status_code == 422, response.get_json()
    assert error_of(response)["details"]["field"] == field
    assert db.session.get(Booking, booking).status == "checked_in"


def test_future_check_in_is_422(api, make, scene):
    booking = scene.booking(make).id
    response = api.post(f"/api/v1/bookings/{booking}/check-in", scene.manager,
                        json={"at": iso(scene.now + timedelta(hours=1))})
    assert response.status_code == 422 and error_of(response)["code"] == "future_time"


@pytest.fixture
def completed(api, make, scene) -> int:
    booking = scene.booking(make, start_in=-5).id
    api.post(f"/api/v1/bookings/{booking}/check-in", scene.manager,
             json={"at": iso(scene.now - timedelta(minutes=5))})
    api.post(f"/api/v1/bookings/{booking}/check-out", scene.manager, json={"output_quantity": "100"})
    return booking


def test_read_usage(api, scene, completed):
    response = api.get(f"/api/v1/bookings/{completed}/usage", scene.member)
    assert response.status_code == 200
    assert response.get_json()["usage"]["output_quantity"] == "100.00"
    assert api.get(f"/api/v1/bookings/{completed}/usage", scene.rival).status_code == 404


def test_correction_through_patch_keeps_the_original(api, scene, completed):
    response = patch(api, f"/api/v1/bookings/{completed}/usage", scene.manager,
                     json={"output_quantity": "120", "reason": "计数器漏记"})
    assert response.status_code == 200, response.get_json()
    usage = response.get_json()["usage"]
    assert usage["output_quantity"] == "120.00"
    assert usage["corrections"] == [{"at": usage["corrections"][0]["at"], "actor_id": scene.manager.id,
                                     "reason": "计数器漏记", "before": {"output_quantity": "100.00"},
                                     "after": {"output_quantity": "120.00"}}]


def test_correction_needs_a_reason_and_a_manager(api, scene, completed):
    path = f"/api/v1/bookings/{completed}/usage"
    response = patch(api, path, scene.manager, json={"output_quantity": "120"})
    assert response.status_code == 422 and error_of(response)["code"] == "reason_required"
    response = patch(api, path, scene.member, json={"output_quantity": "120", "reason": "x"})
    assert response.status_code == 403
    response = patch(api, path, scene.manager, json={"actual_end": iso(scene.now - timedelta(hours=3)),
                                                     "reason": "x"})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_interval"
