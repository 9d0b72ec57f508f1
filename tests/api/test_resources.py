"""GET /api/v1/resources, one resource, and its availability."""
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.facilities.models import BookableHours
from booking.timeutil import iso, utcnow

from ..factories import local, next_weekday
from .helpers import error_of, stamp


def names(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {r["name"] for r in response.get_json()["resources"]}


@pytest.fixture
def other_chain_room(make, scene):
    """A facility of the outsider's chain."""
    room = make.facility(scene.outsider.membership.enterprise.chains[0], name="毅黄模具实验室")
    return room


# --- the listing ----------------------------------------------------------------------------

def test_resource_rules_have_the_documented_shape(api, make, scene):
    line = make.facility(scene.chain, name="成型线", weekdays=range(5), slot_minutes=30, min_minutes=30,
                         max_minutes=480, min_notice_minutes=60, max_advance_days=90, buffer_minutes=15)
    line.hours += [BookableHours(weekday=5, start_minute=9 * 60, end_minute=12 * 60),
                   BookableHours(weekday=5, start_minute=13 * 60, end_minute=17 * 60 + 30)]
    resource = api.get(f"/api/v1/resources/{line.id}", scene.member).get_json()
    weekday = [["08:00", "20:00"]]
    assert resource["rules"] == {
        "bookable_hours": {"mon": weekday, "tue": weekday, "wed": weekday, "thu": weekday, "fri": weekday,
                           "sat": [["09:00", "12:00"], ["13:00", "17:30"]], "sun": []},
        "slot_minutes": 30, "min_minutes": 30, "max_minutes": 480, "min_notice_minutes": 60,
        "max_advance_days": 90, "buffer_minutes": 15, "cancel_notice_minutes": 1440, "reminder_hours": None,
        "peak_hours": None,
    }


def test_resource_describes_the_facility_with_money_as_strings(api, scene):
    response = api.get("/api/v1/resources", scene.member)
    [resource] = response.get_json()["resources"]
    assert resource == {
        "id": scene.facility.id, "name": "春雨生产线", "name_en": "Chunyu production line",
        "kind": "production_line",
        "chain": {"id": scene.chain.id, "name": "泽国鞋帽产业链", "name_en": "Zeguo footwear chain"},
        "park": "", "location": "", "capacity": None, "active": True, "requires_approval": True,
        "timezone": "Asia/Shanghai", "shared_rate": "100.00", "reference_rate": "250.00", "rate_unit": "hour",
        "currency": "CNY", "rules": resource["rules"], "closures": [],
    }


def test_resource_timezone_is_the_facilitys_own_when_set(api, make, scene):
    make.facility(scene.chain, name="柏林展厅", timezone="Europe/Berlin")
    zones = {r["name"]: r["timezone"] for r in api.get("/api/v1/resources", scene.member).get_json()["resources"]}
    assert zones == {"春雨生产线": "Asia/Shanghai", "柏林展厅": "Europe/Berlin"}


def test_resource_lists_current_and_upcoming_closures_within_its_booking_horizon(api, make, scene):
    now = utcnow().replace(microsecond=0)
    facility = scene.facility  # may be booked 90 days ahead
    make.closure(facility, now - timedelta(days=3), now - timedelta(days=2), reason="已结束")
    ongoing = make.closure(facility, now - timedelta(days=1), now + timedelta(days=1), reason="设备检修")
    upcoming = make.closure(facility, now + timedelta(days=10), now + timedelta(days=11), reason="国庆")
    make.closure(facility, now + timedelta(days=100), now + timedelta(days=101), reason="太远")
    [resource] = api.get("/api/v1/resources", scene.member).get_json()["resources"]
    assert resource["closures"] == [
        {"id": c.id, "start": iso(c.start_at), "end": iso(c.end_at), "reason": c.reason, "kind": "maintenance"}
        for c in (ongoing, upcoming)]


def test_member_sees_the_active_facilities_of_their_chains_only(api, make, scene, other_chain_room):
    make.facility(scene.chain, name="停用的直播间", active=False)
    assert names(api.get("/api/v1/resources", scene.member)) == {"春雨生产线"}
    assert names(api.get("/api/v1/resources", scene.outsider)) == {"毅黄模具实验室"}


def test_manager_sees_the_facilities_they_manage(api, make, scene, other_chain_room):
    make.facility(scene.chain, name="春苗直播间1号")
    assert names(api.get("/api/v1/resources", scene.manager)) == {"春雨生产线"}


def test_committee_sees_every_facility_of_their_chain(api, make, scene, other_chain_room):
    make.facility(scene.chain, name="春苗直播间1号")
    assert names(api.get("/api/v1/resources", scene.committee)) == {"春雨生产线", "春苗直播间1号"}


def test_admin_sees_every_facility(api, scene, other_chain_room):
    assert names(api.get("/api/v1/resources", scene.admin)) == {"春雨生产线", "毅黄模具实验室"}


def test_resources_filter_by_kind_and_chain(api, make, scene, other_chain_room):
    make.facility(scene.chain, name="春苗直播间1号", kind="livestream_studio")
    make.facility(scene.chain, name="洽谈室", kind="meeting_room")
    admin = scene.admin
    assert names(api.get("/api/v1/resources?kind=livestream_studio", admin)) == {"春苗直播间1号"}
    assert names(api.get("/api/v1/resources?kind=livestream_studio,production_line", admin)) == {
        "春苗直播间1号", "春雨生产线"}
    assert names(api.get(f"/api/v1/resources?chain_id={scene.chain.id}&kind=meeting_room", admin)) == {"洽谈室"}
    assert names(api.get(f"/api/v1/resources?chain_id={other_chain_room.chain_id}", admin)) == {"毅黄模具实验室"}


@pytest.mark.parametrize("query,code,field", [
    ("kind=spaceship", "invalid_value", "kind"),
    ("chain_id=zeguo", "invalid_type", "chain_id"),
    ("chain_id=99999999999999999999", "invalid_value", "chain_id"),
])
def test_bad_resource_filters_are_422(api, scene, query, code, field):
    response = api.get(f"/api/v1/resources?{query}", scene.member)
    assert response.status_code == 422
    assert error_of(response)["code"] == code
    assert error_of(response)["details"]["field"] == field


def test_listing_resources_issues_a_fixed_number_of_queries(api, make, scene, count_queries):
    secret = api.token(scene.admin)

    def add_facilities(n: int) -> None:
        for _ in range(n):  # each in a chain of its own, so that nothing is loaded once for all
            facility = make.facility(make.chain())
            make.closure(facility, utcnow() + timedelta(days=1), utcnow() + timedelta(days=2))
        db.session.commit()

    def statements_for(expected_resources: int) -> int:
        with count_queries() as counter:
            response = api.get("/api/v1/resources", token=secret)
        assert len(response.get_json()["resources"]) == expected_resources
        return len(counter)

    add_facilities(1)
    statements_for(2)  # the token's first use is noted once (a write of its own); the counts compare the rest
    few = statements_for(2)
    add_facilities(8)
    assert statements_for(10) == few
    assert few <= 8  # BEGIN, token, its user, roles (2), facilities with chains, hours, closures


# --- one resource ---------------------------------------------------------------------------

def test_one_resource_reads_like_the_listing(api, scene):
    listed = api.get("/api/v1/resources", scene.member).get_json()["resources"][0]
    assert api.get(f"/api/v1/resources/{scene.facility.id}", scene.member).get_json() == listed


def test_resource_of_another_chain_is_404_like_an_unknown_one(api, scene, other_chain_room):
    hidden = api.get(f"/api/v1/resources/{other_chain_room.id}", scene.member)
    unknown = api.get("/api/v1/resources/999999", scene.member)
    assert hidden.status_code == unknown.status_code == 404
    assert error_of(hidden) == error_of(unknown)
    assert error_of(hidden)["code"] == "unknown_resource"


@pytest.mark.parametrize("path", ["/api/v1/resources/99999999999999999999",
                                  "/api/v1/resources/99999999999999999999/availability"])
def test_resource_ids_beyond_any_integer_column_are_404(api, scene, path):
    assert api.get(path, scene.member).status_code == 404


def test_inactive_facility_reads_as_inactive(api, make, scene):
    closed = make.facility(scene.chain, active=False)
    assert api.get(f"/api/v1/resources/{closed.id}", scene.member).get_json()["active"] is False


# --- availability ---------------------------------------------------------------------------

def availability(api, user, facility, start, end):
    return api.get(f"/api/v1/resources/{facility.id}/availability", user,
                   query_string={"start": start, "end": end})


def test_availability_gives_bookable_time_busy_slots_and_closures(api, make, scene):
    day = next_weekday(2)
    facility = scene.facility
    make.closure(facility, local(day, "12:00"), local(day, "13:00"), reason="设备检修")
    own = make.booking(facility, local(day, "09:00"), local(day, "10:00"), status="approved",
                       requester=scene.member, purpose="样品试产")
    response = availability(api, scene.member, facility, stamp(day, "00:00"), stamp(day + timedelta(days=1), "00:00"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["bookable"] == [{"start": iso(local(day, "08:00")), "end": iso(local(day, "12:00"))},
                                {"start": iso(local(day, "13:00")), "end": iso(local(day, "20:00"))}]
    assert body["closures"] == [{"start": iso(local(day, "12:00")), "end": iso(local(day, "13:00")),
                                 "reason": "设备检修", "kind": "maintenance"}]
    [busy] = body["busy"]
    assert busy["start"] == iso(local(day, "09:00")) and busy["end"] == iso(local(day, "10:00"))
    assert busy["status"] == "approved"
    assert busy["id"] == own.id and busy["purpose"] == "样品试产"


def test_availability_shows_another_enterprises_booking_only_as_busy(api, make, scene):
    day = next_weekday(2)
    theirs = make.booking(scene.facility, local(day, "14:00"), local(day, "15:00"), status="approved",
                          requester=scene.rival, purpose="新品发布会彩排")
    body = availability(api, scene.member, scene.facility, stamp(day, "00:00"), stamp(day, "23:30")).get_json()
    [busy] = body["busy"]
    assert busy["start"] == iso(local(day, "14:00")) and busy["status"] == "approved"
    assert not {"purpose", "enterprise", "id"} & set(busy)
    assert "新品发布会彩排" not in str(body)
    # ... and the booking itself stays out of reach
    assert api.get(f"/api/v1/bookings/{theirs.id}", scene.member).status_code == 404


def test_chain_that_shows_booker_names_shows_the_name_but_not_the_purpose(api, make, scene):
    scene.chain.show_booker_names = True
    day = next_weekday(2)
    make.booking(scene.facility, local(day, "14:00"), local(day, "15:00"), status="approved",
                 requester=scene.rival, purpose="新品发布会彩排")
    body = availability(api, scene.member, scene.facility, stamp(day, "00:00"), stamp(day, "23:30")).get_json()
    [busy] = body["busy"]
    assert busy["enterprise"] == scene.rival.membership.enterprise.name
    assert "purpose" not in busy


def test_availability_of_a_hidden_or_unknown_resource_is_404(api, scene, other_chain_room):
    day = next_weekday(2)
    for facility_id in (other_chain_room.id, 999999):
        response = api.get(f"/api/v1/resources/{facility_id}/availability", scene.member,
                           query_string={"start": stamp(day, "00:00"), "end": stamp(day, "23:30")})
        assert response.status_code == 404
        assert error_of(response)["code"] == "unknown_resource"


def test_availability_window_may_span_62_days(api, scene):
    day = next_weekday(0)
    response = availability(api, scene.member, scene.facility, stamp(day, "00:00"),
                            stamp(day + timedelta(days=62), "00:00"))
    assert response.status_code == 200


@pytest.mark.parametrize("start,end,code,field", [
    (None, "2030-01-02T00:00:00+08:00", "missing_field", "start"),
    ("2030-01-01T00:00:00+08:00", None, "missing_field", "end"),
    ("next tuesday", "2030-01-02T00:00:00+08:00", "invalid_datetime", "start"),
    ("2030-01-01T00:00:00", "2030-01-02T00:00:00+08:00", "naive_datetime", "start"),
    ("2030-01-01T00:00:00+08:00", "2030-01-02", "naive_datetime", "end"),
    ("2030-01-01T00:00:00+08:00", "2030-01-01T00:00:00+08:00", "invalid_interval", "end"),
    ("2030-01-02T00:00:00+08:00", "2030-01-01T00:00:00+08:00", "invalid_interval", "end"),
    ("2030-01-01T00:00:00+08:00", "2030-03-05T00:00:00+08:00", "window_too_long", "end"),
    ("9999-12-30T00:00:00+00:00", "9999-12-31T00:00:00+00:00", "invalid_datetime", "start"),
    ("0001-01-01T00:00:00+14:00", "2030-01-01T00:00:00+08:00", "invalid_datetime", "start"),
])
def test_bad_availability_window_is_422(api, scene, start, end, code, field):
    query = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    response = api.get(f"/api/v1/resources/{scene.facility.id}/availability", scene.member, query_string=query)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["details"]["field"]) == (code, field)
    assert error["message"]


# --- availability of many resources at once ---------------------------------------------------

def many(api, user, start, end, **query):
    return api.get("/api/v1/availability", user, query_string={"start": start, "end": end, **query})


@pytest.fixture
def busy_week(make, scene, other_chain_room):
    """Two facilities of the chain with bookings of every kind and a closure, an inactive one, and a far one."""
    day = next_weekday(2)
    hall = make.facility(scene.chain, name="会议厅", kind="meeting_room")
    make.closure(scene.facility, local(day, "12:00"), local(day, "13:00"), reason="设备检修")
    make.booking(scene.facility, local(day, "09:00"), local(day, "10:00"), status="approved",
                 requester=scene.member, purpose="样品试产")
    make.booking(scene.facility, local(day, "14:00"), local(day, "15:00"), status="approved",
                 requester=scene.rival, purpose="新品发布会彩排")
    make.booking(hall, local(day, "10:00"), local(day, "11:00"), requester=scene.rival, purpose="待批")
    make.booking(hall, local(day + timedelta(days=1), "16:00"), local(day + timedelta(days=1), "18:00"),
                 requester=scene.colleague, status="approved")
    make.booking(other_chain_room, local(day, "09:00"), local(day, "10:00"), requester=scene.outsider,
                 status="approved")
    inactive = make.facility(scene.chain, active=False)
    return day, [scene.facility, hall], inactive


@pytest.mark.parametrize("role", ["member", "rival", "manager", "committee", "admin", "outsider"])
def test_many_resources_answer_as_each_resource_does(api, scene, busy_week, role):
    day, _facilities, inactive = busy_week
    user = getattr(scene, role)
    start, end = stamp(day, "00:00"), stamp(day + timedelta(days=7), "00:00")
    listed = api.get("/api/v1/resources", user).get_json()["resources"]
    response = many(api, user, start, end)
    assert response.status_code == 200, response.get_json()
    answers = response.get_json()["resources"]
    assert [a["resource_id"] for a in answers] == [r["id"] for r in listed]  # every active one it may see
    assert inactive.id not in {a["resource_id"] for a in answers}
    ids = [r["id"] for r in reversed(listed)] + [inactive.id] * (role not in ("manager", "outsider"))
    asked = many(api, user, start, end, resource_ids=",".join(map(str, ids))).get_json()["resources"]
    assert [a["resource_id"] for a in asked] == ids  # in the order asked
    for answer in asked:
        alone = availability(api, user, type("F", (), {"id": answer["resource_id"]}), start, end)
        assert answer == alone.get_json()


def test_many_resources_are_narrowed_by_kind_and_chain(api, make, scene, busy_week):
    day, [line, hall], _inactive = busy_week
    start, end = stamp(day, "00:00"), stamp(day, "23:30")
    ids = lambda response: [a["resource_id"] for a in response.get_json()["resources"]]  # noqa: E731
    assert ids(many(api, scene.member, start, end, kind="meeting_room")) == [hall.id]
    assert ids(many(api, scene.member, start, end, kind="production_line,meeting_room",
                    resource_ids=f"{hall.id},{line.id}")) == [hall.id, line.id]
    assert ids(many(api, scene.member, start, end, resource_ids=f"{hall.id},{line.id}",
                    kind="production_line")) == [line.id]
    assert set(ids(many(api, scene.admin, start, end, chain_id=scene.chain.id))) == {line.id, hall.id}
    assert ids(many(api, scene.member, start, end, chain_id=make.chain().id)) == []


def test_many_resources_cost_as_many_queries_for_20_as_for_2(api, make, scene, count_queries):
    day = next_weekday(2)
    facilities = [make.facility(scene.chain) for _ in range(20)]
    for i, facility in enumerate(facilities):
        make.closure(facility, local(day, "12:00"), local(day, "13:00"))
        for hour in range(8, 8 + i % 4):
            make.booking(facility, local(day, f"{hour:02d}:00"), status="approved" if i % 2 else "pending",
                         requester=scene.rival if i % 3 else scene.member, purpose="试产")
    start, end = stamp(day, "00:00"), stamp(day + timedelta(days=7), "00:00")
    many(api, scene.member, start, end)  # the token's first use is recorded once

    ids = [f.id for f in facilities]

    def statements(chosen) -> int:
        with count_queries() as seen:
            response = many(api, scene.member, start, end, resource_ids=",".join(map(str, chosen)))
        assert response.status_code == 200
        assert len(response.get_json()["resources"]) == len(chosen)
        return len(seen)

    assert statements(ids[:2]) == statements(ids)
    with count_queries() as everything:
        assert len(many(api, scene.member, start, end).get_json()["resources"]) == 21
    assert len(everything) == statements(ids)


def test_many_resources_with_a_hidden_or_unknown_one_is_404(api, scene, other_chain_room):
    day = next_weekday(2)
    for hidden in (other_chain_room.id, 999999):
        response = many(api, scene.member, stamp(day, "00:00"), stamp(day, "23:30"),
                        resource_ids=f"{scene.facility.id},{hidden}")
        assert response.status_code == 404
        assert error_of(response)["code"] == "unknown_resource"
        assert str(hidden) not in str(response.get_json())


def test_many_resources_take_at_most_500_ids(api, make, scene):
    day = next_weekday(2)
    make.booking(scene.facility, local(day, "09:00"), status="approved", requester=scene.member)
    before = availability(api, scene.member, scene.facility, stamp(day, "00:00"), stamp(day, "23:30")).get_json()
    ids = ",".join(str(scene.facility.id + i) for i in range(501))
    response = many(api, scene.member, stamp(day, "00:00"), stamp(day, "23:30"), resource_ids=ids)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["details"]["field"]) == ("too_long_text", "resource_ids")
    assert "500" in error["message"]
    assert availability(api, scene.member, scene.facility, stamp(day, "00:00"),
                        stamp(day, "23:30")).get_json() == before
    repeated = ",".join([str(scene.facility.id)] * 500)  # 500 asked, one answered
    response = many(api, scene.member, stamp(day, "00:00"), stamp(day, "23:30"), resource_ids=repeated)
    assert [a["resource_id"] for a in response.get_json()["resources"]] == [scene.facility.id]


@pytest.mark.parametrize("start,end,code,field", [
    (None, "2030-01-02T00:00:00+08:00", "missing_field", "start"),
    ("2030-01-01T00:00:00", "2030-01-02T00:00:00+08:00", "naive_datetime", "start"),
    ("2030-01-02T00:00:00+08:00", "2030-01-01T00:00:00+08:00", "invalid_interval", "end"),
    ("2030-01-01T00:00:00+08:00", "2030-03-05T00:00:00+08:00", "window_too_long", "end"),
])
@pytest.mark.parametrize("ids", [None, "bad"])
def test_bad_window_for_many_resources_is_422(api, scene, start, end, code, field, ids):
    query = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    if ids:
        query["resource_ids"] = f"{scene.facility.id},abc"
        code, field = ("invalid_type", "resource_ids") if code in ("invalid_interval", "window_too_long") \
            else (code, field)
    response = api.get("/api/v1/availability", scene.member, query_string=query)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["details"]["field"]) == (code, field)
    assert error["message"]
