"""Quotas through the API: list with the enterprise's use, create with every check, retire; refusals as 422."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.quotas.models import Quota
from booking.quotas.services import period_of
from booking.timeutil import iso, utcnow

from ..api.helpers import error_of, stamp
from ..factories import en_day, local, next_weekday
from .conftest import audit, request


class Api:
    def __init__(self, client, make):
        self.client, self.make, self.tokens = client, make, {}

    def _headers(self, user, scopes="read write"):
        key = (user.id, scopes)
        if key not in self.tokens:
            self.tokens[key] = self.make.token(user, scopes=scopes)
        return {"Authorization": f"Bearer {self.tokens[key]}"}

    def get(self, path, user, **kw):
        return self.client.get(path, headers=self._headers(user), **kw)

    def post(self, path, user, scopes="read write", **kw):
        return self.client.post(path, headers=self._headers(user, scopes), **kw)

    def delete(self, path, user, **kw):
        return self.client.delete(path, headers=self._headers(user), **kw)


@pytest.fixture
def api(client, make):
    return Api(client, make)


def test_a_refused_request_answers_422_with_the_remaining_allowance(api, scene, quota):
    limit = quota(limit_hours="3")
    day = next_weekday(1)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    response = api.post("/api/v1/bookings", scene.colleague, json={
        "resource_id": scene.line.id, "start": stamp(day, "12:00"), "end": stamp(day, "14:00")})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "quota_exceeded"
    monday = day - timedelta(days=day.weekday())
    assert error["message"] == ("This request would exceed your enterprise's quota of 3 hours per week on Chunyu "
                                f"line: 1 hour left in the week from {en_day(monday)}.")
    details = error["details"]
    assert details["remaining_hours"] == "1.00" and details["used"] == "2.00" and details["limit"] == "3.00"
    assert details["quota"]["id"] == limit.id and details["quota"]["limit_hours"] == "3.00"
    assert details["period_start"] == local(monday, "00:00").isoformat().replace("+00:00", "Z")
    assert details["period_end"] == local(monday + timedelta(days=7), "00:00").isoformat().replace("+00:00", "Z")


def test_a_bookings_limit_names_the_bookings_left(api, make, scene, quota):
    quota(limit_bookings=2, period="month")
    day = next_weekday(1)
    make.booking(scene.line, local(day, "08:00"), status="approved", enterprise=scene.firm, requester=scene.member)
    make.booking(scene.line, local(day, "10:00"), status="pending", enterprise=scene.firm, requester=scene.member)
    response = api.post("/api/v1/bookings", scene.member, json={
        "resource_id": scene.line.id, "start": stamp(day, "12:00"), "end": stamp(day, "13:00")})
    error = error_of(response)
    assert error["details"]["remaining_bookings"] == 0
    assert "quota of 2 bookings per month on Chunyu line: 0 bookings left in " in error["message"]


def new_quota(**overrides):
    body = {"period": "week", "limit_hours": "16", "peak_only": False, "over_limit": "refuse"}
    body.update(overrides)
    return body


def test_an_administrator_sets_a_quota_on_a_facility(api, scene):
    response = api.post("/api/v1/quotas", scene.admin, json=new_quota(resource_id=scene.line.id, over_limit="flag"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    quota = db.session.get(Quota, body["id"])
    assert body == {
        "id": quota.id, "resource_id": scene.line.id, "resource_name": "春雨共享生产线", "kind": None, "chain_id": None,
        "enterprise_id": None, "period": "week", "unit": "hours", "limit_hours": "16.00", "limit_bookings": None,
        "peak_only": False, "over_limit": "flag", "description": "16 hours per week on Chunyu line",
        "created_at": body["created_at"], "created_by_id": scene.admin.id, "retired_at": None, "usage": None}
    assert response.headers["Location"].endswith(f"/api/v1/quotas/{quota.id}")
    [created] = audit("quota_created")
    assert (created.actor_id, created.object_id, created.details["limit_hours"]) == (scene.admin.id, quota.id, "16")


def test_an_administrator_sets_a_kind_quota_for_one_enterprise(api, scene):
    response = api.post("/api/v1/quotas", scene.admin, json=new_quota(
        kind="production_line", chain_id=scene.chain.id, enterprise_id=scene.firm.id, period="month",
        limit_hours=None, limit_bookings=4))
    assert response.status_code == 201, response.get_json()
    quota = db.session.get(Quota, response.get_json()["id"])
    assert (quota.facility_id, quota.kind, quota.chain_id, quota.enterprise_id) == (None, "production_line",
                                                                                     scene.chain.id, scene.firm.id)
    assert (quota.limit_hours, quota.limit_bookings, quota.period) == (None, 4, "month")


@pytest.mark.parametrize("overrides,field,code", [
    ({}, "resource_id", "scope_required"),
    ({"resource_id": "LINE", "kind": "production_line"}, "kind", "scope_required"),
    ({"resource_id": 999999}, "resource_id", "unknown_resource"),
    ({"kind": "spaceport"}, "kind", "invalid_kind"),
    ({"resource_id": "LINE", "chain_id": "CHAIN"}, "chain_id", "invalid_value"),
    ({"kind": "lab", "chain_id": 999999}, "chain_id", "unknown_chain"),
    ({"resource_id": "LINE", "enterprise_id": 999999}, "enterprise_id", "unknown_enterprise"),
    ({"resource_id": "LINE", "period": "fortnight"}, "period", "invalid_value"),
    ({"resource_id": "LINE", "limit_bookings": 3}, "limit_hours", "limit_required"),
    ({"resource_id": "LINE", "limit_hours": None}, "limit_hours", "limit_required"),
    ({"resource_id": "LINE", "limit_hours": "-1"}, "limit_hours", "invalid_value"),
    ({"resource_id": "LINE", "limit_hours": "1.005"}, "limit_hours", "invalid_value"),
    ({"resource_id": "LINE", "limit_hours": 1.5}, "limit_hours", "invalid_type"),
    ({"resource_id": "LINE", "limit_hours": None, "limit_bookings": -2}, "limit_bookings", "invalid_value"),
    ({"resource_id": "LINE", "limit_hours": None, "limit_bookings": "2"}, "limit_bookings", "invalid_type"),
    ({"resource_id": "LINE", "peak_only": "yes"}, "peak_only", "invalid_type"),
    ({"resource_id": "LINE", "peak_only": True}, "peak_only", "no_peak_hours"),
    ({"resource_id": "LINE", "over_limit": "warn"}, "over_limit", "invalid_value"),
    ({"resource_id": "LINE", "limit": 3}, "limit", "unknown_field"),
])
def test_every_invalid_quota_is_a_422_naming_its_field(api, scene, overrides, field, code):
    values = {"LINE": scene.line.id, "CHAIN": scene.chain.id}
    body = new_quota(**{k: values.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()})
    body = {k: v for k, v in body.items() if v is not None or k not in ("limit_hours",)}
    response = api.post("/api/v1/quotas", scene.admin, json=body)
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert (error["details"]["field"], error["code"]) == (field, code)
    assert db.session.scalar(select(Quota.id)) is None


def test_an_enterprise_of_another_chain_cannot_be_limited_on_this_facility(api, make, scene):
    stranger = make.enterprise(make.chain())
    response = api.post("/api/v1/quotas", scene.admin, json=new_quota(resource_id=scene.line.id,
                                                                      enterprise_id=stranger.id))
    assert error_of(response)["details"]["field"] == "enterprise_id"


def test_a_peak_only_quota_needs_peak_hours(api, scene):
    response = api.post("/api/v1/quotas", scene.admin, json=new_quota(resource_id=scene.studio.id, peak_only=True))
    assert response.status_code == 201 and response.get_json()["peak_only"] is True


def test_managers_set_quotas_on_their_own_facilities_only(api, scene):
    own = api.post("/api/v1/quotas", scene.manager, json=new_quota(resource_id=scene.line.id))
    assert own.status_code == 201
    other = api.post("/api/v1/quotas", scene.manager, json=new_quota(resource_id=scene.second_line.id))
    assert other.status_code == 403
    kind = api.post("/api/v1/quotas", scene.manager, json=new_quota(kind="production_line"))
    assert kind.status_code == 403


def test_members_may_not_set_quotas(api, scene):
    response = api.post("/api/v1/quotas", scene.member, json=new_quota(resource_id=scene.line.id))
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_a_read_only_token_may_not_set_quotas(api, scene):
    response = api.post("/api/v1/quotas", scene.admin, scopes="read", json=new_quota(resource_id=scene.line.id))
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"


def test_who_sees_which_quotas(api, make, scene, quota):
    on_line = quota(limit_hours="16")
    on_second = quota(facility_id=scene.second_line.id, limit_hours="8")
    for_rival = quota(limit_bookings=2, enterprise_id=scene.rival.membership.enterprise_id)
    every_line = quota(kind="production_line", limit_hours="30", period="month")
    studios = quota(kind="livestream_studio", chain_id=scene.chain.id, limit_hours="6")
    elsewhere = quota(facility_id=make.facility(make.chain()).id, limit_hours="1")

    def seen(user):
        response = api.get("/api/v1/quotas", user)
        assert response.status_code == 200
        return {q["id"] for q in response.get_json()["quotas"]}

    everything = {on_line.id, on_second.id, for_rival.id, every_line.id, studios.id, elsewhere.id}
    assert seen(scene.admin) == everything
    assert seen(scene.manager) == {on_line.id, for_rival.id, every_line.id}
    assert seen(scene.member) == {on_line.id, on_second.id, every_line.id, studios.id}
    assert seen(scene.rival) == {on_line.id, on_second.id, for_rival.id, every_line.id, studios.id}


def test_members_see_their_enterprises_use_and_what_is_left(api, make, scene, quota):
    weekly = quota(limit_hours="10")
    monthly = quota(limit_bookings=5, period="month")
    now = utcnow()
    week, month = period_of(now, "week", "Asia/Shanghai"), period_of(now, "month", "Asia/Shanghai")
    start = max(week[0], month[0]) + timedelta(hours=1)  # inside this week and this month
    make.booking(scene.line, start, start + timedelta(hours=3), status="completed", enterprise=scene.firm,
                 requester=scene.colleague)
    make.booking(scene.line, start + timedelta(hours=4), start + timedelta(hours=5), status="cancelled",
                 enterprise=scene.firm, requester=scene.colleague)
    make.booking(scene.line, start, start + timedelta(hours=2), status="approved",
                 enterprise=scene.rival.membership.enterprise, requester=scene.rival)
    body = {q["id"]: q for q in api.get("/api/v1/quotas", scene.member).get_json()["quotas"]}
    assert body[weekly.id]["usage"] == {
        "period_start": iso(week[0]), "period_end": iso(week[1]), "used": "3.00", "used_hours": "3.00",
        "remaining_hours": "7.00", "limit": "10.00"}
    assert body[monthly.id]["usage"] == {
        "period_start": iso(month[0]), "period_end": iso(month[1]), "used": 1, "used_bookings": 1,
        "remaining_bookings": 4, "limit": 5}
    admin_view = {q["id"]: q for q in api.get("/api/v1/quotas", scene.admin).get_json()["quotas"]}
    assert admin_view[weekly.id]["usage"] is None


def test_retiring_a_quota(api, scene, quota):
    retired = quota(limit_hours="16")
    assert api.delete(f"/api/v1/quotas/{retired.id}", scene.member).status_code == 403
    response = api.delete(f"/api/v1/quotas/{retired.id}", scene.admin)
    assert response.status_code == 204 and response.data == b""
    db.session.refresh(retired)
    assert retired.deleted_at is not None and retired.deleted_by_id == scene.admin.id
    [entry] = audit("quota_retired")
    assert (entry.actor_id, entry.object_id) == (scene.admin.id, retired.id)
    assert api.delete(f"/api/v1/quotas/{retired.id}", scene.admin).status_code == 404
    assert api.get("/api/v1/quotas", scene.admin).get_json()["quotas"] == []
    assert db.session.get(Quota, retired.id) is not None  # never deleted


def test_managers_retire_their_facilities_quotas_but_not_the_others(api, scene, quota):
    own = quota(limit_hours="16")
    kind = quota(kind="production_line", limit_hours="30")
    hidden = quota(facility_id=scene.second_line.id, limit_hours="8")
    assert api.delete(f"/api/v1/quotas/{kind.id}", scene.manager).status_code == 403
    assert api.delete(f"/api/v1/quotas/{hidden.id}", scene.manager).status_code == 404
    assert api.delete(f"/api/v1/quotas/{own.id}", scene.manager).status_code == 204


def test_resources_describe_cancellation_reminder_and_peak_hours(api, scene):
    scene.studio.reminder_hours = 3
    resource = api.get(f"/api/v1/resources/{scene.studio.id}", scene.member).get_json()
    assert resource["rules"]["cancel_notice_minutes"] == 1440 and resource["rules"]["reminder_hours"] == 3
    assert resource["rules"]["peak_hours"] == {"start": "18:00", "end": "22:00",
                                               "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    line = api.get(f"/api/v1/resources/{scene.line.id}", scene.member).get_json()
    assert line["rules"]["peak_hours"] is None and line["rules"]["reminder_hours"] is None


def test_a_retried_quota_request_with_its_idempotency_key_sets_one_quota(api, scene):
    headers = {**api._headers(scene.admin), "Idempotency-Key": "quota-1"}
    body = new_quota(resource_id=scene.line.id)
    first = api.client.post("/api/v1/quotas", json=body, headers=headers)
    again = api.client.post("/api/v1/quotas", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Location"] == first.headers["Location"]
    assert len(db.session.scalars(select(Quota.id)).all()) == 1


def test_a_quota_read_carries_an_etag_and_answers_304_when_unchanged(api, scene, quota):
    limit = quota(limit_hours="16")
    first = api.get(f"/api/v1/quotas/{limit.id}", scene.admin)
    assert first.status_code == 200 and first.get_json()["id"] == limit.id
    again = api.client.get(f"/api/v1/quotas/{limit.id}",
                           headers={**api._headers(scene.admin), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
