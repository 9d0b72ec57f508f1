"""Waiting lists through the pages and the API: the offer on the request page, the lists, withdrawing."""
from sqlalchemy import select

from booking.extensions import db
from booking.waitlist.models import WaitlistEntry

from ..api.helpers import error_of

API = "/api/v1/waitlist"


def entries() -> list[WaitlistEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)))


def request_form(scene, start="10:00", end="12:00", **extra):
    return {"start_date": scene.day.isoformat(), "start_time": start, "end_time": end, **extra}


def bearer(make, user, scopes="read write") -> dict:
    return {"Authorization": f"Bearer {make.token(user, scopes=scopes)}"}


# --- pages -----------------------------------------------------------------------------------

def test_request_page_offers_the_waiting_list_when_the_slot_is_taken(client, auth, make, scene):
    scene.hold(make)
    auth.login(scene.first)
    page = client.post(f"/bookings/new?facility_id={scene.facility.id}",
                       data=request_form(scene, "11:00", "12:00", purpose="样品"))
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Join the waiting list" in html and 'name="wait-auto_request"' in html
    assert f'value="{scene.at("11:00").astimezone(scene.facility.tz).isoformat()}"' in html

    joined = client.post("/waitlist/join", data={
        "wait-facility_id": scene.facility.id, "wait-purpose": "样品", "wait-auto_request": "y",
        "wait-start": scene.at("11:00").isoformat(), "wait-end": scene.at("12:00").isoformat()})
    assert joined.status_code == 302 and joined.headers["Location"] == "/waitlist"
    [entry] = entries()
    assert (entry.user_id, entry.start_at, entry.purpose, entry.auto_request) == (
        scene.first.id, scene.at("11:00"), "样品", True)


def test_no_offer_when_the_request_breaks_a_rule(client, auth, make, scene):
    scene.hold(make)
    auth.login(scene.first)
    page = client.post(f"/bookings/new?facility_id={scene.facility.id}", data=request_form(scene, "06:00", "07:00"))
    assert page.status_code == 422 and "Join the waiting list" not in page.get_data(as_text=True)


def test_joining_a_free_slot_sends_the_member_to_book_it(client, auth, scene):
    auth.login(scene.first)
    response = client.post("/waitlist/join", data={
        "wait-facility_id": scene.facility.id, "wait-start": scene.at("10:00").isoformat(),
        "wait-end": scene.at("12:00").isoformat()}, follow_redirects=True)
    assert "The slot is free: book it." in response.get_data(as_text=True)
    assert entries() == []


def test_waitlist_page_shows_our_entries_with_their_place_and_withdraws(client, auth, make, scene):
    scene.hold(make)
    scene.join(scene.second)
    entry = scene.join(scene.first, auto_request=True)
    other = scene.join(scene.third)
    auth.login(scene.first)
    html = client.get("/waitlist").get_data(as_text=True)
    assert "Chunyu line" in html and "Withdraw" in html
    assert f'/waitlist/{entry.id}/withdraw' in html and f'/waitlist/{other.id}/withdraw' not in html
    assert "<td>2</td>" in html  # second in line, after the second member
    response = client.post(f"/waitlist/{entry.id}/withdraw")
    assert response.status_code == 302
    assert [e.status for e in entries()] == ["waiting", "withdrawn", "waiting"]
    assert "Earlier entries" in client.get("/waitlist").get_data(as_text=True)


def test_our_bookings_links_to_the_waiting_list(client, auth, scene):
    auth.login(scene.first)
    assert 'href="/waitlist"' in client.get("/bookings").get_data(as_text=True)


def test_another_enterprise_cannot_withdraw_an_entry(client, auth, make, scene):
    scene.hold(make)
    entry = scene.join(scene.first)
    auth.login(scene.second)
    assert client.post(f"/waitlist/{entry.id}/withdraw").status_code == 404
    assert entries()[0].status == "waiting"


def test_managers_see_their_facilitys_line_and_members_do_not(client, auth, make, scene):
    scene.hold(make)
    scene.join(scene.first)
    scene.join(scene.second, "11:00", "12:00")
    auth.login(scene.manager)
    assert f"/waitlist/facility/{scene.facility.id}" in client.get("/waitlist").get_data(as_text=True)
    html = client.get(f"/waitlist/facility/{scene.facility.id}").get_data(as_text=True)
    assert scene.first.membership.enterprise.name_en in html
    assert scene.second.membership.enterprise.name_en in html
    auth.logout()
    auth.login(scene.first)
    assert client.get(f"/waitlist/facility/{scene.facility.id}").status_code == 403


def test_pages_cost_a_fixed_number_of_queries(client, auth, make, scene, count_queries):
    scene.hold(make, "08:00", "18:00")
    enterprise = scene.first.membership.enterprise

    def page_queries():
        with count_queries() as seen:
            assert client.get("/waitlist").status_code == 200
        return len(seen)
    auth.login(scene.first)
    scene.join(scene.first, "10:00", "11:00")
    few = page_queries()
    for hour in range(11, 16):
        scene.join(make.user(enterprise), f"{hour}:00", f"{hour + 1}:00")
    assert page_queries() == few


# --- API -------------------------------------------------------------------------------------

def test_api_joins_lists_and_withdraws(client, make, scene):
    scene.hold(make)
    headers = bearer(make, scene.first)
    body = {"resource_id": scene.facility.id, "start": scene.at("10:00").isoformat(),
            "end": scene.at("11:00").isoformat(), "auto_request": True, "purpose": "试产"}
    created = client.post(API, json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    entry = created.get_json()
    assert (entry["status"], entry["position"], entry["auto_request"]) == ("waiting", 1, True)
    assert created.headers["Location"].endswith(f"/api/v1/waitlist/{entry['id']}")
    again = client.post(API, json=body, headers=headers)
    assert again.status_code == 409 and error_of(again)["code"] == "already_waiting"

    listed = client.get(API, headers=headers).get_json()["entries"]
    assert [e["id"] for e in listed] == [entry["id"]]
    assert client.get(API, headers=bearer(make, scene.second)).get_json()["entries"] == []

    gone = client.delete(f"{API}/{entry['id']}", headers=headers)
    assert gone.status_code == 200 and gone.get_json()["status"] == "withdrawn"
    assert client.get(f"{API}?status=waiting", headers=headers).get_json()["entries"] == []


def test_api_refuses_a_free_slot_and_bad_input(client, make, scene):
    headers = bearer(make, scene.first)
    body = {"resource_id": scene.facility.id, "start": scene.at("10:00").isoformat(),
            "end": scene.at("11:00").isoformat()}
    free = client.post(API, json=body, headers=headers)
    assert free.status_code == 422 and error_of(free)["code"] == "slot_free"
    naive = client.post(API, json={**body, "start": "2030-01-01T10:00:00"}, headers=headers)
    assert naive.status_code == 422 and error_of(naive)["code"] == "naive_datetime"
    unknown = client.post(API, json={**body, "resource_id": 2**40}, headers=headers)
    assert unknown.status_code == 422
    extra = client.post(API, json={**body, "colour": "red"}, headers=headers)
    assert extra.status_code == 422 and error_of(extra)["code"] == "unknown_field"


def test_api_other_enterprise_cannot_see_or_withdraw_an_entry(client, make, scene):
    scene.hold(make)
    entry = scene.join(scene.first)
    colleague = make.user(scene.first.membership.enterprise)
    assert client.delete(f"{API}/{entry.id}", headers=bearer(make, scene.second)).status_code == 404
    assert client.get(f"{API}/{entry.id}", headers=bearer(make, scene.second)).status_code == 404
    assert client.delete(f"{API}/{entry.id}", headers=bearer(make, colleague)).status_code == 403
    read_only = client.delete(f"{API}/{entry.id}", headers=bearer(make, scene.first, scopes="read"))
    assert read_only.status_code == 403 and error_of(read_only)["code"] == "insufficient_scope"
    assert entries()[0].status == "waiting"


def test_api_retried_join_with_its_idempotency_key_waits_once(client, make, scene):
    scene.hold(make)
    headers = {**bearer(make, scene.first), "Idempotency-Key": "wait-1"}
    body = {"resource_id": scene.facility.id, "start": scene.at("10:00").isoformat(),
            "end": scene.at("11:00").isoformat()}
    first = client.post(API, json=body, headers=headers)
    again = client.post(API, json=body, headers=headers)
    assert first.status_code == again.status_code == 201  # not 409 already_waiting: the first answer again
    assert again.get_json() == first.get_json()
    assert len(entries()) == 1
