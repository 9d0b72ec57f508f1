"""POST /api/v1/bookings/<id>/approve, /reject and /cancel: roles, states, reasons."""
from datetime import timedelta

import pytest

from booking.bookings.models import Booking
from booking.extensions import db
from booking.timeutil import parse_iso, utcnow

from ..factories import local, next_weekday
from .helpers import error_of


@pytest.fixture
def pending(make, scene) -> int:
    """A pending request of the member's enterprise on the managed line."""
    day = next_weekday(2)
    booking = make.booking(scene.facility, local(day, "10:00"), local(day, "12:00"), requester=scene.member)
    return booking.id


def status_of(booking_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


# --- approve -------------------------------------------------------------------------------

def test_manager_approves_and_overlapping_pending_requests_are_rejected(api, make, scene, pending):
    day = next_weekday(2)
    rival = make.booking(scene.facility, local(day, "11:00"), local(day, "13:00"), requester=scene.rival).id
    later = make.booking(scene.facility, local(day, "14:00"), local(day, "15:00"), requester=scene.rival).id
    response = api.post(f"/api/v1/bookings/{pending}/approve", scene.manager)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved" and body["decided_at"]
    assert body["rejected"] == [rival]
    assert body["history"][-1]["to"] == "approved" and body["history"][-1]["actor_id"] == scene.manager.id
    assert (status_of(rival), status_of(later)) == ("rejected", "pending")
    assert f"#{pending}" in db.session.get(Booking, rival).rejection_reason


def test_admin_may_approve(api, scene, pending):
    response = api.post(f"/api/v1/bookings/{pending}/approve", scene.admin, json={})
    assert response.status_code == 200
    assert response.get_json()["rejected"] == []


@pytest.mark.parametrize("who,status", [("member", 403), ("committee", 403), ("rival", 404), ("outsider", 404)])
def test_only_managers_approve(api, scene, pending, who, status):
    response = api.post(f"/api/v1/bookings/{pending}/approve", getattr(scene, who))
    assert response.status_code == status
    assert error_of(response)["code"] == {403: "forbidden", 404: "unknown_booking"}[status]
    assert status_of(pending) == "pending"


def test_approving_twice_is_409_invalid_state(api, scene, pending):
    assert api.post(f"/api/v1/bookings/{pending}/approve", scene.manager).status_code == 200
    response = api.post(f"/api/v1/bookings/{pending}/approve", scene.manager)
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_state"


def test_approving_over_an_approved_booking_is_409_with_the_conflicting_interval(api, make, scene, pending):
    day = next_weekday(2)
    # Written directly (as an override or an import might): it overlaps the pending request.
    make.booking(scene.facility, local(day, "11:30"), local(day, "13:00"), requester=scene.rival,
                 status="approved")
    response = api.post(f"/api/v1/bookings/{pending}/approve", scene.manager)
    assert response.status_code == 409
    conflict = error_of(response)["details"]["conflict"]
    assert parse_iso(conflict["start"]) == local(day, "11:30")
    assert parse_iso(conflict["end"]) == local(day, "13:00")
    assert status_of(pending) == "pending"


def test_approve_takes_no_fields(api, scene, pending):
    response = api.post(f"/api/v1/bookings/{pending}/approve", scene.manager, json={"reason": "好"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_field"


# --- reject --------------------------------------------------------------------------------

def test_manager_rejects_with_a_reason(api, scene, pending):
    response = api.post(f"/api/v1/bookings/{pending}/reject", scene.manager, json={"reason": "设备调试"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected" and body["rejection_reason"] == "设备调试"
    assert body["history"][-1]["reason"] == "设备调试"


@pytest.mark.parametrize("kwargs", [{}, {"json": {}}, {"json": {"reason": "   "}}])
def test_reject_without_a_reason_is_422_reason_required(api, scene, pending, kwargs):
    response = api.post(f"/api/v1/bookings/{pending}/reject", scene.manager, **kwargs)
    assert response.status_code == 422
    assert error_of(response)["code"] == "reason_required"
    assert status_of(pending) == "pending"


def test_reject_reason_must_be_a_string(api, scene, pending):
    response = api.post(f"/api/v1/bookings/{pending}/reject", scene.manager, json={"reason": ["太晚"]})
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_type"


def test_reject_body_that_is_not_json_is_400(api, scene, pending):
    response = api.post(f"/api/v1/bookings/{pending}/reject", scene.manager, data="reason=late",
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


@pytest.mark.parametrize("who,status", [("member", 403), ("committee", 403), ("rival", 404)])
def test_only_managers_reject(api, scene, pending, who, status):
    response = api.post(f"/api/v1/bookings/{pending}/reject", getattr(scene, who), json={"reason": "不行"})
    assert response.status_code == status
    assert status_of(pending) == "pending"


def test_rejecting_an_approved_booking_is_409_invalid_state(api, scene, pending):
    api.post(f"/api/v1/bookings/{pending}/approve", scene.manager)
    response = api.post(f"/api/v1/bookings/{pending}/reject", scene.manager, json={"reason": "改主意了"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_state"


# --- cancel --------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["member", "colleague"])
def test_the_bookings_enterprise_cancels_without_a_reason(api, scene, pending, who):
    response = api.post(f"/api/v1/bookings/{pending}/cancel", getattr(scene, who))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and body["cancelled_at"]
    assert body["history"][-1]["actor_id"] == getattr(scene, who).id


def test_manager_cancels_only_with_a_reason(api, scene, pending):
    response = api.post(f"/api/v1/bookings/{pending}/cancel", scene.manager, json={})
    assert response.status_code == 422
    assert error_of(response)["code"] == "reason_required"
    response = api.post(f"/api/v1/bookings/{pending}/cancel", scene.manager, json={"reason": "停电"})
    assert response.status_code == 200
    assert response.get_json()["cancel_reason"] == "停电"


@pytest.mark.parametrize("who,status", [("committee", 403), ("rival", 404), ("outsider", 404)])
def test_others_may_not_cancel(api, scene, pending, who, status):
    response = api.post(f"/api/v1/bookings/{pending}/cancel", getattr(scene, who), json={"reason": "取消"})
    assert response.status_code == status
    assert status_of(pending) == "pending"


def test_cancelling_twice_is_409_invalid_state(api, scene, pending):
    assert api.post(f"/api/v1/bookings/{pending}/cancel", scene.member).status_code == 200
    response = api.post(f"/api/v1/bookings/{pending}/cancel", scene.member)
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_state"


def test_member_cannot_cancel_a_started_booking(api, make, scene):
    start = utcnow() - timedelta(minutes=30)
    started = make.booking(scene.facility, start, start + timedelta(hours=2), requester=scene.member,
                           status="approved").id
    response = api.post(f"/api/v1/bookings/{started}/cancel", scene.member)
    assert response.status_code == 409
    assert error_of(response)["code"] == "already_started"
    assert api.post(f"/api/v1/bookings/{started}/cancel", scene.manager,
                    json={"reason": "提前结束"}).status_code == 200


# --- common ----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["approve", "reject", "cancel"])
def test_actions_on_an_unknown_booking_are_404(api, scene, action):
    response = api.post(f"/api/v1/bookings/999999/{action}", scene.manager,
                        json={} if action == "approve" else {"reason": "x"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_booking"


@pytest.mark.parametrize("action", ["approve", "reject", "cancel"])
def test_actions_need_a_token(api, scene, pending, action):
    response = api.post(f"/api/v1/bookings/{pending}/{action}", json={"reason": "x"})
    assert response.status_code == 401
    assert status_of(pending) == "pending"
