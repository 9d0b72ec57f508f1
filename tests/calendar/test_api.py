"""The calendar API: a booking's .ics and the caller's feeds."""
import pytest

from booking.calendar.models import CalendarFeed
from booking.extensions import db

from ..api.conftest import ApiClient
from ..factories import local, next_weekday
from .conftest import events, instants, uid


@pytest.fixture
def api(client, make) -> ApiClient:
    return ApiClient(client, make)


def delete(api, path, user):
    return api.client.delete(path, headers={"Authorization": f"Bearer {api.token(user)}"})


def error_code(response) -> str:
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]["code"]


def test_booking_ics_has_the_visibility_of_the_booking(api, make, scene):
    booking = make.booking(scene.facility, local(next_weekday(1), "09:00"), status="approved",
                           requester=scene.member, purpose="试产")
    db.session.commit()
    response = api.get(f"/api/v1/bookings/{booking.id}/ics", scene.colleague)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    [(key, event)] = events(response.data).items()
    assert key == uid(booking) and instants(event) == (booking.start_at, booking.end_at)
    assert event.status.value == "CONFIRMED"
    for user in (scene.rival, scene.outsider):
        response = api.get(f"/api/v1/bookings/{booking.id}/ics", user)
        assert response.status_code == 404 and error_code(response) == "unknown_booking"
    assert api.get(f"/api/v1/bookings/{booking.id}/ics").status_code == 401


def test_create_list_renew_and_revoke_a_feed(api, client, scene):
    response = api.post("/api/v1/calendar-feeds", scene.member,
                        json={"kind": "facility", "resource_id": scene.facility.id})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert set(created) == {"id", "kind", "title", "url", "webcal_url", "resource_id", "created_at"}
    assert (created["kind"], created["resource_id"]) == ("facility", scene.facility.id)
    assert created["title"] == "Schedule of Chunyu production line"
    assert created["url"].startswith("http://localhost/calendar/feeds/") and created["url"].endswith(".ics")
    assert created["webcal_url"] == "webcal://" + created["url"].removeprefix("http://")
    old_path = created["url"].removeprefix("http://localhost")
    assert client.get(old_path).status_code == 200

    listed = api.get("/api/v1/calendar-feeds", scene.member).get_json()
    assert listed == {"feeds": [created]}

    renewed = api.post(f"/api/v1/calendar-feeds/{created['id']}/renew", scene.member)
    assert renewed.status_code == 200
    assert renewed.get_json()["url"] != created["url"]
    assert client.get(old_path).status_code == 404
    assert client.get(renewed.get_json()["url"].removeprefix("http://localhost")).status_code == 200

    assert delete(api, f"/api/v1/calendar-feeds/{created['id']}", scene.member).status_code == 204
    assert api.get("/api/v1/calendar-feeds", scene.member).get_json() == {"feeds": []}
    assert db.session.get(CalendarFeed, created["id"]).revoked_at is not None


def test_another_users_feed_is_not_found(api, scene):
    feed_id = api.post("/api/v1/calendar-feeds", scene.member, json={"kind": "mine"}).get_json()["id"]
    for response in (api.post(f"/api/v1/calendar-feeds/{feed_id}/renew", scene.colleague),
                     delete(api, f"/api/v1/calendar-feeds/{feed_id}", scene.colleague),
                     delete(api, "/api/v1/calendar-feeds/999999", scene.member)):
        assert response.status_code == 404 and error_code(response) == "unknown_feed"
    assert api.get("/api/v1/calendar-feeds", scene.colleague).get_json() == {"feeds": []}
    assert len(api.get("/api/v1/calendar-feeds", scene.member).get_json()["feeds"]) == 1


@pytest.mark.parametrize("body, status, code", [
    ({"kind": "weekly"}, 422, "invalid_kind"),
    ({}, 422, "missing_field"),
    ({"kind": "facility"}, 422, "facility_required"),
    ({"kind": "facility", "resource_id": 999999}, 422, "unknown_facility"),
    ({"kind": "queue"}, 422, "not_a_manager"),
    ({"kind": "mine", "colour": "red"}, 422, "unknown_field"),
    ({"kind": 3}, 422, "invalid_type"),
    ([1, 2], 400, "invalid_json"),
])
def test_bad_feed_requests_get_a_clear_error_and_create_nothing(api, scene, body, status, code):
    response = api.post("/api/v1/calendar-feeds", scene.member, json=body)
    assert response.status_code == status and error_code(response) == code
    assert db.session.scalar(db.select(db.func.count(CalendarFeed.id))) == 0


def test_facility_of_another_chain_is_refused(api, scene):
    response = api.post("/api/v1/calendar-feeds", scene.outsider,
                        json={"kind": "facility", "resource_id": scene.facility.id})
    assert response.status_code == 422 and error_code(response) == "unknown_facility"


def test_a_read_only_token_may_list_but_not_create(api, make, scene):
    token = make.token(scene.member, scopes="read")
    assert api.get("/api/v1/calendar-feeds", token=token).status_code == 200
    assert api.post("/api/v1/calendar-feeds", token=token, json={"kind": "mine"}).status_code == 403


def test_a_retried_feed_request_with_its_idempotency_key_creates_one_feed(api, scene):
    headers = {"Idempotency-Key": "feed-1"}
    first = api.post("/api/v1/calendar-feeds", scene.member, json={"kind": "mine"}, headers=headers)
    again = api.post("/api/v1/calendar-feeds", scene.member, json={"kind": "mine"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert db.session.scalar(db.select(db.func.count(CalendarFeed.id))) == 1
