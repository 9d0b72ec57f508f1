"""GET /api/v1/reports/utilization and /fairness: the numbers, the groups, who sees what, bad input."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from booking.billing.models import Charge
from booking.extensions import db
from tests.factories import local

from .helpers import error_of

MONDAY = date(2026, 9, 7)
WEEK = "start=2026-09-07&end=2026-09-14"


@pytest.fixture
def booked(make, scene):
    """Scene's line open Mon–Fri 08:00–18:00 (50 h a week): the member 6 h (one no-show), the rival 2 h."""
    line = scene.facility
    line.hours = [h for h in line.hours if h.weekday < 5]
    for h in line.hours:
        h.start_minute, h.end_minute = 8 * 60, 18 * 60
    member_enterprise, rival_enterprise = scene.member.membership.enterprise, scene.rival.membership.enterprise
    first = make.booking(line, local(MONDAY, "08:00"), local(MONDAY, "14:00"), status="completed",
                         requester=scene.member)
    db.session.add(Charge(booking_id=first.id, kind="use", amount=Decimal("600.00"),
                          reference_amount=Decimal("1500.00")))
    make.booking(line, local(MONDAY + timedelta(days=1), "08:00"), local(MONDAY + timedelta(days=1), "10:00"),
                 status="completed", requester=scene.rival)
    make.booking(line, local(MONDAY + timedelta(days=2), "08:00"), local(MONDAY + timedelta(days=2), "10:00"),
                 status="no_show", requester=scene.member)
    db.session.flush()
    return member_enterprise, rival_enterprise


def test_utilization_per_resource_with_every_documented_field(api, scene, booked):
    response = api.get(f"/api/v1/reports/utilization?{WEEK}&group_by=resource", scene.committee)
    assert response.status_code == 200
    body = response.get_json()
    (line,) = body["groups"]
    assert line["resource_id"] == scene.facility.id and line["name"] == "Chunyu production line"
    assert {k: line[k] for k in ("available_hours", "booked_hours", "actual_hours", "booked_utilization",
                                 "actual_utilization", "no_show_rate", "cost_shared", "cost_reference",
                                 "savings")} == {
        "available_hours": 50, "booked_hours": 8, "actual_hours": 0, "booked_utilization": 0.16,
        "actual_utilization": 0.0, "no_show_rate": round(1 / 3, 4), "cost_shared": "600.00",
        "cost_reference": "1500.00", "savings": "900.00"}
    assert body["total"]["booked_hours"] == 8
    assert body["previous"]["start"] == "2026-08-31" and body["previous"]["booked_hours"] == 0


def test_utilization_per_enterprise_and_per_month(api, scene, booked):
    member_enterprise, rival_enterprise = booked
    body = api.get(f"/api/v1/reports/utilization?{WEEK}&group_by=enterprise", scene.committee).get_json()
    hours = {g["enterprise_id"]: g["booked_hours"] for g in body["groups"]}
    assert hours == {member_enterprise.id: 6, rival_enterprise.id: 2}
    body = api.get("/api/v1/reports/utilization?start=2026-08-01&end=2026-10-01&group_by=month",
                   scene.committee).get_json()
    assert [(g["month"], g["booked_hours"]) for g in body["groups"]] == [("2026-08", 0), ("2026-09", 8)]


def test_fairness_gives_hours_shares_hhi_and_gini(api, scene, booked):
    member_enterprise, rival_enterprise = booked
    body = api.get(f"/api/v1/reports/fairness?{WEEK}&resource_id={scene.facility.id}", scene.committee).get_json()
    shares = {e["enterprise_id"]: (e["hours"], e["share"]) for e in body["enterprises"]}
    assert shares[member_enterprise.id] == (6, 0.75) and shares[rival_enterprise.id] == (2, 0.25)
    assert body["hhi"] == 6250.0
    assert body["total_hours"] == 8
    assert 0 < body["gini"] < 1


def test_an_enterprise_sees_its_own_figures_only(api, scene, booked):
    member_enterprise, rival_enterprise = booked
    body = api.get(f"/api/v1/reports/utilization?{WEEK}&group_by=enterprise", scene.member).get_json()
    assert [g["enterprise_id"] for g in body["groups"]] == [member_enterprise.id]
    body = api.get(f"/api/v1/reports/fairness?{WEEK}", scene.member).get_json()
    assert [e["enterprise_id"] for e in body["enterprises"]] == [member_enterprise.id]
    assert body["enterprises"][0]["share"] == 0.75 and body["hhi"] == 6250.0


def test_a_committee_sees_only_its_own_chains_facilities(api, scene, booked, make):
    other = make.committee(make.chain())
    body = api.get(f"/api/v1/reports/utilization?{WEEK}", other).get_json()
    assert body["groups"] == []
    body = api.get(f"/api/v1/reports/utilization?{WEEK}&resource_id={scene.facility.id}", other).get_json()
    assert body["groups"] == [] and body["total"]["booked_hours"] == 0


def test_reports_need_a_token(api):
    assert api.get(f"/api/v1/reports/utilization?{WEEK}").status_code == 401


@pytest.mark.parametrize("query, code", [
    ("start=2026-09-07", "missing_field"),
    ("start=07/09/2026&end=2026-09-14", "invalid_date"),
    ("start=2026-09-14&end=2026-09-07", "invalid_period"),
    ("start=2020-01-01&end=2026-09-07", "period_too_long"),
    (f"{WEEK}&group_by=planet", "invalid_group_by"),
    (f"{WEEK}&kind=spaceship", "invalid_value"),
    (f"{WEEK}&resource_id=abc", "invalid_type"),
    (f"{WEEK}&resource_id=99999999999", "invalid_value"),
])
def test_bad_parameters_get_422_with_a_code(api, scene, query, code):
    response = api.get(f"/api/v1/reports/utilization?{query}", scene.committee)
    assert response.status_code == 422
    assert error_of(response)["code"] == code


def test_the_current_month_is_the_default(api, scene):
    body = api.get("/api/v1/reports/utilization", scene.admin).get_json()
    assert body["start"].endswith("-01") and body["end"].endswith("-01")


def test_reports_close_overdue_bookings_before_reading(api, scene, make):
    from booking.bookings.models import Booking
    from booking.timeutil import utcnow
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    late = make.booking(scene.facility, start, start + timedelta(minutes=30), status="approved",
                        requester=scene.member, rules_overridden=True)
    first = start.astimezone(scene.facility.tz).date()
    query = f"start={first}&end={first + timedelta(days=1)}"
    body = api.get(f"/api/v1/reports/utilization?{query}", scene.committee).get_json()
    assert body["total"]["no_shows"] == 1 and body["total"]["no_show_rate"] == 1.0
    assert db.session.get(Booking, late.id).status == "no_show"
