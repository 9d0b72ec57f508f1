"""Quotas on the pages: the booking form's refusal, the approval queue's flag, the administrators' page,
and the facility settings that quotas and reminders rely on."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from booking.bookings.models import Booking
from booking.extensions import db
from booking.quotas.models import Quota

from ..factories import local, next_weekday
from .conftest import audit, request


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_booking_form_shows_the_refusal_with_what_is_left(client, auth, scene, quota):
    quota(limit_hours="3")
    day = next_weekday(2)
    request(scene.colleague, scene.line, local(day, "08:00"), local(day, "10:00"))
    auth.login(scene.member)
    response = client.post(f"/bookings/new?facility_id={scene.line.id}", data={
        "start_date": day.isoformat(), "start_time": "12:00", "end_time": "14:00"})
    assert response.status_code == 422
    assert "quota of 3 hours per week on Chunyu line: 1 hour left in the week from" in text(response)
    assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_the_approval_queue_flags_a_request_over_its_quota(client, auth, scene, quota):
    quota(limit_hours="2", over_limit="flag")
    day = next_weekday(2)
    within = request(scene.colleague, scene.line, local(day, "08:00"), local(day, "10:00"))
    over = request(scene.member, scene.line, local(day, "12:00"), local(day, "15:00"))
    auth.login(scene.manager)
    page = text(client.get("/queue"))
    assert page.count("Over quota") == 1
    assert "2 hours used of 2 hours per week on Chunyu line; this request adds 3 hours" in page
    assert f"/bookings/{over.id}" in page and f"/bookings/{within.id}" in page


def test_the_queue_loads_the_overruns_in_a_fixed_number_of_queries(client, auth, scene, quota, count_queries):
    quota(limit_hours="1", over_limit="flag")
    day = next_weekday(2)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    auth.login(scene.manager)
    db.session.commit()
    with count_queries() as few:
        client.get("/queue")
    for hour in ("11:00", "13:00", "15:00"):
        request(scene.member, scene.line, local(day, hour), local(day, hour.replace(":00", ":30")))
    db.session.commit()
    with count_queries() as many:
        assert text(client.get("/queue")).count("Over quota") == 4
    assert len(few) == len(many)


# --- the administrators' page ----------------------------------------------------------------

def quota_form(**overrides):
    data = {"scope": "facility", "facility_id": "0", "kind": "", "chain_id": "0", "enterprise_id": "0",
            "period": "week", "unit": "hours", "limit": "16", "over_limit": "refuse"}
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def test_an_administrator_sets_and_retires_quotas_on_the_page(client, auth, scene):
    auth.login(scene.admin)
    page = client.get("/admin/quotas")
    assert page.status_code == 200 and "No quotas yet" in text(page)
    response = client.post("/admin/quotas", data=quota_form(facility_id=scene.line.id, over_limit="flag",
                                                             enterprise_id=scene.firm.id))
    assert response.status_code == 302
    quota = db.session.scalar(select(Quota))
    assert (quota.facility_id, quota.enterprise_id, quota.limit_hours, quota.over_limit) == (
        scene.line.id, scene.firm.id, Decimal("16.00"), "flag")
    assert audit("quota_created")[0].object_id == quota.id
    response = client.post("/admin/quotas", data=quota_form(scope="kind", kind="livestream_studio",
                                                             chain_id=scene.chain.id, unit="bookings", limit="3",
                                                             period="month", peak_only="y"))
    assert response.status_code == 302
    kind = db.session.scalar(select(Quota).where(Quota.kind == "livestream_studio"))
    assert (kind.chain_id, kind.limit_bookings, kind.limit_hours, kind.peak_only) == (scene.chain.id, 3, None, True)
    page = text(client.get("/admin/quotas"))
    assert "16 hours per week" in page and "3 bookings per month at peak hours" in page
    assert "Every enterprise, each on its own" in page
    response = client.post(f"/admin/quotas/{quota.id}/retire")
    assert response.status_code == 302
    db.session.refresh(quota)
    assert quota.deleted_at is not None and quota.deleted_by_id == scene.admin.id
    assert audit("quota_retired")[0].object_id == quota.id
    page = text(client.get("/admin/quotas"))
    retired_part = page[page.index("Retired quotas"):]
    assert "16 hours per week" in retired_part and "3 bookings per month" not in retired_part


@pytest.mark.parametrize("overrides,message", [
    ({}, "Choose either a facility or a kind of facility."),
    ({"scope": "kind"}, "Choose either a facility or a kind of facility."),
    ({"facility_id": "LINE", "limit": ""}, "Please give the limit."),
    ({"facility_id": "LINE", "limit": "-2"}, "The limit must be zero or more."),
    ({"facility_id": "LINE", "unit": "bookings", "limit": "2.5"}, "A number of bookings is a whole number."),
    ({"facility_id": "LINE", "limit": "2.555"}, "at most two decimals"),
    ({"facility_id": "LINE", "peak_only": "y"}, "This facility has no peak hours"),
    ({"facility_id": "LINE", "enterprise_id": 999999}, "not a member of the quota"),
])
def test_the_quota_form_explains_what_is_wrong(client, auth, scene, overrides, message):
    auth.login(scene.admin)
    values = {k: scene.line.id if v == "LINE" else v for k, v in overrides.items()}
    response = client.post("/admin/quotas", data=quota_form(**values))
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalar(select(Quota.id)) is None


def test_a_manager_sees_and_sets_quotas_of_their_facilities_only(client, auth, make, scene, quota):
    own = quota(limit_hours="16")
    quota(facility_id=scene.second_line.id, limit_hours="99")
    covering = quota(kind="production_line", limit_hours="40", period="month")
    auth.login(scene.manager)
    page = text(client.get("/admin/quotas"))
    assert "16 hours per week" in page and "40 hours per month" in page and "99 hours" not in page
    assert f"/admin/quotas/{own.id}/retire" in page and f"/admin/quotas/{covering.id}/retire" not in page
    assert 'name="kind"' not in page and scene.second_line.name not in page
    refused = client.post("/admin/quotas", data=quota_form(facility_id=scene.second_line.id))
    assert refused.status_code == 422 and "only set quotas on the facilities you manage" in text(refused)
    assert client.post(f"/admin/quotas/{covering.id}/retire").status_code == 403
    response = client.post("/admin/quotas", data=quota_form(facility_id=scene.line.id, limit="8"))
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Quota.id)).where(Quota.facility_id == scene.line.id)) == 2


def test_members_have_no_quota_page(client, auth, scene, quota):
    retired = quota(limit_hours="1")
    auth.login(scene.firm_admin)
    assert client.get("/admin/quotas").status_code == 403
    assert client.post(f"/admin/quotas/{retired.id}/retire").status_code == 403
    assert db.session.get(Quota, retired.id).deleted_at is None


# --- facility settings -------------------------------------------------------------------------

def facility_form(scene, **overrides):
    data = {
        "name": "春苗直播间01", "name_en": "Chunmiao studio 01", "kind": "livestream_studio",
        "chain_id": scene.chain.id, "host_enterprise_id": "0", "timezone": "", "active": "y",
        "requires_approval": "y", "slot_minutes": "30", "min_minutes": "30", "max_minutes": "1440",
        "min_notice_minutes": "60", "max_advance_days": "90", "buffer_minutes": "0", "currency": "CNY",
        "rate_unit": "hour", "shared_rate": "50", "reference_rate": "120", "billing_basis": "booked",
        "no_show_fee": "0", "late_cancel_fee": "0", "output_unit": "", "cancel_notice_minutes": "240",
        "reminder_hours": "3", "peak_start_minute": "19:00", "peak_end_minute": "23:00",
        "peak_weekdays": ["4", "5", "6"],
    }
    data.update(overrides)
    return data


def test_an_administrator_sets_cancellation_reminder_and_peak_hours(client, auth, scene):
    auth.login(scene.admin)
    page = text(client.get(f"/admin/facilities/{scene.studio.id}"))
    assert 'value="18:00"' in page and 'value="22:00"' in page and 'value="1440"' in page
    response = client.post(f"/admin/facilities/{scene.studio.id}", data=facility_form(scene))
    assert response.status_code == 302, text(response)
    db.session.refresh(scene.studio)
    studio = scene.studio
    assert (studio.cancel_notice_minutes, studio.reminder_hours) == (240, 3)
    assert (studio.peak_start_minute, studio.peak_end_minute, studio.peak_weekdays) == (19 * 60, 23 * 60, "456")
    response = client.post(f"/admin/facilities/{scene.studio.id}", data=facility_form(
        scene, reminder_hours="", peak_start_minute="", peak_end_minute="", peak_weekdays=[]))
    assert response.status_code == 302
    db.session.refresh(studio)
    assert studio.reminder_hours is None and studio.peak_start_minute is None and studio.peak_end_minute is None
    updated = audit("facility_updated")[-1]
    assert updated.details["changes"]["reminder_hours"] == ["3", "None"]


@pytest.mark.parametrize("overrides,message", [
    ({"peak_end_minute": "18:00"}, "The peak hours must end after they start"),
    ({"peak_end_minute": ""}, "Give both the start and the end of the peak hours, or neither."),
    ({"peak_start_minute": "7pm"}, "Write the time as HH:MM"),
    ({"peak_start_minute": "25:00"}, "Write the time as HH:MM"),
    ({"peak_weekdays": []}, "Choose the days that have peak hours."),
    ({"reminder_hours": "0"}, "Number must be between 1"),
    ({"cancel_notice_minutes": "-5"}, "Number must be between 0"),
    ({"cancel_notice_minutes": ""}, "Please give the cancellation notice"),
])
def test_bad_facility_settings_are_refused_on_their_field(client, auth, scene, overrides, message):
    auth.login(scene.admin)
    response = client.post(f"/admin/facilities/{scene.studio.id}", data=facility_form(scene, **overrides))
    assert response.status_code == 422
    assert message in text(response)
    db.session.refresh(scene.studio)
    assert scene.studio.cancel_notice_minutes == 1440 and scene.studio.peak_start_minute == 18 * 60
