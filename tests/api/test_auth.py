"""Bearer tokens: who gets in, who does not, and that the API never touches cookies."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.accounts.models import ApiToken
from booking.bookings.models import Booking
from booking.extensions import db
from booking.timeutil import utcnow

from ..factories import next_weekday
from .helpers import error_of, stamp


def test_request_without_token_is_401_with_bearer_challenge(api, scene):
    response = api.get("/api/v1/resources")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert error_of(response)["message"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="lianxiang"'


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "lx_not-even-a-scheme"])
def test_authorization_that_is_not_a_bearer_token_is_401(api, scene, header):
    response = api.get("/api/v1/resources", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401_invalid_token(api, scene):
    response = api.get("/api/v1/resources", token="lx_made-up")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_token_is_401(api, scene):
    secret = api.token(scene.member)
    assert api.get("/api/v1/resources", token=secret).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == scene.member.id))
    token.revoked_at = utcnow()
    response = api.get("/api/v1/resources", token=secret)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_expired_token_is_401(api, make, scene):
    secret = make.token(scene.member, expires_at=utcnow() - timedelta(minutes=1))
    assert api.get("/api/v1/resources", token=secret).status_code == 401


def test_token_of_a_deactivated_user_is_401(api, scene):
    secret = api.token(scene.member)
    scene.member.active = False
    assert api.get("/api/v1/resources", token=secret).status_code == 401


def test_an_invalid_token_challenge_does_not_stick_to_the_next_request(api, scene):
    api.get("/api/v1/resources", token="lx_made-up")
    response = api.get("/api/v1/resources")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="lianxiang"'


def test_read_only_token_reads_but_may_not_write(api, make, scene):
    secret = make.token(scene.member, scopes="read")
    assert api.get("/api/v1/resources", token=secret).status_code == 200
    day = next_weekday(0)
    response = api.post("/api/v1/bookings", token=secret, json={
        "resource_id": scene.facility.id, "start": stamp(day, "10:00"), "end": stamp(day, "11:00")})
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient_scope"
    assert 'scope="write"' in response.headers["WWW-Authenticate"]
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_signed_in_browser_session_does_not_authenticate_the_api(api, auth, scene):
    auth.login(scene.member)
    response = api.get("/api/v1/resources")
    assert response.status_code == 401


def test_api_responses_set_no_cookie(api, scene):
    day = next_weekday(1)
    responses = [
        api.get("/api/v1/resources"),
        api.get("/api/v1/resources", token="lx_made-up"),
        api.get("/api/v1/resources", scene.member),
        api.get(f"/api/v1/resources/{scene.facility.id}/availability", scene.member,
                query_string={"start": stamp(day, "00:00"), "end": stamp(day, "23:30")}),
        api.post("/api/v1/bookings", scene.member, json={
            "resource_id": scene.facility.id, "start": stamp(day, "10:00"), "end": stamp(day, "11:00")}),
        api.post("/api/v1/bookings", scene.member, json={"resource_id": scene.facility.id}),
        api.get("/api/v1/bookings", scene.member),
        api.get("/api/v1/nowhere", scene.member),
    ]
    assert [r.status_code for r in responses] == [401, 401, 200, 200, 201, 422, 200, 404]
    for response in responses:
        assert "Set-Cookie" not in response.headers
    assert api.client.get_cookie("session") is None


def test_api_responses_are_not_cached(api, scene):
    response = api.get("/api/v1/bookings", scene.member)
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_api_path_answers_json_404(api, scene):
    response = api.get("/api/v1/nowhere", scene.member)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
