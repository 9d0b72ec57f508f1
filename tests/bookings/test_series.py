"""Recurring bookings through the services: every rule on every date, refuse or skip, decide, cancel, move."""
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.bookings.models import Booking, BookingEvent, Series
from booking.bookings.series import (
    approve_series,
    cancel_series,
    change_series_time,
    occurrences,
    plan_series,
    reject_series,
    request_series,
)
from booking.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from booking.extensions import db

from ..factories import SHANGHAI, en_day, local, next_weekday

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(make):
    chain = make.chain()
    facility = make.facility(chain)
    member = make.member(chain)
    other = make.member(chain)
    manager = make.manager(facility)
    return facility, member, other, manager


def ask(user, facility, start, end, rrule, **kw):
    return request_series(user, roles_of(user), facility, start, end, rrule, **kw)


def weeks(n: int, weekday: int = 0) -> list[date]:
    """The next ``n`` weeks' ``weekday`` dates, starting next week."""
    return [next_weekday(weekday, weeks_ahead=1 + i) for i in range(n)]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_series_books_each_date_as_a_pending_request_with_its_audit_event(scene):
    facility, member, _other, _manager = scene
    mondays = weeks(4)
    series, bookings, skipped = ask(member, facility, local(mondays[0], "09:00"), local(mondays[0], "11:00"),
                                    "FREQ=WEEKLY;COUNT=4", purpose="新品打样")
    assert skipped == []
    assert [b.start_at for b in bookings] == [local(d, "09:00") for d in mondays]
    assert {b.status for b in bookings} == {"pending"} and {b.series_id for b in bookings} == {series.id}
    assert (series.rrule, series.tzid, series.dtstart, series.duration_minutes, series.purpose) == \
        ("FREQ=WEEKLY;COUNT=4", "Asia/Shanghai", local(mondays[0], "09:00"), 120, "新品打样")
    assert series.enterprise_id == member.membership.enterprise_id
    events = db.session.scalars(select(BookingEvent).order_by(BookingEvent.booking_id)).all()
    assert [(e.booking_id, e.to_status, e.actor_id) for e in events] == [(b.id, "pending", member.id)
                                                                         for b in bookings]


def test_facility_without_approval_approves_each_date_and_rejects_rival_requests(make, scene):
    facility, member, other, _manager = scene
    facility.requires_approval = False
    mondays = weeks(3)
    rival = make.booking(facility, local(mondays[1], "10:00"), requester=other)
    _series, bookings, _skipped = ask(member, facility, local(mondays[0], "09:00"), local(mondays[0], "11:00"),
                                      "FREQ=WEEKLY;COUNT=3")
    assert {b.status for b in bookings} == {"approved"}
    assert rival.status == "rejected" and f"#{bookings[1].id}" in rival.rejection_reason


def test_dates_that_overlap_each_other_are_refused(make, scene):
    _facility, member, _other, _manager = scene
    day = next_weekday(0)
    long_room = make.facility(member.membership.enterprise.chains[0], hours="00:00-24:00", max_minutes=1500)
    with pytest.raises(InvalidInput) as error:
        ask(member, long_room, local(day, "09:00"), local(day + timedelta(days=1), "10:00"), "FREQ=DAILY;COUNT=3")
    assert error.value.code == "series_overlaps_itself"
    buffered = make.facility(long_room.chain, hours="00:00-24:00", max_minutes=1500, buffer_minutes=60)
    with pytest.raises(InvalidInput) as error:  # 23.5 hours and an hour's changeover meet the next day
        ask(member, buffered, local(day, "09:00"), local(day + timedelta(days=1), "08:30"), "FREQ=DAILY;COUNT=3")
    assert error.value.code == "series_overlaps_itself"
    assert count(Booking) == 0 and count(Series) == 0


def test_conflicting_dates_refuse_the_whole_series_and_are_all_listed(make, scene):
    facility, member, other, _manager = scene
    mondays = weeks(4)
    make.booking(facility, local(mondays[1], "10:00"), status="approved", requester=other)
    make.closure(facility, local(mondays[3], "00:00"), local(mondays[3] + timedelta(days=1), "00:00"), "设备检修")
    with pytest.raises(Conflict) as error:
        ask(member, facility, local(mondays[0], "09:00"), local(mondays[0], "11:00"), "FREQ=WEEKLY;COUNT=4")
    assert error.value.status == 409 and error.value.code == "series_conflicts"
    conflicts = error.value.details["conflicts"]
    assert [(c["start"], c["code"]) for c in conflicts] == [
        (services.iso(local(mondays[1], "09:00")), "slot_taken"), (services.iso(local(mondays[3], "09:00")), "closed")]
    assert mondays[1].isoformat() in error.value.message and mondays[3].isoformat() in error.value.message
    assert "设备检修" in conflicts[1]["message"]
    assert count(Series) == 0 and count(Booking) == 1


def test_skipping_conflicts_books_the_other_dates_and_reports_the_skipped_ones(make, scene):
    facility, member, other, _manager = scene
    mondays = weeks(4)
    make.booking(facility, local(mondays[1], "10:30"), status="approved", requester=other)
    series, bookings, skipped = ask(member, facility, local(mondays[0], "09:00"), local(mondays[0], "11:00"),
                                    "FREQ=WEEKLY;COUNT=4", skip_conflicts=True)
    assert [b.start_at for b in bookings] == [local(d, "09:00") for d in (mondays[0], mondays[2], mondays[3])]
    assert [(s, e, code) for s, e, code, _message in skipped] == [
        (local(mondays[1], "09:00"), local(mondays[1], "11:00"), "slot_taken")]
    assert series.dtstart == local(mondays[0], "09:00")


def test_the_changeover_buffer_applies_to_each_date(make, scene):
    facility, member, other, _manager = scene
    facility.buffer_minutes = 30
    mondays = weeks(2)
    make.booking(facility, local(mondays[1], "08:00"), local(mondays[1], "08:30"), status="approved",
                 requester=other)
    with pytest.raises(Conflict) as error:
        ask(member, facility, local(mondays[0], "08:30"), local(mondays[0], "09:30"), "FREQ=WEEKLY;COUNT=2")
    assert [c["code"] for c in error.value.details["conflicts"]] == ["slot_taken"]


def test_every_rule_of_a_single_booking_applies_to_each_date(make, scene):
    _facility, member, _other, _manager = scene
    monday = next_weekday(0)
    workdays = make.facility(member.membership.enterprise.chains[0], weekdays=range(5),
                             max_advance_days=(monday - date.today()).days + 15)
    _series, bookings, skipped = ask(member, workdays, local(monday, "09:00"), local(monday, "10:00"),
                                     "FREQ=DAILY;COUNT=28", skip_conflicts=True)
    codes = {(start.astimezone(SHANGHAI).date() - monday).days: code for start, _end, code, _m in skipped}
    assert [codes[d] for d in (5, 6, 12, 13)] == ["outside_hours"] * 4  # the weekends
    assert {codes[d] for d in range(17, 28)} == {"too_far"}
    assert all(b.start_at.astimezone(SHANGHAI).weekday() < 5 for b in bookings) and len(bookings) >= 10


def test_a_series_with_nothing_left_to_book_is_refused(make, scene):
    facility, member, _other, _manager = scene
    day = next_weekday(2)
    make.closure(facility, local(day, "00:00"), local(day + timedelta(days=3), "00:00"))
    with pytest.raises(Conflict) as error:
        ask(member, facility, local(day, "09:00"), local(day, "10:00"), "FREQ=DAILY;COUNT=3", skip_conflicts=True)
    assert error.value.code == "no_dates_left" and len(error.value.details["conflicts"]) == 3
    assert count(Series) == 0


@pytest.mark.parametrize("start,end,code", [("09:15", "10:00", "not_aligned"), ("10:00", "09:00", "invalid_interval"),
                                            ("09:00", "18:00", "too_long")])
def test_a_wrong_time_of_day_refuses_the_request_itself(scene, start, end, code):
    facility, member, _other, _manager = scene
    day = next_weekday(1)
    with pytest.raises(InvalidInput) as error:
        ask(member, facility, local(day, start), local(day, end), "FREQ=DAILY;COUNT=3", skip_conflicts=True)
    assert error.value.code == code


def test_members_of_other_chains_and_bad_rules_are_refused(make, scene):
    facility, _member, _other, _manager = scene
    stranger = make.member()
    day = next_weekday(1)
    with pytest.raises(Exception) as error:
        ask(stranger, facility, local(day, "09:00"), local(day, "10:00"), "FREQ=DAILY;COUNT=3")
    assert error.value.code == "not_in_chain"
    with pytest.raises(InvalidInput) as error:
        ask(_member, facility, local(day, "09:00"), local(day, "10:00"), "FREQ=DAILY;COUNT=400")
    assert error.value.code == "too_many_occurrences" and "366" in error.value.message


def next_change(tz: ZoneInfo, month: int) -> date:
    """The next day in ``month`` on which ``tz`` changes its UTC offset."""
    day = date.today() + timedelta(days=8)
    while True:
        noon = local(day, "12:00", tz).astimezone(tz)
        if day.month == month and noon.utcoffset() != local(day - timedelta(days=1), "12:00", tz).astimezone(
                tz).utcoffset():
            return day
        day += timedelta(days=1)


@pytest.mark.parametrize("month", [3, 10])
def test_a_berlin_facility_of_a_shanghai_chain_keeps_nine_oclock_across_daylight_saving(make, scene, month):
    _facility, member, _other, _manager = scene
    change = next_change(BERLIN, month)
    first = change - timedelta(days=7)  # same weekday (Sunday), a week before
    chain = member.membership.enterprise.chains[0]
    assert chain.timezone == "Asia/Shanghai"
    berlin = make.facility(chain, timezone="Europe/Berlin", max_advance_days=(change - date.today()).days + 30)
    series, bookings, _skipped = ask(member, berlin, local(first, "09:00", BERLIN), local(first, "10:00", BERLIN),
                                     "FREQ=WEEKLY;COUNT=3")
    assert series.tzid == "Europe/Berlin"
    assert [b.start_at.astimezone(BERLIN).time() for b in bookings] == [time(9)] * 3
    utc_hours = [b.start_at.hour for b in bookings]
    assert utc_hours == ([8, 7, 7] if month == 3 else [7, 8, 8])


def test_a_time_that_daylight_saving_skips_is_a_conflict_not_a_shift(make, scene):
    _facility, member, _other, _manager = scene
    change = next_change(BERLIN, 3)
    berlin = make.facility(member.membership.enterprise.chains[0], timezone="Europe/Berlin", hours="00:00-24:00",
                           max_advance_days=(change - date.today()).days + 30)
    before = change - timedelta(days=1)
    start = local(before, "02:00", BERLIN)
    with pytest.raises(Conflict) as error:
        ask(member, berlin, start, start + timedelta(minutes=60), "FREQ=DAILY;COUNT=3")
    assert [c["code"] for c in error.value.details["conflicts"]] == ["nonexistent_time"]


def test_preview_lists_each_date_and_why_it_cannot_be_booked(make, scene):
    facility, member, other, _manager = scene
    mondays = weeks(3)
    make.booking(facility, local(mondays[2], "09:00"), status="approved", requester=other)
    slots = plan_series(member, roles_of(member), facility, local(mondays[0], "09:00"), local(mondays[0], "10:00"),
                        "FREQ=WEEKLY;COUNT=3")
    assert [(s.start, s.code) for s in slots] == [(local(mondays[0], "09:00"), None),
                                                  (local(mondays[1], "09:00"), None),
                                                  (local(mondays[2], "09:00"), "slot_taken")]
    assert count(Series) == 0


@pytest.fixture
def weekly(scene):
    facility, member, _other, _manager = scene
    mondays = weeks(4)
    series, bookings, _ = ask(member, facility, local(mondays[0], "09:00"), local(mondays[0], "11:00"),
                              "FREQ=WEEKLY;COUNT=4")
    return series, bookings, mondays


def test_manager_approves_the_whole_series(make, scene, weekly):
    facility, _member, other, manager = scene
    series, bookings, mondays = weekly
    rival = make.booking(facility, local(mondays[2], "10:00"), requester=other)
    approved, rejected = approve_series(manager, roles_of(manager), series)
    assert approved == bookings and {b.status for b in bookings} == {"approved"}
    assert rejected == [rival] and rival.status == "rejected"
    with pytest.raises(InvalidTransition):
        approve_series(manager, roles_of(manager), series)


def test_approving_a_series_is_all_or_nothing(make, scene, weekly):
    facility, _member, other, manager = scene
    series, _bookings, mondays = weekly
    make.booking(facility, local(mondays[1], "08:00"), local(mondays[1], "09:30"), status="approved",
                 requester=other)
    with pytest.raises(Conflict) as error:
        approve_series(manager, roles_of(manager), series)
    assert mondays[1].isoformat() in error.value.message
    assert [c["code"] for c in error.value.details["conflicts"]] == ["slot_taken"]
    assert {b.status for b in occurrences(series)} == {"pending"}


def test_only_managers_decide_a_series(scene, weekly):
    _facility, member, _other, _manager = scene
    series, _bookings, _mondays = weekly
    with pytest.raises(Forbidden):
        approve_series(member, roles_of(member), series)
    with pytest.raises(Forbidden):
        reject_series(member, roles_of(member), series, "no")


def test_manager_rejects_the_whole_series_with_a_reason(scene, weekly):
    _facility, _member, _other, manager = scene
    series, bookings, _mondays = weekly
    services.approve(manager, roles_of(manager), bookings[0])  # one by one still works
    with pytest.raises(InvalidInput):
        reject_series(manager, roles_of(manager), series, " ")
    rejected = reject_series(manager, roles_of(manager), series, "设备改造期间暂停")
    assert rejected == bookings[1:]
    assert [b.status for b in bookings] == ["approved", "rejected", "rejected", "rejected"]
    assert bookings[3].rejection_reason == "设备改造期间暂停"
    assert bookings[3].events[-1].reason == "设备改造期间暂停"


def test_cancel_one_occurrence_then_the_following_then_the_rest(scene, weekly):
    _facility, member, _other, _manager = scene
    series, bookings, _mondays = weekly
    roles = roles_of(member)
    services.cancel(member, roles, bookings[1])
    cancelled = cancel_series(member, roles, series, from_start=bookings[2].start_at)
    assert cancelled == bookings[2:]
    assert [b.status for b in bookings] == ["pending", "cancelled", "cancelled", "cancelled"]
    assert cancel_series(member, roles, series) == [bookings[0]]
    with pytest.raises(InvalidTransition) as error:
        cancel_series(member, roles, series)
    assert error.value.code == "nothing_to_cancel"


def test_cancelling_the_whole_series_leaves_past_occurrences_as_they_were(scene, weekly):
    _facility, member, other, manager = scene
    series, bookings, _mondays = weekly
    approve_series(manager, roles_of(manager), series)
    later = bookings[1].start_at + timedelta(minutes=30)  # the second one is under way
    with pytest.raises(Forbidden):
        cancel_series(other, roles_of(other), series, now=later)
    cancelled = cancel_series(member, roles_of(member), series, now=later)
    assert cancelled == bookings[2:]
    assert [b.status for b in bookings] == ["approved", "approved", "cancelled", "cancelled"]
    assert all(e.actor_id == member.id for b in cancelled for e in b.events[-1:])
    # a manager may still stop the one under way, with a reason
    with pytest.raises(InvalidInput):
        cancel_series(manager, roles_of(manager), series, now=later)
    assert cancel_series(manager, roles_of(manager), series, reason="停电", now=later) == [bookings[1]]
    assert bookings[0].status == "approved"


def test_changing_the_time_moves_future_occurrences_only(scene, weekly):
    _facility, member, _other, manager = scene
    series, bookings, mondays = weekly
    approve_series(manager, roles_of(manager), series)
    sequences = [b.sequence for b in bookings]
    later = bookings[0].end_at + timedelta(hours=1)
    moved = change_series_time(member, roles_of(member), series, time(14, 0), 90, now=later)
    assert moved == bookings[1:]
    assert bookings[0].start_at == local(mondays[0], "09:00") and bookings[0].status == "approved"
    assert [(b.start_at, b.end_at) for b in moved] == [(local(d, "14:00"), local(d, "15:30")) for d in mondays[1:]]
    assert {b.status for b in moved} == {"pending"}  # the facility needs approval: decided again
    assert all(b.sequence > s for b, s in zip(moved, sequences[1:])) and bookings[0].sequence == sequences[0]
    assert moved[0].events[-1].details["old_start"] == services.iso(local(mondays[1], "09:00"))
    assert series.sequence == 1 and series.duration_minutes == 90
    assert series.dtstart == local(mondays[0], "14:00")


def test_changing_the_time_is_all_or_nothing(make, scene, weekly):
    facility, member, other, _manager = scene
    series, _bookings, mondays = weekly
    make.booking(facility, local(mondays[2], "14:00"), status="approved", requester=other)
    with pytest.raises(Conflict) as error:
        change_series_time(member, roles_of(member), series, time(13, 0), 120)
    assert mondays[2].isoformat() in error.value.message
    assert [b.start_at for b in occurrences(series)] == [local(d, "09:00") for d in mondays]
    with pytest.raises(Conflict) as error:
        change_series_time(member, roles_of(member), series, time(19, 0), 120)
    assert {c["code"] for c in error.value.details["conflicts"]} == {"outside_hours"}


def test_strangers_may_not_change_a_series(scene, weekly):
    _facility, _member, other, _manager = scene
    series, _bookings, _mondays = weekly
    with pytest.raises(Forbidden):
        change_series_time(other, roles_of(other), series, time(14, 0), 60)


# --- pages ----------------------------------------------------------------------------------

def series_form(day, **extra) -> dict:
    return {"start_date": day.isoformat(), "start_time": "09:00", "end_time": "11:00", "repeat": "weekly",
            "weekdays": [str(day.weekday())], "ends": "count", "count": "3", **extra}


def test_form_previews_the_dates_and_books_nothing(client, auth, make, scene):
    facility, member, other, _manager = scene
    days = weeks(3)
    make.booking(facility, local(days[1], "10:00"), status="approved", requester=other)
    auth.login(member)
    page = client.get("/bookings/new", query_string={"facility_id": facility.id,
                                                     "start": local(days[0], "09:00").isoformat()})
    assert page.status_code == 200 and "Preview dates" in page.get_data(as_text=True)
    response = client.post(f"/bookings/new?facility_id={facility.id}", data=series_form(days[0], preview="1"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert all(en_day(d) in text for d in days)
    assert "2 of 3 dates can be booked" in text and "already booked" in text
    assert count(Booking) == 1 and count(Series) == 0


def test_form_refuses_a_series_with_a_taken_date_and_says_which(client, auth, make, scene):
    facility, member, other, _manager = scene
    days = weeks(3)
    make.booking(facility, local(days[2], "10:00"), status="approved", requester=other)
    auth.login(member)
    response = client.post(f"/bookings/new?facility_id={facility.id}", data=series_form(days[0]))
    assert response.status_code == 422
    assert f"1 date cannot be booked: {en_day(days[2])}" in response.get_data(as_text=True)
    assert count(Series) == 0


def test_form_books_a_series_skipping_taken_dates_and_the_page_shows_it(client, auth, make, scene):
    facility, member, other, manager = scene
    days = weeks(3)
    make.booking(facility, local(days[1], "10:00"), status="approved", requester=other)
    auth.login(member)
    response = client.post(f"/bookings/new?facility_id={facility.id}",
                           data=series_form(days[0], skip_conflicts="y", purpose="直播"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your requests for 2 dates have been sent" in page
    assert f"Skipped because they cannot be booked: {en_day(days[1])}" in page
    assert "Recurring booking" in page and "Weekly on" in page and "Cancel the whole series" in page
    row = db.session.scalar(select(Series))
    first, last = occurrences(row)

    auth.logout()
    auth.login(manager)
    detail = f"/bookings/{first.id}"
    assert "Approve the series" in client.get(detail).get_data(as_text=True)
    response = client.post(f"/series/{row.id}/approve", data={"next": detail})
    assert response.status_code == 302 and response.headers["Location"] == detail
    assert {b.status for b in occurrences(row)} == {"approved"}

    auth.logout()
    auth.login(member)
    response = client.post(f"/series/{row.id}/cancel", data={"from_booking": str(last.id), "next": detail})
    assert response.status_code == 302
    assert [b.status for b in occurrences(row)] == ["approved", "cancelled"]
    client.post(f"/series/{row.id}/cancel", data={"next": detail})
    assert [b.status for b in occurrences(row)] == ["cancelled", "cancelled"]
    assert client.post(f"/series/{row.id}/reject", data={"reason": "x"}).status_code == 403


def test_series_pages_hide_other_enterprises_series(client, auth, scene, weekly):
    _facility, _member, other, _manager = scene
    series, bookings, _days = weekly
    auth.login(other)
    assert client.post(f"/series/{series.id}/cancel", data={}).status_code == 404
    assert client.get(f"/bookings/{bookings[0].id}").status_code == 404


def test_booking_page_moves_the_coming_dates_of_a_series(client, auth, scene):
    facility, member, _other, _manager = scene
    days = weeks(3, weekday=1)
    _series, created, _skipped = ask(member, facility, local(days[0], "10:00"), local(days[0], "12:00"),
                                     "FREQ=WEEKLY;COUNT=3")
    auth.login(member)
    page = client.get(f"/bookings/{created[0].id}").get_data(as_text=True)
    assert "/reschedule" in page
    response = client.post(f"/series/{_series.id}/reschedule",
                           data={"start_time": "14:00", "duration_minutes": "90",
                                 "next": f"/bookings/{created[0].id}"})
    assert response.status_code == 302
    moved = sorted(db.session.scalars(select(Booking).where(Booking.series_id == _series.id)),
                   key=lambda b: b.start_at)
    assert [(b.start_at, b.end_at) for b in moved] == [
        (local(d, "14:00"), local(d, "15:30")) for d in days]


def test_moving_a_series_onto_a_taken_slot_changes_nothing_and_says_why(client, auth, make, scene):
    facility, member, other, _manager = scene
    days = weeks(2, weekday=2)
    _series, created, _skipped = ask(member, facility, local(days[0], "10:00"), local(days[0], "11:00"),
                                     "FREQ=WEEKLY;COUNT=2")
    make.booking(facility, local(days[1], "14:00"), local(days[1], "15:00"), status="approved",
                 enterprise=other.membership.enterprise)
    auth.login(member)
    response = client.post(f"/series/{_series.id}/reschedule", data={"start_time": "14:00",
                                                                     "duration_minutes": "60"},
                           follow_redirects=True)
    assert en_day(days[1]) in response.get_data(as_text=True)
    db.session.expire_all()
    assert [b.start_at for b in sorted(created, key=lambda b: b.start_at)] == [
        local(d, "10:00") for d in days]
