"""GET /api/v1/bookings and /api/v1/bookings/<id>: who sees what, filters, pages."""
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.bookings.models import Booking
from booking.extensions import db

from ..factories import local, next_weekday
from .helpers import error_of, stamp


@pytest.fixture
def bookings(make, scene):
    """Four bookings on one day: ours and theirs on the managed line, theirs on another room, one elsewhere."""
    day = next_weekday(1)
    studio = make.facility(scene.chain, name="春苗直播间1号")
    foreign = make.facility(scene.outsider.membership.enterprise.chains[0])
    found = {
        "ours": make.booking(scene.facility, local(day, "09:00"), requester=scene.member),
        "theirs": make.booking(scene.facility, local(day, "11:00"), requester=scene.rival, status="approved"),
        "their_studio": make.booking(studio, local(day, "13:00"), requester=scene.rival),
        "foreign": make.booking(foreign, local(day, "15:00"), requester=scene.outsider),
    }
    return {name: booking.id for name, booking in found.items()}


def listed(api, user, query="") -> list[int]:
    response = api.get(f"/api/v1/bookings{query}", user)
    assert response.status_code == 200, response.get_json()
    return [b["id"] for b in response.get_json()["bookings"]]


def test_member_lists_their_enterprises_bookings_only(api, scene, bookings):
    assert listed(api, scene.member) == [bookings["ours"]]
    assert listed(api, scene.colleague) == [bookings["ours"]]
    assert listed(api, scene.rival) == [bookings["theirs"], bookings["their_studio"]]
    assert listed(api, scene.outsider) == [bookings["foreign"]]


def test_manager_lists_every_booking_of_the_facilities_they_manage(api, scene, bookings):
    assert listed(api, scene.manager) == [bookings["ours"], bookings["theirs"]]


def test_committee_lists_every_booking_of_their_chain(api, scene, bookings):
    assert listed(api, scene.committee) == [bookings["ours"], bookings["theirs"], bookings["their_studio"]]


def test_admin_lists_every_booking_ordered_by_start(api, scene, bookings):
    assert listed(api, scene.admin) == [bookings[k] for k in ("ours", "theirs", "their_studio", "foreign")]


def test_bookings_filter_by_resource_status_and_window(api, scene, bookings):
    admin, day = scene.admin, next_weekday(1)
    assert listed(api, admin, f"?resource_id={scene.facility.id}") == [bookings["ours"], bookings["theirs"]]
    assert listed(api, admin, "?status=approved") == [bookings["theirs"]]
    assert listed(api, admin, "?status=approved,pending") == [bookings[k] for k in
                                                              ("ours", "theirs", "their_studio", "foreign")]
    assert listed(api, admin, "?status=cancelled") == []
    window = {"start": stamp(day, "10:30"), "end": stamp(day, "13:00")}  # half-open: 13:00 is not inside
    response = api.get("/api/v1/bookings", admin, query_string=window)
    assert [b["id"] for b in response.get_json()["bookings"]] == [bookings["theirs"]]


def test_filter_by_a_resource_the_caller_cannot_see_finds_nothing(api, scene, bookings):
    foreign_resource_id = db.session.get(Booking, bookings["foreign"]).facility_id
    assert listed(api, scene.admin, f"?resource_id={foreign_resource_id}") == [bookings["foreign"]]
    assert listed(api, scene.member, f"?resource_id={foreign_resource_id}") == []


@pytest.mark.parametrize("query,code,field", [
    ({"status": "booked"}, "invalid_value", "status"),
    ({"status": "pending,maybe"}, "invalid_value", "status"),
    ({"resource_id": "line"}, "invalid_type", "resource_id"),
    ({"resource_id": "99999999999999999999"}, "invalid_value", "resource_id"),
    ({"page": "99999999999999999999"}, "invalid_value", "page"),
    ({"start": "2030-01-01T09:00:00"}, "naive_datetime", "start"),
    ({"end": "soon"}, "invalid_datetime", "end"),
    ({"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}, "invalid_interval", "end"),
    ({"page": "0"}, "invalid_value", "page"),
    ({"page": "two"}, "invalid_type", "page"),
    ({"per_page": "0"}, "invalid_value", "per_page"),
    ({"per_page": "201"}, "invalid_value", "per_page"),
])
def test_bad_booking_filters_are_422(api, scene, query, code, field):
    response = api.get("/api/v1/bookings", scene.member, query_string=query)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["details"]["field"]) == (code, field)


def links(response) -> dict[str, str]:
    """rel → path with query, from an RFC 8288 Link header."""
    found = {}
    for url, rel in re.findall(r'<([^>]+)>;\s*rel="([^"]+)"', response.headers.get("Link", "")):
        parts = urlsplit(url)
        found[rel] = f"{parts.path}?{parts.query}"
    return found


def test_bookings_are_paginated_with_link_header_and_total_count(api, make, scene):
    day = next_weekday(2)
    ids = [make.booking(scene.facility, local(day, f"{8 + i:02d}:00"), requester=scene.member).id for i in range(5)]
    first = api.get("/api/v1/bookings?per_page=2&status=pending", scene.member)
    assert first.headers["X-Total-Count"] == "5"
    assert [b["id"] for b in first.get_json()["bookings"]] == ids[:2]
    assert set(links(first)) == {"next", "last"}
    assert parse_qs(urlsplit(links(first)["next"]).query) == {"per_page": ["2"], "status": ["pending"],
                                                              "page": ["2"]}
    second = api.get(links(first)["next"], scene.member)
    assert [b["id"] for b in second.get_json()["bookings"]] == ids[2:4]
    assert set(links(second)) == {"first", "prev", "next", "last"}
    last = api.get(links(second)["next"], scene.member)
    assert [b["id"] for b in last.get_json()["bookings"]] == ids[4:]
    assert set(links(last)) == {"first", "prev"}
    assert links(last)["prev"] == links(first)["next"]
    assert api.get(links(first)["last"], scene.member).get_json() == last.get_json()


def test_one_page_needs_no_link_header(api, scene, bookings):
    response = api.get("/api/v1/bookings", scene.member)
    assert response.headers["X-Total-Count"] == "1"
    assert "Link" not in response.headers


def test_listing_bookings_issues_a_fixed_number_of_queries(api, make, scene, count_queries):
    secret = api.token(scene.admin)
    api.get("/api/v1/bookings", token=secret)  # the token's first use is recorded once, not on every request
    day = next_weekday(3)

    def add_bookings(n: int) -> None:
        for _ in range(n):  # each in a chain, on a facility and for an enterprise of its own
            chain = make.chain()
            make.booking(make.facility(chain), local(day, "10:00"), requester=make.member(chain))
        db.session.commit()

    def statements_for(expected: int) -> int:
        with count_queries() as counter:
            response = api.get("/api/v1/bookings", token=secret)
        assert len(response.get_json()["bookings"]) == expected
        return len(counter)

    add_bookings(2)
    few = statements_for(2)
    add_bookings(10)
    assert statements_for(12) == few
    assert few <= 7  # BEGIN, token, its user, roles (2), count, the page with facilities and enterprises


# --- one booking ---------------------------------------------------------------------------

def test_booking_detail_includes_its_history(api, scene):
    day = next_weekday(1)
    created = api.post("/api/v1/bookings", scene.member, json={
        "resource_id": scene.facility.id, "start": stamp(day, "10:00"), "end": stamp(day, "11:00")}).get_json()
    api.post(f"/api/v1/bookings/{created['id']}/approve", scene.manager)
    api.post(f"/api/v1/bookings/{created['id']}/cancel", scene.manager, json={"reason": "停电检修"})
    body = api.get(f"/api/v1/bookings/{created['id']}", scene.member).get_json()
    assert [(e["actor_id"], e["from"], e["to"], e["reason"]) for e in body["history"]] == [
        (scene.member.id, None, "pending", ""),
        (scene.manager.id, "pending", "approved", ""),
        (scene.manager.id, "approved", "cancelled", "停电检修"),
    ]
    assert all(e["at"].endswith("Z") for e in body["history"])
    assert body["status"] == "cancelled" and body["cancel_reason"] == "停电检修" and body["sequence"] == 2


@pytest.mark.parametrize("viewer,visible", [
    ("rival", True), ("manager", True), ("committee", True), ("admin", True),
    ("member", False), ("colleague", False), ("outsider", False),
])
def test_another_enterprises_booking_is_404_to_those_who_may_not_see_it(api, scene, bookings, viewer, visible):
    response = api.get(f"/api/v1/bookings/{bookings['theirs']}", getattr(scene, viewer))
    if visible:
        assert response.status_code == 200
        assert response.get_json()["id"] == bookings["theirs"]
    else:
        assert response.status_code == 404
        assert error_of(response) == error_of(api.get("/api/v1/bookings/999999", scene.member))
        assert error_of(response)["code"] == "unknown_booking"


@pytest.mark.parametrize("path", ["/api/v1/bookings/99999999999999999999",
                                  "/api/v1/bookings/99999999999999999999/cancel"])
def test_ids_beyond_any_integer_column_are_404(api, scene, path):
    response = api.get(path, scene.admin) if path.count("/") == 4 else api.post(path, scene.admin)
    assert response.status_code == 404


def test_booking_times_are_utc_with_local_copies(api, make, scene):
    day = next_weekday(1)
    booking = make.booking(scene.facility, local(day, "09:00"), local(day, "10:30"), requester=scene.member)
    body = api.get(f"/api/v1/bookings/{booking.id}", scene.member).get_json()
    start = local(day, "09:00")
    assert body["start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["end"] == (start + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (body["local_start"], body["local_end"]) == (stamp(day, "09:00"), stamp(day, "10:30"))
