"""Facility managers set bookable hours and closures, in the facility's local time."""
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.facilities.models import BookableHours, Closure

from ..factories import en_day, local, next_weekday
from .conftest import audit, text

EMPTY_WEEK = {day: "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def windows(facility):
    return [(w.weekday, w.start_minute, w.end_minute) for w in db.session.scalars(
        select(BookableHours).where(BookableHours.facility_id == facility.id)
        .order_by(BookableHours.weekday, BookableHours.start_minute))]


def test_manager_sets_split_hours_and_sees_them_written_back(client, auth, scene):
    auth.login(scene.manager)
    response = client.post(f"/admin/facilities/{scene.facility.id}/hours", data={
        **EMPTY_WEEK, "mon": "08:00-12:00, 13:00-20:00", "sat": "22:00-24:00", "sun": " 09:30-11:00 "})
    assert response.status_code == 302
    assert windows(scene.facility) == [(0, 480, 720), (0, 780, 1200), (5, 1320, 1440), (6, 570, 660)]
    page = text(client.get(f"/admin/facilities/{scene.facility.id}/hours"))
    assert 'value="08:00-12:00, 13:00-20:00"' in page and 'value="22:00-24:00"' in page
    [entry] = audit("hours_set", scene.facility.id)
    assert entry.actor_id == scene.manager.id


def test_bad_hours_are_refused_on_their_day_and_change_nothing(client, auth, scene):
    auth.login(scene.manager)
    before = windows(scene.facility)
    for day, typed in (("tue", "8-12"), ("wed", "12:00-08:00"), ("thu", "08:00-12:00, 11:00-14:00"),
                       ("fri", "08:00-24:30"), ("sat", "08:60-09:00")):
        response = client.post(f"/admin/facilities/{scene.facility.id}/hours", data={**EMPTY_WEEK, day: typed})
        assert response.status_code == 422, typed
        page = text(response)
        assert f'id="{day}-err"' in page, typed
        assert f'value="{typed}"' in page, typed  # what was typed comes back to be corrected
    assert windows(scene.facility) == before
    assert audit("hours_set") == []


def test_closure_in_local_time_is_stored_as_the_right_utc_instant(client, auth, scene):
    auth.login(scene.manager)
    day = next_weekday(2)
    response = client.post(f"/admin/facilities/{scene.facility.id}/closures", data={
        "kind": "maintenance", "start_date": day.isoformat(), "start_time": "09:00",
        "end_date": (day + timedelta(days=1)).isoformat(), "end_time": "00:00", "reason": "换模检修"})
    assert response.status_code == 302
    closure = db.session.scalar(select(Closure).where(Closure.facility_id == scene.facility.id))
    assert closure.start_at == local(day, "09:00") == datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
    assert closure.end_at == datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC)
    assert (closure.kind, closure.reason, closure.created_by_id) == ("maintenance", "换模检修", scene.manager.id)
    page = text(client.get(f"/admin/facilities/{scene.facility.id}/hours"))
    assert f"{en_day(day)}, 09:00" in page and "换模检修" in page
    [entry] = audit("closure_added", scene.facility.id)
    assert entry.details["closure_id"] == closure.id


def test_closure_uses_the_facilitys_own_time_zone_across_daylight_saving(client, auth, scene, make):
    berlin = make.facility(scene.chain, timezone="Europe/Berlin")
    db.session.commit()
    auth.login(scene.admin)
    year = datetime.now(UTC).year + 1
    switch = date(year, 3, 31) - timedelta(days=(date(year, 3, 31).weekday() + 1) % 7)  # last Sunday of March
    before, after = switch - timedelta(days=2), switch + timedelta(days=2)
    response = client.post(f"/admin/facilities/{berlin.id}/closures", data={
        "kind": "closure", "start_date": before.isoformat(), "start_time": "12:00",  # winter time, UTC+1
        "end_date": after.isoformat(), "end_time": "12:00", "reason": ""})          # summer time, UTC+2
    assert response.status_code == 302
    closure = db.session.scalar(select(Closure).where(Closure.facility_id == berlin.id))
    assert closure.start_at == datetime(before.year, before.month, before.day, 11, 0, tzinfo=UTC)
    assert closure.end_at == datetime(after.year, after.month, after.day, 10, 0, tzinfo=UTC)


def test_closure_ending_before_it_starts_is_refused(client, auth, scene):
    auth.login(scene.manager)
    day = next_weekday(3)
    response = client.post(f"/admin/facilities/{scene.facility.id}/closures", data={
        "kind": "closure", "start_date": day.isoformat(), "start_time": "10:00",
        "end_date": day.isoformat(), "end_time": "09:00", "reason": "x"})
    assert response.status_code == 422
    assert 'id="end_time-err">The end must be after the start.' in text(response)
    missing = client.post(f"/admin/facilities/{scene.facility.id}/closures", data={"kind": "closure"})
    assert missing.status_code == 422 and "Please choose a date." in text(missing)
    assert db.session.scalar(select(Closure.id)) is None


def test_manager_removes_a_closure_and_it_is_audited(client, auth, scene, make):
    day = next_weekday(4)
    closure_id = make.closure(scene.facility, local(day, "08:00"), local(day, "12:00"), reason="消防检查").id
    db.session.commit()
    auth.login(scene.manager)
    assert "消防检查" in text(client.get(f"/admin/facilities/{scene.facility.id}/hours"))
    response = client.post(f"/admin/facilities/{scene.facility.id}/closures/{closure_id}/remove")
    assert response.status_code == 302
    assert db.session.scalar(select(Closure.id).where(Closure.id == closure_id)) is None
    [entry] = audit("closure_removed", scene.facility.id)
    assert entry.details["reason"] == "消防检查"


def test_closures_of_other_facilities_cannot_be_reached_through_the_url(client, auth, scene, make):
    day = next_weekday(4)
    elsewhere = make.closure(scene.other_facility, local(day, "08:00"), local(day, "12:00"))
    db.session.commit()
    auth.login(scene.manager)
    # through the facility the manager manages: the closure is not one of its closures
    assert client.post(f"/admin/facilities/{scene.facility.id}/closures/{elsewhere.id}/remove").status_code == 404
    # through the facility it belongs to: not theirs to manage
    assert client.post(f"/admin/facilities/{scene.other_facility.id}/closures/{elsewhere.id}/remove").status_code == 403
    assert client.post(f"/admin/facilities/{scene.other_facility.id}/hours", data=EMPTY_WEEK).status_code == 403
    assert db.session.get(Closure, elsewhere.id) is not None


def test_past_closures_are_not_listed(client, auth, scene, make):
    past = date.today() - timedelta(days=10)
    make.closure(scene.facility, local(past, "08:00"), local(past, "12:00"), reason="去年的检修")
    db.session.commit()
    auth.login(scene.manager)
    page = text(client.get(f"/admin/facilities/{scene.facility.id}/hours"))
    assert "去年的检修" not in page and "No upcoming closures." in page
