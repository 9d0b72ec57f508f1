"""Recurring bookings over the API: create with an rrule, refuse or skip conflicts, read, decide, cancel."""
from datetime import timedelta

from booking.timeutil import iso

from ..factories import en_day, local, next_weekday
from .helpers import error_of, stamp


def mondays(n: int):
    return [next_weekday(0, weeks_ahead=1 + i) for i in range(n)]


def series_body(scene, day, rrule, **extra) -> dict:
    return {"resource_id": scene.facility.id, "start": stamp(day, "09:00"), "end": stamp(day, "11:00"),
            "rrule": rrule, **extra}


def create(api, scene, days, **extra):
    response = api.post("/api/v1/bookings", scene.member,
                        json=series_body(scene, days[0], f"FREQ=WEEKLY;COUNT={len(days)}", **extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_creating_a_series_answers_the_series_and_its_occurrences(api, scene):
    days = mondays(4)
    response = api.post("/api/v1/bookings", scene.member, json=series_body(
        scene, days[0], "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=4", purpose="直播带货"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    series_id = body["series"]["id"]
    assert response.headers["Location"] == f"/api/v1/series/{series_id}"
    assert body["series"] == {
        "id": series_id, "resource_id": scene.facility.id, "enterprise_id": scene.member.membership.enterprise_id,
        "rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=4", "timezone": "Asia/Shanghai",
        "dtstart": iso(local(days[0], "09:00")), "duration_minutes": 120, "purpose": "直播带货", "sequence": 0}
    assert [(o["start"], o["end"], o["status"]) for o in body["occurrences"]] == [
        (iso(local(d, "09:00")), iso(local(d, "11:00")), "pending") for d in days]
    assert body["skipped"] == []
    one = api.get(f"/api/v1/bookings/{body['occurrences'][1]['id']}", scene.member).get_json()
    assert one["series_id"] == series_id
    read = api.get(f"/api/v1/series/{series_id}", scene.member)
    assert read.status_code == 200
    assert read.get_json() == {"series": body["series"], "occurrences": body["occurrences"]}


def test_until_in_utc_as_in_the_issue(api, scene):
    days = mondays(6)
    until = local(days[3], "09:00").strftime("%Y%m%dT%H%M%SZ")  # the fourth Monday's start is the last
    response = api.post("/api/v1/bookings", scene.member,
                        json=series_body(scene, days[0], f"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;UNTIL={until}"))
    assert response.status_code == 201, response.get_json()
    starts = [o["start"] for o in response.get_json()["occurrences"]]
    assert starts == [iso(local(d, "09:00")) for d in (days[0], days[0] + timedelta(days=1), days[2],
                                                         days[2] + timedelta(days=1))]


def test_conflicting_dates_answer_409_listing_them_and_book_nothing(api, scene, make):
    days = mondays(3)
    make.booking(scene.facility, local(days[1], "10:00"), status="approved", requester=scene.rival)
    response = api.post("/api/v1/bookings", scene.member, json=series_body(scene, days[0], "FREQ=WEEKLY;COUNT=3"))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "series_conflicts" and en_day(days[1]) in error["message"]
    assert [(c["start"], c["end"], c["code"]) for c in error["details"]["conflicts"]] == [
        (iso(local(days[1], "09:00")), iso(local(days[1], "11:00")), "slot_taken")]
    listed = api.get("/api/v1/bookings", scene.member).get_json()["bookings"]
    assert listed == []


def test_skip_conflicts_books_the_rest_and_lists_the_skipped(api, scene, make):
    days = mondays(3)
    make.booking(scene.facility, local(days[1], "10:00"), status="approved", requester=scene.rival)
    body = create(api, scene, days, skip_conflicts=True)
    assert [o["start"] for o in body["occurrences"]] == [iso(local(d, "09:00")) for d in (days[0], days[2])]
    assert [(s["start"], s["code"]) for s in body["skipped"]] == [(iso(local(days[1], "09:00")), "slot_taken")]
    assert body["skipped"][0]["message"]


def test_bad_rules_answer_422_with_a_code(api, scene):
    day = next_weekday(0)
    for rrule, code in (("FREQ=HOURLY;COUNT=2", "unsupported_frequency"), ("FREQ=DAILY", "rrule_end_required"),
                        ("FREQ=DAILY;COUNT=367", "too_many_occurrences"), ("DTSTART=20270101;FREQ=DAILY;COUNT=2",
                                                                            "invalid_rrule")):
        response = api.post("/api/v1/bookings", scene.member, json=series_body(scene, day, rrule))
        assert response.status_code == 422, rrule
        assert error_of(response)["code"] == code
        assert error_of(response)["details"]["field"] == "rrule"
    response = api.post("/api/v1/bookings", scene.member, json=series_body(scene, day, "FREQ=DAILY;COUNT=400"))
    assert "366" in error_of(response)["message"]
    response = api.post("/api/v1/bookings", scene.member, json=series_body(scene, day, 5))
    assert error_of(response)["code"] == "invalid_type"
    response = api.post("/api/v1/bookings", scene.member,
                        json=series_body(scene, day, "FREQ=DAILY;COUNT=2", skip_conflicts="yes"))
    assert error_of(response)["code"] == "invalid_type"


def test_only_those_who_see_the_bookings_see_the_series(api, scene):
    body = create(api, scene, mondays(2))
    path = f"/api/v1/series/{body['series']['id']}"
    for user in (scene.colleague, scene.manager, scene.committee, scene.admin):
        assert api.get(path, user).status_code == 200
    for user in (scene.rival, scene.outsider):
        response = api.get(path, user)
        assert response.status_code == 404 and error_of(response)["code"] == "unknown_series"
    assert api.get("/api/v1/series/999999", scene.member).status_code == 404


def test_manager_approves_then_the_member_cancels_from_a_date(api, scene):
    days = mondays(4)
    body = create(api, scene, days)
    path = f"/api/v1/series/{body['series']['id']}"
    assert api.post(f"{path}/approve", scene.member).status_code == 403
    response = api.post(f"{path}/approve", scene.manager)
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["approved"] == [o["id"] for o in body["occurrences"]] and approved["rejected"] == []
    assert {o["status"] for o in approved["occurrences"]} == {"approved"}

    response = api.post(f"{path}/cancel", scene.member, json={"from": days[2].isoformat(), "reason": "订单推迟"})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["cancelled"] == [o["id"] for o in body["occurrences"][2:]]
    assert [o["status"] for o in result["occurrences"]] == ["approved", "approved", "cancelled", "cancelled"]

    response = api.post(f"{path}/cancel", scene.member, json={"from": stamp(days[1], "09:00")})
    assert response.json["cancelled"] == [body["occurrences"][1]["id"]]
    response = api.post(f"{path}/cancel", scene.member)  # the whole series: what is left
    assert response.json["cancelled"] == [body["occurrences"][0]["id"]]
    response = api.post(f"{path}/cancel", scene.member)
    assert response.status_code == 409 and error_of(response)["code"] == "nothing_to_cancel"
    response = api.post(f"{path}/cancel", scene.member, json={"from": "next week"})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_datetime"


def test_manager_rejects_a_series_with_a_reason(api, scene):
    body = create(api, scene, mondays(2))
    path = f"/api/v1/series/{body['series']['id']}"
    response = api.post(f"{path}/reject", scene.manager, json={})
    assert response.status_code == 422 and error_of(response)["code"] == "reason_required"
    response = api.post(f"{path}/reject", scene.manager, json={"reason": "产线检修"})
    assert response.status_code == 200
    assert response.json["rejected"] == [o["id"] for o in body["occurrences"]]
    one = api.get(f"/api/v1/bookings/{body['occurrences'][0]['id']}", scene.member).get_json()
    assert one["status"] == "rejected" and one["rejection_reason"] == "产线检修"
    response = api.post(f"{path}/approve", scene.manager)
    assert response.status_code == 409 and error_of(response)["code"] == "nothing_pending"


def test_others_may_not_cancel_a_series(api, scene):
    body = create(api, scene, mondays(2))
    path = f"/api/v1/series/{body['series']['id']}/cancel"
    assert api.post(path, scene.rival).status_code == 404
    assert api.post(path, scene.committee).status_code == 403


def test_rescheduling_moves_the_dates_still_ahead(api, scene):
    days = mondays(3)
    body = create(api, scene, days)
    path = f"/api/v1/series/{body['series']['id']}/reschedule"
    response = api.post(path, scene.member, json={"start_time": "14:00", "duration_minutes": 90})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["moved"] == [o["id"] for o in body["occurrences"]]
    assert [(o["start"], o["end"]) for o in result["occurrences"]] == [
        (iso(local(d, "14:00")), iso(local(d, "15:30"))) for d in days]
    assert result["series"]["sequence"] == 1 and result["series"]["duration_minutes"] == 90
    for bad in ({"start_time": "25:00", "duration_minutes": 60}, {"start_time": "14:00"}):
        assert api.post(path, scene.member, json=bad).status_code == 422
    response = api.post(path, scene.member, json={"start_time": "19:00", "duration_minutes": 120})
    assert response.status_code == 409 and error_of(response)["code"] == "series_conflicts"
    assert api.post(path, scene.rival, json={"start_time": "10:00", "duration_minutes": 60}).status_code == 404
