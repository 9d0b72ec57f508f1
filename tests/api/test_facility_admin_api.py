"""Running a facility through the API: hours and closures (its managers), booking rules (administrators)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.accounts.models import AuditEntry
from booking.extensions import db
from booking.facilities.models import Closure
from booking.timeutil import utcnow

from ..factories import local, next_weekday
from .helpers import error_of, stamp

WEEK = {"mon": [["08:00", "12:00"], ["13:00", "18:00"]], "sat": [["09:00", "24:00"]]}


def send(api, who, method: str, path: str, *, scopes: str = "read write", **kw):
    token = api.make.token(who, scopes=scopes) if scopes != "read write" else api.token(who)
    return api.client.open(f"/api/v1{path}", method=method, headers={"Authorization": f"Bearer {token}",
                                                                      **kw.pop("headers", {})}, **kw)


def closure_body(hours: int = 4, **extra) -> dict:
    day = next_weekday(2)
    return {"start": stamp(day, "08:00"), "end": stamp(day, f"{8 + hours:02d}:00"), "reason": "年度检修",
            "kind": "maintenance", **extra}


def closures() -> int:
    return db.session.scalar(select(func.count(Closure.id)))


@pytest.fixture
def other_closure(make, scene):
    """A closure of another facility of the same chain, which ``scene.manager`` does not manage."""
    room = make.facility(scene.chain, name="会议室")
    return make.closure(room, utcnow() + timedelta(days=3), utcnow() + timedelta(days=3, hours=2))


# --- bookable hours --------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("manager", 200), ("admin", 200), ("member", 403), ("colleague", 403), ("rival", 403), ("committee", 403),
    ("outsider", 404),
])
def test_who_replaces_the_bookable_hours(api, scene, who, status):
    response = send(api, getattr(scene, who), "PUT", f"/resources/{scene.facility.id}/hours", json=WEEK)
    assert response.status_code == status
    db.session.expire_all()
    hours = {(w.weekday, w.start_minute, w.end_minute) for w in scene.facility.hours}
    if status == 200:
        assert response.get_json()["rules"]["bookable_hours"] == {
            "mon": [["08:00", "12:00"], ["13:00", "18:00"]], "tue": [], "wed": [], "thu": [], "fri": [],
            "sat": [["09:00", "24:00"]], "sun": []}
        assert hours == {(0, 480, 720), (0, 780, 1080), (5, 540, 1440)}
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "hours_set")).all()
        assert entry.actor_id == getattr(scene, who).id
    else:
        assert len(hours) == 7  # the factory's 08:00-20:00 every day, untouched
        if status == 404:
            assert error_of(response)["code"] == "unknown_resource"


@pytest.mark.parametrize("day, code, field", [
    ({"tue": [["13:00", "18:00"], ["08:00", "14:00"]]}, "invalid_hours", "tue"),
    ({"wed": [["18:00", "08:00"]]}, "invalid_hours", "wed"),
    ({"thu": [["08:00", "24:30"]]}, "invalid_hours", "thu"),
    ({"fri": [["8:00", "12:00"]]}, "invalid_value", "fri"),
    ({"fri": [["08:00"]]}, "invalid_value", "fri"),
    ({"fri": [["٠٨:٠٠", "12:00"]]}, "invalid_value", "fri"),
    ({"someday": []}, "unknown_field", "someday"),
])
def test_hours_that_do_not_make_sense_are_422_and_change_nothing(api, scene, day, code, field):
    response = send(api, scene.manager, "PUT", f"/resources/{scene.facility.id}/hours", json=day)
    assert response.status_code == 422
    assert error_of(response)["code"] == code and error_of(response)["details"]["field"] == field
    db.session.expire_all()
    assert len(scene.facility.hours) == 7


def test_hours_need_the_write_scope(api, scene):
    response = send(api, scene.manager, "PUT", f"/resources/{scene.facility.id}/hours", json=WEEK, scopes="read")
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"


# --- closures ----------------------------------------------------------------------------------------

def test_a_manager_closes_the_facility_and_members_see_it(api, scene):
    response = send(api, scene.manager, "POST", f"/resources/{scene.facility.id}/closures", json=closure_body())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    day = next_weekday(2)
    assert body == {"id": body["id"], "start": local(day, "08:00").isoformat().replace("+00:00", "Z"),
                    "end": local(day, "12:00").isoformat().replace("+00:00", "Z"), "reason": "年度检修",
                    "kind": "maintenance"}
    location = response.headers["Location"]
    assert location.endswith(f"/api/v1/resources/{scene.facility.id}/closures/{body['id']}")
    assert api.get(location, scene.member).get_json() == body
    assert api.get(f"/api/v1/resources/{scene.facility.id}/closures", scene.rival).get_json() == {"closures": [body]}
    resource = api.get(f"/api/v1/resources/{scene.facility.id}", scene.member).get_json()
    assert resource["closures"] == [body]


@pytest.mark.parametrize("who, status", [
    ("manager", 201), ("admin", 201), ("member", 403), ("colleague", 403), ("rival", 403), ("committee", 403),
    ("outsider", 404),
])
def test_who_adds_a_closure(api, scene, who, status):
    response = send(api, getattr(scene, who), "POST", f"/resources/{scene.facility.id}/closures",
                    json=closure_body())
    assert response.status_code == status
    assert closures() == (1 if status == 201 else 0)


def test_an_outsider_cannot_read_the_closures(api, scene, make):
    closure = make.closure(scene.facility, utcnow() + timedelta(days=2), utcnow() + timedelta(days=2, hours=1))
    assert api.get(f"/api/v1/resources/{scene.facility.id}/closures", scene.outsider).status_code == 404
    assert api.get(f"/api/v1/resources/{scene.facility.id}/closures/{closure.id}", scene.outsider).status_code == 404


def test_a_retried_closure_with_its_key_closes_once(api, scene):
    key = {"Idempotency-Key": "closure-1"}
    first = send(api, scene.manager, "POST", f"/resources/{scene.facility.id}/closures", json=closure_body(),
                 headers=key)
    again = send(api, scene.manager, "POST", f"/resources/{scene.facility.id}/closures", json=closure_body(),
                 headers=key)
    assert first.status_code == again.status_code == 201 and again.get_json() == first.get_json()
    assert closures() == 1


@pytest.mark.parametrize("body, code, field", [
    (closure_body(hours=0), "invalid_interval", "end"),
    (closure_body(kind="holiday"), "invalid_value", "kind"),
    ({**closure_body(), "start": "2030-01-01T08:00:00"}, "naive_datetime", "start"),
    ({"end": closure_body()["end"]}, "missing_field", "start"),
])
def test_a_closure_that_does_not_make_sense_is_422(api, scene, body, code, field):
    response = send(api, scene.manager, "POST", f"/resources/{scene.facility.id}/closures", json=body)
    assert response.status_code == 422
    assert error_of(response)["code"] == code and error_of(response)["details"]["field"] == field
    assert closures() == 0


@pytest.mark.parametrize("who, status", [
    ("manager", 204), ("admin", 204), ("member", 403), ("committee", 403), ("outsider", 404),
])
def test_who_removes_a_closure(api, make, scene, who, status):
    closure = make.closure(scene.facility, utcnow() + timedelta(days=2), utcnow() + timedelta(days=2, hours=1))
    path = f"/resources/{scene.facility.id}/closures/{closure.id}"
    response = send(api, getattr(scene, who), "DELETE", path)
    assert response.status_code == status
    assert closures() == (0 if status == 204 else 1)
    if status == 204:
        assert api.get(f"/api/v1{path}", scene.member).status_code == 404
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "closure_removed")) is not None


def test_a_manager_reaches_no_other_facilitys_closure_by_changing_an_id(api, scene, other_closure):
    own_path = f"/resources/{scene.facility.id}/closures/{other_closure.id}"
    response = send(api, scene.manager, "DELETE", own_path)
    assert response.status_code == 404 and error_of(response)["code"] == "unknown_closure"
    assert api.get(f"/api/v1{own_path}", scene.manager).status_code == 404
    theirs = f"/resources/{other_closure.facility_id}/closures/{other_closure.id}"
    assert send(api, scene.manager, "DELETE", theirs).status_code == 404  # a facility they do not even see
    assert send(api, scene.member, "DELETE", theirs).status_code == 403  # one they see but do not manage
    assert closures() == 1


# --- booking rules -------------------------------------------------------------------------------------

def test_an_administrator_changes_some_rules_and_the_others_stay(api, scene):
    response = send(api, scene.admin, "PATCH", f"/resources/{scene.facility.id}", scopes="read write admin",
                    json={"slot_minutes": 60, "min_minutes": 60, "max_minutes": 240, "reminder_hours": 24,
                          "requires_approval": False})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["requires_approval"] is False
    rules = body["rules"]
    assert (rules["slot_minutes"], rules["min_minutes"], rules["max_minutes"], rules["reminder_hours"]) == (
        60, 60, 240, 24)
    assert (rules["min_notice_minutes"], rules["max_advance_days"], rules["buffer_minutes"],
            rules["cancel_notice_minutes"]) == (60, 90, 0, 1440)
    assert body["shared_rate"] == "100.00" and body["name"] == "春雨生产线"
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "facility_updated")).all()
    assert set(entry.details["changes"]) == {"slot_minutes", "min_minutes", "max_minutes", "reminder_hours",
                                             "requires_approval"}
    cleared = send(api, scene.admin, "PATCH", f"/resources/{scene.facility.id}", scopes="read write admin",
                   json={"reminder_hours": None})
    assert cleared.get_json()["rules"]["reminder_hours"] is None


@pytest.mark.parametrize("who, status", [
    ("manager", 403), ("committee", 403), ("member", 403), ("outsider", 404),
])
def test_only_administrators_change_the_rules(api, scene, who, status):
    response = send(api, getattr(scene, who), "PATCH", f"/resources/{scene.facility.id}", scopes="read write admin",
                    json={"max_advance_days": 365})
    assert response.status_code == status
    db.session.expire_all()
    assert scene.facility.max_advance_days == 90


@pytest.mark.parametrize("body, code, field", [
    ({"max_minutes": 15}, "invalid_duration", "max_minutes"),
    ({"slot_minutes": 45}, "invalid_duration", "min_minutes"),
    ({"slot_minutes": 0}, "out_of_range", "slot_minutes"),
    ({"slot_minutes": None}, "invalid_type", "slot_minutes"),
    ({"requires_approval": None}, "invalid_type", "requires_approval"),
    ({"reminder_hours": 0}, "out_of_range", "reminder_hours"),
    ({"name": "改名"}, "unknown_field", "name"),
])
def test_rules_that_do_not_fit_together_are_422(api, scene, body, code, field):
    response = send(api, scene.admin, "PATCH", f"/resources/{scene.facility.id}", scopes="read write admin",
                    json=body)
    assert response.status_code == 422
    assert error_of(response)["code"] == code and error_of(response)["details"]["field"] == field
    db.session.expire_all()
    assert (scene.facility.slot_minutes, scene.facility.max_minutes) == (30, 480)


def test_an_empty_change_changes_nothing(api, scene):
    response = send(api, scene.admin, "PATCH", f"/resources/{scene.facility.id}", scopes="read write admin", json={})
    assert response.status_code == 200
    assert response.get_json() == api.get(f"/api/v1/resources/{scene.facility.id}", scene.admin).get_json()
