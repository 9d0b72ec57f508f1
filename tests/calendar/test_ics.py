"""A booking as .ics: read back by another parser and compared with the database."""
from datetime import UTC, datetime, timedelta

from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.bookings.models import Booking, Series
from booking.calendar.ics import CANCEL, REQUEST, booking_ics, calendar_for
from booking.calendar.models import CalendarFeed
from booking.calendar.services import feed_bookings, feed_token
from booking.extensions import db

from ..factories import SHANGHAI, local, next_weekday
from .conftest import BERLIN, events, instants, next_dst_change, parse, uid


def client_feed(client, auth, user, kind, **extra) -> str:
    """A feed's URL, created through the calendar page."""
    auth.login(user)
    response = client.post("/calendar/feeds", data={"kind": kind, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    auth.logout()
    feed = db.session.scalars(db.select(CalendarFeed).where(CalendarFeed.user_id == user.id)
                              .order_by(CalendarFeed.id.desc())).first()
    return f"/calendar/feeds/{feed_token(feed)}.ics"


def download(client, booking):
    return client.get(f"/bookings/{booking.id}.ics")


def test_download_is_an_attachment_that_another_parser_reads_as_the_booking(client, auth, make, scene):
    day = next_weekday(1)
    booking = make.booking(scene.facility, local(day, "09:00"), local(day, "11:30"), status="approved",
                           requester=scene.member, purpose="样鞋试产")
    db.session.commit()
    auth.login(scene.member)
    response = download(client, booking)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="booking-{booking.id}.ics"'

    calendar = parse(response.data)
    assert (calendar.version.value, calendar.prodid.value, calendar.method.value) == (
        "2.0", "-//Lianxiang//链享//ZH", "PUBLISH")
    assert calendar.calscale.value == "GREGORIAN"
    assert [tz.tzid.value for tz in calendar.vtimezone_list] == ["Asia/Shanghai"]
    [(key, event)] = events(response.data).items()
    assert key == uid(booking)
    assert instants(event) == (booking.start_at, booking.end_at)
    assert b"DTSTART;TZID=Asia/Shanghai:" in response.data
    assert event.dtstart.value.hour == 9  # local wall-clock time, not UTC
    assert (event.status.value, int(event.sequence.value)) == ("CONFIRMED", booking.sequence)
    assert event.summary.value == "Chunyu production line · 样鞋试产"
    assert event.location.value == "Chunyu production line, 汇富春天园区, 3号楼"
    assert "样鞋试产" in event.description.value
    assert event.url.value == f"http://localhost/bookings/{booking.id}"
    assert event.last_modified.value == booking.updated_at.replace(microsecond=0)
    assert event.dtstamp.value.tzinfo is not None


def test_download_follows_the_booking_pages_visibility(client, auth, make, scene):
    booking = make.booking(scene.facility, local(next_weekday(1), "09:00"), requester=scene.member)
    db.session.commit()
    auth.login(scene.rival)
    assert download(client, booking).status_code == 404
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    auth.logout()
    assert download(client, booking).status_code == 302  # to the sign-in page
    auth.login(scene.committee)
    assert download(client, booking).status_code == 200


def test_status_maps_to_tentative_confirmed_and_cancelled(app, make, scene):
    day = next_weekday(2)
    roles = roles_of(scene.member)
    expected = {"pending": "TENTATIVE", "approved": "CONFIRMED", "checked_in": "CONFIRMED",
                "completed": "CONFIRMED", "cancelled": "CANCELLED", "rejected": "CANCELLED", "no_show": "CANCELLED"}
    with app.test_request_context():
        for hour, (status, ics_status) in enumerate(expected.items(), start=8):
            booking = make.booking(scene.facility, local(day, f"{hour:02d}:00"), status=status,
                                   requester=scene.member)
            [event] = events(booking_ics(booking, roles)).values()
            assert event.status.value == ics_status, status


def test_berlin_facility_exports_the_right_instants_across_the_daylight_saving_change(client, auth, make, scene):
    change = next_dst_change(BERLIN)
    before, after = change - timedelta(days=1), change + timedelta(days=1)
    first = make.booking(scene.berlin, local(before, "09:00", BERLIN), local(before, "10:00", BERLIN),
                         status="approved", requester=scene.member)
    second = make.booking(scene.berlin, local(after, "09:00", BERLIN), local(after, "10:00", BERLIN),
                          status="approved", requester=scene.member)
    body = client.get(client_feed(client, auth, scene.member, "mine")).data
    read = events(body)
    for booking in (first, second):
        event = read[uid(booking)]
        assert instants(event) == (booking.start_at, booking.end_at)
        assert event.dtstart.value.hour == 9
        assert f"DTSTART;TZID=Europe/Berlin:{booking.start_at.astimezone(BERLIN):%Y%m%dT%H%M%S}".encode() in body
    # The same local time is a different UTC hour on either side of the change.
    assert first.start_at.hour != second.start_at.hour
    [zone] = [tz for tz in parse(body).vtimezone_list if tz.tzid.value == "Europe/Berlin"]
    offsets = {c.tzoffsetto.value for c in zone.getChildren() if c.name in ("STANDARD", "DAYLIGHT")}
    assert {"+0100", "+0200"} <= offsets


def test_sequence_increases_after_approve_and_cancel(app, make, scene):
    day = next_weekday(3)
    booking = make.booking(scene.facility, local(day, "09:00"), requester=scene.member)
    db.session.commit()
    roles = roles_of(scene.member)

    def sequence():
        with app.test_request_context():
            [event] = events(booking_ics(booking, roles)).values()
            return int(event.sequence.value), event.status.value

    first = sequence()
    services.approve(scene.manager, roles_of(scene.manager), booking)
    db.session.commit()
    approved = sequence()
    services.cancel(scene.member, roles, booking, "计划变更")
    db.session.commit()
    cancelled = sequence()
    assert first[0] < approved[0] < cancelled[0]
    assert (first[1], approved[1], cancelled[1]) == ("TENTATIVE", "CONFIRMED", "CANCELLED")


def test_request_and_cancel_methods_for_future_emails(app, make, scene):
    booking = make.booking(scene.facility, local(next_weekday(1), "14:00"), status="approved",
                           requester=scene.member)
    roles = roles_of(scene.member)
    with app.test_request_context():
        request = parse(booking_ics(booking, roles, REQUEST))
        cancel = parse(booking_ics(booking, roles, CANCEL))
    assert request.method.value == "REQUEST" and request.vevent.status.value == "CONFIRMED"
    assert cancel.method.value == "CANCEL" and cancel.vevent.status.value == "CANCELLED"
    assert request.vevent.uid.value == cancel.vevent.uid.value == uid(booking)


def test_others_see_booked_without_purpose_or_link(app, make, scene):
    booking = make.booking(scene.facility, local(next_weekday(1), "09:00"), status="approved",
                           requester=scene.member, purpose="秘密新品")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        [event] = events(booking_ics(booking, roles_of(scene.rival))).values()
        text = booking_ics(booking, roles_of(scene.rival)).decode()
    assert event.summary.value == "Chunyu production line · Booked"
    assert "秘密新品" not in text and booking.enterprise.name not in text
    assert not hasattr(event, "url")
    scene.chain.show_booker_names = True
    with app.test_request_context(headers={"Accept-Language": "en"}):
        [event] = events(booking_ics(booking, roles_of(scene.rival))).values()
    assert event.summary.value == f"Chunyu production line · Booked ({booking.enterprise.name_en})"
    assert "秘密新品" not in event.description.value


def test_series_occurrences_are_separate_events_and_cancelled_ones_say_so(app, make, scene):
    first = next_weekday(1)
    enterprise = scene.member.membership.enterprise
    series = Series(facility_id=scene.facility.id, enterprise_id=enterprise.id, requester_id=scene.member.id,
                    rrule="FREQ=WEEKLY;COUNT=3", tzid="Asia/Shanghai", dtstart=local(first, "19:00"),
                    duration_minutes=120, purpose="直播")
    db.session.add(series)
    db.session.flush()
    occurrences = [make.booking(scene.facility, local(first + timedelta(weeks=i), "19:00"),
                                local(first + timedelta(weeks=i), "21:00"), status=status,
                                requester=scene.member, series_id=series.id, purpose="直播")
                   for i, status in enumerate(("approved", "cancelled", "approved"))]
    db.session.commit()
    feed = CalendarFeed(user_id=scene.member.id, kind="enterprise", nonce="n")
    db.session.add(feed)
    db.session.flush()
    with app.test_request_context():
        body = calendar_for(feed_bookings(feed, roles_of(scene.member)), roles_of(scene.member)).to_ical()
    assert b"RRULE" not in body and b"EXDATE" not in body
    read = events(body)
    assert set(read) == {uid(b) for b in occurrences}
    assert [read[uid(b)].status.value for b in occurrences] == ["CONFIRMED", "CANCELLED", "CONFIRMED"]
    for booking in occurrences:
        assert instants(read[uid(booking)]) == (booking.start_at, booking.end_at)
        assert read[uid(booking)].dtstart.value.astimezone(SHANGHAI).hour == 19


def test_uid_domain_comes_from_the_configuration(app, make, scene):
    app.config["CALENDAR_UID_DOMAIN"] = "zeguo.example"
    booking = make.booking(scene.facility, local(next_weekday(1), "09:00"), requester=scene.member)
    with app.test_request_context():
        assert list(events(booking_ics(booking, roles_of(scene.member)))) == [
            f"booking-{booking.id}@zeguo.example"]


def test_calendar_without_bookings_is_still_valid(app, scene):
    with app.test_request_context():
        calendar = parse(calendar_for([], roles_of(scene.member)).to_ical())
    assert calendar.method.value == "PUBLISH" and not hasattr(calendar, "vevent")


def test_updated_at_is_recorded_as_last_modified(app, make, scene):
    booking = make.booking(scene.facility, local(next_weekday(1), "09:00"), requester=scene.member)
    booking.updated_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    db.session.flush()
    with app.test_request_context():
        [event] = events(booking_ics(db.session.get(Booking, booking.id), roles_of(scene.member))).values()
    assert event.last_modified.value == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
