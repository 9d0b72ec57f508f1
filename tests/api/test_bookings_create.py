"""POST /api/v1/bookings: the request, its refusals, and who may book for whom."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.bookings.models import Booking
from booking.extensions import db
from booking.timeutil import iso, parse_iso, utcnow

from ..factories import local, next_weekday
from .helpers import error_of, stamp

MISSING = object()


def booking_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def body_for(facility, day, start="10:00", end="12:00", **extra) -> dict:
    return {"resource_id": facility.id, "start": stamp(day, start), "end": stamp(day, end), **extra}


def test_member_requests_a_booking_and_gets_201_with_its_location(api, scene):
    day = next_weekday(0)
    response = api.post("/api/v1/bookings", scene.member,
                        json=body_for(scene.facility, day, purpose="样品试产", planned_output="1200.5"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    enterprise = scene.member.membership.enterprise
    assert response.headers["Location"] == f"/api/v1/bookings/{body['id']}"
    assert body == {
        "id": body["id"], "resource_id": scene.facility.id, "resource_name": "春雨生产线",
        "enterprise": {"id": enterprise.id, "name": enterprise.name}, "requester_id": scene.member.id,
        "series_id": None, "status": "pending",
        "start": iso(local(day, "10:00")), "end": iso(local(day, "12:00")), "timezone": "Asia/Shanghai",
        "local_start": stamp(day, "10:00"), "local_end": stamp(day, "12:00"),
        "purpose": "样品试产", "planned_output": "1200.50", "rules_overridden": False, "over_quota": False,
        "created_at": body["created_at"], "decided_at": None, "rejection_reason": "", "cancelled_at": None,
        "cancel_reason": "", "sequence": 0,
        "history": [{"at": body["history"][0]["at"], "actor_id": scene.member.id, "from": None, "to": "pending",
                     "reason": ""}],
    }
    assert body["start"].endswith("Z") and body["local_start"].endswith("+08:00")
    assert body["created_at"].endswith("Z") and body["history"][0]["at"].endswith("Z")
    assert api.get(response.headers["Location"], scene.member).get_json() == body
    booking = db.session.get(Booking, body["id"])
    assert booking.status == "pending" and booking.enterprise_id == enterprise.id


def test_request_accepts_any_utc_offset(api, scene):
    day = next_weekday(0)
    start = local(day, "10:00")
    response = api.post("/api/v1/bookings", scene.member, json={
        "resource_id": scene.facility.id, "start": iso(start), "end": (start + timedelta(hours=1)).isoformat()})
    assert response.status_code == 201
    assert response.get_json()["local_start"] == stamp(day, "10:00")


def test_facility_without_approval_books_at_once(api, make, scene):
    room = make.facility(scene.chain, requires_approval=False)
    response = api.post("/api/v1/bookings", scene.member, json=body_for(room, next_weekday(1)))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "approved" and body["decided_at"]
    assert [(e["from"], e["to"]) for e in body["history"]] == [(None, "pending"), ("pending", "approved")]


def test_overlapping_an_approved_booking_is_409_with_the_conflicting_interval(api, make, scene):
    day = next_weekday(1)
    make.booking(scene.facility, local(day, "10:00"), local(day, "12:00"), status="approved",
                 requester=scene.rival, purpose="保密")
    response = api.post("/api/v1/bookings", scene.member, json=body_for(scene.facility, day, "11:00", "13:00"))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "slot_taken"
    assert "10:00" in error["message"] and "12:00" in error["message"]
    conflict = error["details"]["conflict"]
    assert parse_iso(conflict["start"]) == local(day, "10:00")
    assert parse_iso(conflict["end"]) == local(day, "12:00")
    assert conflict["status"] == "approved"
    assert "保密" not in str(error)
    assert booking_count() == 1


def test_back_to_back_with_an_approved_booking_is_fine(api, make, scene):
    day = next_weekday(1)
    make.booking(scene.facility, local(day, "10:00"), local(day, "12:00"), status="approved",
                 requester=scene.rival)
    response = api.post("/api/v1/bookings", scene.member, json=body_for(scene.facility, day, "12:00", "13:00"))
    assert response.status_code == 201


# --- rules of the facility -------------------------------------------------------------------

@pytest.mark.parametrize("rules,start,end,code,field", [
    ({}, "12:00", "10:00", "invalid_interval", "end"),
    ({}, "10:00", "10:00", "invalid_interval", "end"),
    ({}, "10:15", "11:00", "not_aligned", "start"),
    ({}, "06:00", "07:00", "outside_hours", "start"),
    ({}, "19:00", "21:00", "outside_hours", "start"),
    ({}, "08:00", "17:00", "too_long", "end"),
    ({"min_minutes": 60}, "10:00", "10:30", "too_short", "end"),
])
def test_request_breaking_the_facility_rules_is_422(api, make, scene, rules, start, end, code, field):
    facility = make.facility(scene.chain, **rules)
    response = api.post("/api/v1/bookings", scene.member, json=body_for(facility, next_weekday(2), start, end))
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["details"]["field"]) == (code, field)
    assert error["message"]
    assert booking_count() == 0


def test_request_inside_a_closure_is_422_closed(api, make, scene):
    day = next_weekday(3)
    make.closure(scene.facility, local(day, "08:00"), local(day, "12:00"), reason="设备检修")
    response = api.post("/api/v1/bookings", scene.member, json=body_for(scene.facility, day, "11:00", "13:00"))
    assert response.status_code == 422
    assert error_of(response)["code"] == "closed"
    assert "设备检修" in error_of(response)["message"]


def test_request_too_soon_is_422(api, scene):
    now = utcnow()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=30 * (now.minute // 30 + 1))
    response = api.post("/api/v1/bookings", scene.member, json={
        "resource_id": scene.facility.id, "start": iso(start), "end": iso(start + timedelta(minutes=30))})
    assert response.status_code == 422
    assert error_of(response)["code"] == "too_soon"


def test_request_too_far_ahead_is_422(api, scene):
    response = api.post("/api/v1/bookings", scene.member,
                        json=body_for(scene.facility, next_weekday(0, weeks_ahead=15)))
    assert response.status_code == 422
    assert error_of(response)["code"] == "too_far"


# --- the request body ----------------------------------------------------------------------

@pytest.mark.parametrize("changes,code,field", [
    ({"resource_id": MISSING}, "missing_field", "resource_id"),
    ({"start": MISSING}, "missing_field", "start"),
    ({"end": MISSING}, "missing_field", "end"),
    ({"end": None}, "missing_field", "end"),
    ({"resource_id": "1"}, "invalid_type", "resource_id"),
    ({"resource_id": True}, "invalid_type", "resource_id"),
    ({"resource_id": 999999}, "unknown_resource", "resource_id"),
    ({"resource_id": 2**70}, "invalid_value", "resource_id"),
    ({"enterprise_id": 2**40}, "invalid_value", "enterprise_id"),
    ({"start": 1767225600}, "invalid_type", "start"),
    ({"start": "tomorrow at ten"}, "invalid_datetime", "start"),
    ({"start": "2030-01-07T10:00:00"}, "naive_datetime", "start"),
    ({"end": "2030-01-07 12:00"}, "naive_datetime", "end"),
    ({"start": "9999-12-31T10:00:00+08:00"}, "invalid_datetime", "start"),
    ({"purpose": 42}, "invalid_type", "purpose"),
    ({"purpose": "长" * 501}, "too_long_text", "purpose"),
    ({"purpose": "nul\x00byte"}, "invalid_value", "purpose"),
    ({"override": "yes"}, "invalid_type", "override"),
    ({"enterprise_id": "3"}, "invalid_type", "enterprise_id"),
    ({"planned_output": 12.5}, "invalid_type", "planned_output"),
    ({"planned_output": "-1"}, "invalid_value", "planned_output"),
    ({"planned_output": "1.234"}, "invalid_value", "planned_output"),
    ({"planned_output": "lots"}, "invalid_value", "planned_output"),
    ({"planned_output": "NaN"}, "invalid_value", "planned_output"),
    ({"planned_output": "1e20"}, "invalid_value", "planned_output"),
    ({"room": "A"}, "unknown_field", "room"),
])
def test_invalid_request_body_is_422_naming_the_field(api, scene, changes, code, field):
    body = body_for(scene.facility, next_weekday(2))
    for key, value in changes.items():
        if value is MISSING:
            del body[key]
        else:
            body[key] = value
    response = api.post("/api/v1/bookings", scene.member, json=body)
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert (error["code"], error["details"]["field"]) == (code, field)
    assert error["message"]
    assert booking_count() == 0


def test_resource_of_another_chain_is_422_unknown_resource(api, scene):
    response = api.post("/api/v1/bookings", scene.outsider, json=body_for(scene.facility, next_weekday(2)))
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_resource"


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", '"text"', "null", "", "[" * 100_000 + "]" * 100_000])
def test_body_that_is_not_a_json_object_is_400_invalid_json(api, scene, data):
    response = api.post("/api/v1/bookings", scene.member, data=data, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


# --- who may book for whom ---------------------------------------------------------------

def test_manager_books_inside_a_closure_for_an_enterprise_with_override(api, make, scene):
    day = next_weekday(4)
    make.closure(scene.facility, local(day, "08:00"), local(day, "12:00"))
    enterprise = scene.member.membership.enterprise
    response = api.post("/api/v1/bookings", scene.manager, json=body_for(
        scene.facility, day, "10:00", "11:00", enterprise_id=enterprise.id, override=True))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["enterprise"]["id"] == enterprise.id and body["requester_id"] == scene.manager.id
    assert body["rules_overridden"] is True


def test_admin_books_on_behalf_of_an_enterprise(api, scene):
    enterprise = scene.rival.membership.enterprise
    response = api.post("/api/v1/bookings", scene.admin,
                        json=body_for(scene.facility, next_weekday(2), enterprise_id=enterprise.id))
    assert response.status_code == 201
    assert response.get_json()["enterprise"]["id"] == enterprise.id


def test_member_may_not_override_the_rules(api, scene):
    response = api.post("/api/v1/bookings", scene.member,
                        json=body_for(scene.facility, next_weekday(2), "06:00", "07:00", override=True))
    assert response.status_code == 403
    assert booking_count() == 0


def test_member_may_not_book_for_another_enterprise(api, scene):
    response = api.post("/api/v1/bookings", scene.member, json=body_for(
        scene.facility, next_weekday(2), enterprise_id=scene.rival.membership.enterprise_id))
    assert response.status_code == 403
    assert booking_count() == 0


def test_manager_must_name_an_enterprise_of_the_chain(api, scene):
    without = api.post("/api/v1/bookings", scene.manager, json=body_for(scene.facility, next_weekday(2)))
    assert without.status_code == 422
    assert error_of(without)["code"] == "enterprise_required"
    foreign = api.post("/api/v1/bookings", scene.manager, json=body_for(
        scene.facility, next_weekday(2), enterprise_id=scene.outsider.membership.enterprise_id))
    assert foreign.status_code == 422
    assert error_of(foreign)["code"] == "unknown_enterprise"


def test_committee_member_may_not_book(api, scene):
    response = api.post("/api/v1/bookings", scene.committee, json=body_for(scene.facility, next_weekday(2)))
    assert response.status_code == 403
    assert booking_count() == 0


def test_booking_without_a_token_is_401(api, scene):
    response = api.post("/api/v1/bookings", json=body_for(scene.facility, next_weekday(2)))
    assert response.status_code == 401
    assert booking_count() == 0
