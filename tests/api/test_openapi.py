"""The OpenAPI document and the reference page: generated from the operations' own models,
complete, public, and cacheable."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from booking.api.bookings import BookingRequest
from booking.api.spec import operations

from ..factories import local, next_weekday
from .helpers import stamp


def test_the_document_is_openapi_3_1_and_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"][
            "bearerAuth"]["description"]}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_document_is_valid_openapi_3_1(client, language):
    """Checked by an independent validator, in both languages (descriptions are translated)."""
    document = client.get("/api/v1/openapi.json", headers={"Accept-Language": language}).get_json()
    validate(document)
    assert len(document["paths"]) > 30


def test_every_api_route_is_declared_and_documented(app, client):
    """An endpoint without @operation would be neither validated nor documented."""
    declared = {endpoint for _path, _method, endpoint, _op, _rule in operations(app)}
    routes = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_json"}
    assert routes - declared == set()
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    documented = {op["operationId"] for item in paths.values() for op in item.values()}
    assert len(documented) == sum(len(item) for item in paths.values())  # operationIds are unique
    assert {endpoint.removeprefix("api.") for endpoint in declared} <= {
        op_id.rsplit("_", 1)[0] if op_id.endswith(("_patch", "_delete", "_put")) else op_id for op_id in documented}


def test_the_booking_request_schema_is_the_model_that_validates_requests(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/bookings"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookingRequest"}
    schema = document["components"]["schemas"]["BookingRequest"]
    assert set(schema["properties"]) == set(BookingRequest.model_fields)
    assert set(schema["required"]) == {"resource_id", "start", "end"}
    assert schema["additionalProperties"] is False
    assert {"201", "401", "403", "409", "422", "429"} <= set(operation["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def test_the_document_answers_304_to_its_own_etag(client):
    first = client.get("/api/v1/openapi.json")
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("language, heading", [("en", "API reference"), ("zh-CN", "API 参考")])
def test_the_reference_page_lists_every_operation_in_the_readers_language(client, app, language, heading):
    response = client.get("/developers/api", headers={"Accept-Language": language})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert heading in page
    for _path, _method, endpoint, _op, _rule in operations(app):
        assert f'id="op-{endpoint.removeprefix("api.")}' in page
    assert 'id="schema-BookingRequest"' in page


def test_a_retried_booking_request_with_the_same_key_creates_one_booking(api, scene):
    day = next_weekday(1)
    body = {"resource_id": scene.facility.id, "start": stamp(day, "09:00"), "end": stamp(day, "10:00")}
    key = {"Idempotency-Key": "order-4711"}
    first = api.post("/api/v1/bookings", scene.member, json=body, headers=key)
    again = api.post("/api/v1/bookings", scene.member, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = api.get("/api/v1/bookings", scene.member).get_json()["bookings"]
    assert [b["id"] for b in listed] == [first.get_json()["id"]]


def test_a_key_reused_for_another_request_is_refused_and_changes_nothing(api, scene):
    day = next_weekday(1)
    body = {"resource_id": scene.facility.id, "start": stamp(day, "09:00"), "end": stamp(day, "10:00")}
    key = {"Idempotency-Key": "order-4712"}
    assert api.post("/api/v1/bookings", scene.member, json=body, headers=key).status_code == 201
    other = api.post("/api/v1/bookings", scene.member, json={**body, "start": stamp(day, "11:00"),
                                                             "end": stamp(day, "12:00")}, headers=key)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert len(api.get("/api/v1/bookings", scene.member).get_json()["bookings"]) == 1


def test_keys_belong_to_their_user(api, scene):
    """Two enterprises choosing the same key get their own bookings, not each other's answer."""
    day = next_weekday(2)
    key = {"Idempotency-Key": "1"}
    mine = api.post("/api/v1/bookings", scene.member, headers=key, json={
        "resource_id": scene.facility.id, "start": stamp(day, "09:00"), "end": stamp(day, "10:00")})
    theirs = api.post("/api/v1/bookings", scene.rival, headers=key, json={
        "resource_id": scene.facility.id, "start": stamp(day, "11:00"), "end": stamp(day, "12:00")})
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers


def test_a_refused_request_is_not_remembered_so_its_retry_runs_again(api, scene, make):
    """A 409 holds no booking; once the slot is free, the same retry succeeds."""
    day = next_weekday(3)
    taken = make.booking(scene.facility, local(day, "09:00"), status="approved", requester=scene.rival)
    body = {"resource_id": scene.facility.id, "start": stamp(day, "09:00"), "end": stamp(day, "10:00")}
    key = {"Idempotency-Key": "retry-me"}
    assert api.post("/api/v1/bookings", scene.member, json=body, headers=key).status_code == 409
    assert api.post(f"/api/v1/bookings/{taken.id}/cancel", scene.rival, json={}).status_code == 200
    retried = api.post("/api/v1/bookings", scene.member, json=body, headers=key)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers


@pytest.mark.parametrize("key", ["", " ", "x" * 256])
def test_an_empty_or_overlong_key_is_422(api, scene, key):
    day = next_weekday(1)
    response = api.post("/api/v1/bookings", scene.member, headers={"Idempotency-Key": key}, json={
        "resource_id": scene.facility.id, "start": stamp(day, "09:00"), "end": stamp(day, "10:00")})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_idempotency_key"


def test_a_booking_answers_304_until_it_changes(api, scene, make):
    booking = make.booking(scene.facility, local(next_weekday(1), "09:00"), requester=scene.member)
    first = api.get(f"/api/v1/bookings/{booking.id}", scene.member)
    etag = first.headers["ETag"]
    assert api.get(f"/api/v1/bookings/{booking.id}", scene.member, headers={"If-None-Match": etag}).status_code == 304
    assert api.post(f"/api/v1/bookings/{booking.id}/approve", scene.manager).status_code == 200
    changed = api.get(f"/api/v1/bookings/{booking.id}", scene.member, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
