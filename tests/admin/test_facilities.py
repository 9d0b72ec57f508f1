"""Administrators manage facilities: every rule and rate, the host, the managers."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from booking.accounts.permissions import roles_of
from booking.extensions import db
from booking.facilities.models import Facility

from .conftest import audit, text


def facility_form(scene, **overrides):
    data = {
        "name": "立伟模具开发实验室", "name_en": "Liwei mould lab", "kind": "lab", "chain_id": scene.chain.id,
        "host_enterprise_id": scene.enterprise.id, "park": "汇富春天园区", "location": "3号楼2层",
        "description": "模具开发与试模", "capacity": "12", "throughput_per_hour": "450.50", "output_unit": "pieces",
        "timezone": "", "active": "y", "requires_approval": "y", "slot_minutes": "30", "min_minutes": "60",
        "max_minutes": "600", "min_notice_minutes": "120", "max_advance_days": "60", "buffer_minutes": "15",
        "currency": "cny", "rate_unit": "hour", "shared_rate": "180.25", "reference_rate": "520.10",
        "billing_basis": "max", "no_show_fee": "90.000", "late_cancel_fee": "45.5",
        "manager_ids": [scene.manager.id, scene.member.id],
    }
    data.update(overrides)
    return data


def test_administrator_creates_a_facility_with_every_field(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/facilities/new", data=facility_form(scene))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/facilities")
    facility = db.session.scalar(select(Facility).where(Facility.name == "立伟模具开发实验室"))
    assert (facility.kind, facility.chain_id, facility.host_enterprise_id) == ("lab", scene.chain.id,
                                                                               scene.enterprise.id)
    assert (facility.park, facility.location, facility.description) == ("汇富春天园区", "3号楼2层", "模具开发与试模")
    assert facility.capacity == 12 and facility.throughput_per_hour == Decimal("450.50")
    assert facility.output_unit == "pieces" and facility.timezone is None and facility.tzname == "Asia/Shanghai"
    assert facility.active and facility.requires_approval
    assert (facility.slot_minutes, facility.min_minutes, facility.max_minutes) == (30, 60, 600)
    assert (facility.min_notice_minutes, facility.max_advance_days, facility.buffer_minutes) == (120, 60, 15)
    assert (facility.currency, facility.rate_unit, facility.billing_basis) == ("CNY", "hour", "max")
    assert facility.shared_rate == Decimal("180.25") and facility.reference_rate == Decimal("520.10")
    assert facility.no_show_fee == Decimal("90.00") and facility.late_cancel_fee == Decimal("45.50")
    assert isinstance(facility.reference_rate, Decimal)
    assert {u.id for u in facility.managers} == {scene.manager.id, scene.member.id}
    assert facility.id in roles_of(scene.member).managed_facility_ids
    [created] = audit("facility_created", facility.id)
    assert created.actor_id == scene.admin.id
    assert sorted(audit("managers_set", facility.id)[0].details["user_ids"]) == sorted([scene.manager.id,
                                                                                        scene.member.id])


def test_committee_hosted_facility_with_its_own_time_zone(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/facilities/new", data=facility_form(
        scene, host_enterprise_id="0", timezone="Europe/Berlin", manager_ids=[]))
    assert response.status_code == 302
    facility = db.session.scalar(select(Facility).where(Facility.name == "立伟模具开发实验室"))
    assert facility.host_enterprise_id is None and facility.timezone == "Europe/Berlin"
    assert facility.managers == []


def test_administrator_edits_a_facility_and_replaces_its_managers(client, auth, scene):
    auth.login(scene.admin)
    page = text(client.get(f"/admin/facilities/{scene.facility.id}"))
    assert 'value="春雨生产线"' in page and 'value="250.00"' in page
    response = client.post(f"/admin/facilities/{scene.facility.id}", data=facility_form(
        scene, name="春雨共享生产线", kind="production_line", shared_rate="99.99", requires_approval="",
        manager_ids=[scene.committee.id]))
    assert response.status_code == 302
    db.session.refresh(scene.facility)
    assert scene.facility.name == "春雨共享生产线" and scene.facility.shared_rate == Decimal("99.99")
    assert not scene.facility.requires_approval
    assert [u.id for u in scene.facility.managers] == [scene.committee.id]
    assert scene.facility.id not in roles_of(scene.manager).managed_facility_ids
    [updated] = audit("facility_updated", scene.facility.id)
    assert updated.details["changes"]["shared_rate"] == ["100.00", "99.99"]
    assert updated.details["changes"]["requires_approval"] == ["True", "False"]


def test_saving_without_changing_managers_writes_no_manager_audit(client, auth, scene):
    auth.login(scene.admin)
    response = client.post(f"/admin/facilities/{scene.facility.id}", data=facility_form(
        scene, kind="production_line", manager_ids=[scene.manager.id]))
    assert response.status_code == 302
    assert audit("managers_set", scene.facility.id) == []


@pytest.mark.parametrize("field,value,message", [
    ("timezone", "Mars/Olympus", "Unknown time zone."),
    ("max_minutes", "30", "The longest booking cannot be shorter than the shortest."),
    ("min_minutes", "45", "Durations must be whole multiples of the slot length."),
    ("slot_minutes", "0", "Number must be between"),
    ("shared_rate", "12.345", "at most two decimal places"),
    ("throughput_per_hour", "0.001", "at most two decimal places"),
    ("reference_rate", "-1", "Please enter an amount of zero or more."),
    ("reference_rate", "abc", "Not a valid decimal value."),
    ("currency", "C1Y", "three-letter currency code"),
    ("buffer_minutes", "", "This field is required."),
])
def test_bad_facility_values_are_refused_on_their_field(client, auth, scene, field, value, message):
    auth.login(scene.admin)
    response = client.post("/admin/facilities/new", data=facility_form(scene, **{field: value}))
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalar(select(Facility).where(Facility.name == "立伟模具开发实验室")) is None
    assert audit("facility_created") == []


def test_host_enterprise_must_belong_to_the_facilitys_chain(client, auth, scene, make):
    stranger = make.enterprise(scene.other_chain)
    db.session.commit()
    auth.login(scene.admin)
    response = client.post("/admin/facilities/new", data=facility_form(scene, host_enterprise_id=stranger.id))
    assert response.status_code == 422
    assert "The host enterprise must belong to the facility" in text(response)


def test_facility_list_filters_by_chain_and_kind(client, auth, scene, make):
    make.facility(scene.other_chain, name="宜黄自动化研发中心", kind="rd_centre")
    db.session.commit()
    auth.login(scene.admin)
    everything = text(client.get("/admin/facilities"))
    assert all(name in everything for name in ("春雨生产线", "春苗直播间1", "宜黄自动化研发中心"))
    by_chain = text(client.get("/admin/facilities", query_string={"chain": scene.other_chain.id}))
    assert "宜黄自动化研发中心" in by_chain and "春雨生产线" not in by_chain
    by_kind = text(client.get("/admin/facilities", query_string={"kind": "livestream_studio"}))
    assert "春苗直播间1" in by_kind and "春雨生产线" not in by_kind and "宜黄自动化研发中心" not in by_kind
