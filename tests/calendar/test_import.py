"""Maintenance windows imported from an .ics file into a facility's closures."""
from datetime import timedelta
from io import BytesIO

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from booking.accounts.models import AuditEntry
from booking.calendar.imports import MAX_BYTES
from booking.extensions import db
from booking.facilities.models import Closure

from ..factories import local, next_weekday
from .conftest import BERLIN


def ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\nUID:{i}@example\r\nDTSTAMP:20260101T000000Z\r\n{e.strip()}\r\nEND:VEVENT\r\n"
                   for i, e in enumerate(events))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n{body}END:VCALENDAR\r\n".encode()


def upload(client, facility, data: bytes, name: str = "maintenance.ics"):
    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(BytesIO(data), name)}))
    return client.post(f"/admin/facilities/{facility.id}/closures/import", input_stream=BytesIO(body),
                       content_length=len(body), content_type=f"multipart/form-data; boundary={boundary}",
                       follow_redirects=True)


def closures(facility) -> list[Closure]:
    return list(db.session.scalars(select(Closure).where(Closure.facility_id == facility.id)
                                   .order_by(Closure.start_at)))


def d(day) -> str:
    return day.strftime("%Y%m%d")


def test_timed_all_day_and_floating_events_become_maintenance_windows(client, auth, scene):
    day = next_weekday(2)
    data = ics(
        f"SUMMARY:换模检修\r\nDTSTART:{d(day)}T010000Z\r\nDTEND:{d(day)}T030000Z",  # UTC
        f"SUMMARY:Annual service\r\nDTSTART;VALUE=DATE:{d(day + timedelta(days=1))}\r\n"
        f"DTEND;VALUE=DATE:{d(day + timedelta(days=3))}",  # two whole local days
        f"SUMMARY:Floating\r\nDTSTART:{d(day)}T140000\r\nDURATION:PT90M",  # facility's local time
        f"SUMMARY:Berlin time\r\nDTSTART;TZID=Europe/Berlin:{d(day)}T180000\r\n"
        f"DTEND;TZID=Europe/Berlin:{d(day)}T190000",
    )
    auth.login(scene.manager)
    response = upload(client, scene.facility, data)
    assert response.status_code == 200
    assert "Maintenance windows imported: 4; skipped: 0" in response.get_data(as_text=True)
    got = [(c.start_at, c.end_at, c.reason, c.kind) for c in closures(scene.facility)]
    assert got == sorted([
        (local(day, "09:00"), local(day, "11:00"), "换模检修", "maintenance"),
        (local(day + timedelta(days=1), "00:00"), local(day + timedelta(days=3), "00:00"), "Annual service",
         "maintenance"),
        (local(day, "14:00"), local(day, "15:30"), "Floating", "maintenance"),
        (local(day, "18:00", BERLIN), local(day, "19:00", BERLIN), "Berlin time", "maintenance"),
    ])
    audited = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "closure_added")).all()
    assert len(audited) == 4 and {a.actor_id for a in audited} == {scene.manager.id}


def test_all_day_events_are_whole_days_in_the_facilitys_own_zone(client, auth, scene):
    day = next_weekday(3)
    auth.login(scene.manager)
    upload(client, scene.berlin, ics(f"SUMMARY:Wartung\r\nDTSTART;VALUE=DATE:{d(day)}\r\nDURATION:P1D"))
    [closure] = closures(scene.berlin)
    assert (closure.start_at, closure.end_at) == (local(day, "00:00", BERLIN),
                                                  local(day + timedelta(days=1), "00:00", BERLIN))


def test_past_incomplete_backwards_recurring_and_repeated_events_are_skipped(client, auth, scene):
    day = next_weekday(2)
    past = day - timedelta(days=60)
    good = f"SUMMARY:Good\r\nDTSTART:{d(day)}T100000\r\nDTEND:{d(day)}T110000"
    data = ics(
        good,
        f"SUMMARY:Past\r\nDTSTART:{d(past)}T100000\r\nDTEND:{d(past)}T110000",
        f"SUMMARY:No end\r\nDTSTART:{d(day)}T100000",
        f"SUMMARY:Backwards\r\nDTSTART:{d(day)}T120000\r\nDTEND:{d(day)}T110000",
        f"SUMMARY:Weekly\r\nDTSTART:{d(day)}T150000\r\nDTEND:{d(day)}T160000\r\nRRULE:FREQ=WEEKLY",
        f"SUMMARY:Called off\r\nSTATUS:CANCELLED\r\nDTSTART:{d(day)}T170000\r\nDTEND:{d(day)}T180000",
        "SUMMARY:Broken\r\nDTSTART:notadate\r\nDTEND:alsonot",
        f"SUMMARY:Year 1066\r\nDTSTART:10661014T090000\r\nDTEND:{d(day)}T090000",
    )
    auth.login(scene.manager)
    page = upload(client, scene.facility, data).get_data(as_text=True)
    assert "Maintenance windows imported: 1; skipped: 7" in page
    assert [c.reason for c in closures(scene.facility)] == ["Good"]
    page = upload(client, scene.facility, ics(good)).get_data(as_text=True)  # the same file again
    assert "Maintenance windows imported: 0; skipped: 1" in page
    assert len(closures(scene.facility)) == 1


def test_a_broken_file_is_a_form_error_and_changes_nothing(client, auth, scene):
    auth.login(scene.manager)
    for data in (b"this is not a calendar", "\u00ff\u00fe".encode("latin-1"), b"BEGIN:VEVENT\r\nEND:VEVENT\r\n"):
        response = upload(client, scene.facility, data)
        assert response.status_code == 422
        assert "This file is not a valid iCalendar (.ics) file." in response.get_data(as_text=True)
    response = upload(client, scene.facility, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", name="notes.txt")
    assert response.status_code == 422
    assert "Please choose an iCalendar (.ics) file." in response.get_data(as_text=True)
    assert closures(scene.facility) == []


def test_a_file_over_one_megabyte_is_refused_with_a_form_error(client, auth, scene):
    day = next_weekday(2)
    filler = "X-FILLER:" + "a" * 70 + "\r\n"
    data = ics(f"SUMMARY:Big\r\nDTSTART:{d(day)}T100000\r\nDTEND:{d(day)}T110000\r\n"
               + filler * (MAX_BYTES // len(filler) + 10))
    assert MAX_BYTES < len(data) < 2 * MAX_BYTES
    auth.login(scene.manager)
    response = upload(client, scene.facility, data)
    assert response.status_code == 422
    assert "The file is too large (at most 1 MB)." in response.get_data(as_text=True)
    assert closures(scene.facility) == []


def test_an_upload_over_the_request_limit_gets_a_clear_413(client, auth, scene):
    auth.login(scene.manager)
    body = b"x" * (3 * 1024 * 1024)
    response = client.post(f"/admin/facilities/{scene.facility.id}/closures/import", input_stream=BytesIO(body),
                           content_length=len(body), content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert "The upload is too large: send at most 2 MB." in response.get_data(as_text=True)


def test_too_many_events_are_refused(client, auth, scene):
    day = next_weekday(2)
    data = ics(*[f"SUMMARY:E{i}\r\nDTSTART:{d(day)}T100000\r\nDURATION:PT1M" for i in range(501)])
    auth.login(scene.manager)
    response = upload(client, scene.facility, data)
    assert response.status_code == 422 and "more than 500 events" in response.get_data(as_text=True)
    assert closures(scene.facility) == []


def test_only_the_facilitys_managers_may_import(client, auth, make, scene):
    day = next_weekday(2)
    data = ics(f"SUMMARY:X\r\nDTSTART:{d(day)}T100000\r\nDTEND:{d(day)}T110000")
    other = make.facility(scene.chain)
    db.session.commit()
    auth.login(scene.member)
    assert upload(client, scene.facility, data).status_code == 403
    auth.logout()
    auth.login(scene.manager)
    assert upload(client, other, data).status_code == 403
    assert closures(scene.facility) == [] and closures(other) == []


def test_the_hours_page_offers_the_import(client, auth, scene):
    auth.login(scene.manager)
    page = client.get(f"/admin/facilities/{scene.facility.id}/hours").get_data(as_text=True)
    assert f'action="/admin/facilities/{scene.facility.id}/closures/import"' in page
    assert 'enctype="multipart/form-data"' in page and 'accept=".ics,text/calendar"' in page

