"""Stand-alone baselines on the enterprise's administration pages: who keeps them, validation, audit."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from booking.accounts.models import AuditEntry
from booking.billing.models import EnterpriseBaseline
from booking.extensions import db


def url(scene, suffix: str = "") -> str:
    return f"/admin/enterprises/{scene.enterprise.id}/baselines{suffix}"


def baselines(scene) -> list[tuple[str, Decimal, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(EnterpriseBaseline).where(EnterpriseBaseline.enterprise_id == scene.enterprise.id)
                              .order_by(EnterpriseBaseline.kind))
    return [(b.kind, b.output_per_hour, b.output_unit) for b in rows]


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def save(client, scene, kind="production_line", value="95", unit="pairs", **extra):
    return client.post(url(scene), data={"kind": kind, "output_per_hour": value, "output_unit": unit, **extra})


def test_enterprise_admin_adds_changes_and_deletes_a_baseline(client, auth, scene):
    auth.login(scene.enterprise_admin)
    assert save(client, scene).status_code == 302
    assert baselines(scene) == [("production_line", Decimal("95.00"), "pairs")]
    [created] = audit("baseline_created")
    assert (created.actor_id, created.object_type, created.object_id) == (scene.enterprise_admin.id, "enterprise",
                                                                         scene.enterprise.id)
    assert created.details == {"kind": "production_line", "output_per_hour": "95.00", "output_unit": "pairs"}

    assert save(client, scene, value="92.5").status_code == 302  # the same kind: replaced, not added
    assert baselines(scene) == [("production_line", Decimal("92.50"), "pairs")]
    [updated] = audit("baseline_updated")
    assert updated.details["before"] == {"output_per_hour": "95.00", "output_unit": "pairs"}

    html = client.get(url(scene)).get_data(as_text=True)
    assert "Production line" in html and 'value="92.50"' in html
    baseline_id = db.session.scalar(select(EnterpriseBaseline.id))
    assert client.post(url(scene, f"/{baseline_id}/delete")).status_code == 302
    assert baselines(scene) == []
    assert audit("baseline_deleted")[0].details["kind"] == "production_line"


def test_a_change_goes_back_to_the_page_it_came_from(client, auth, scene):
    auth.login(scene.admin)
    response = save(client, scene, next=f"/admin/enterprises/{scene.enterprise.id}")
    assert response.headers["Location"] == f"/admin/enterprises/{scene.enterprise.id}"
    response = save(client, scene, next="https://evil.example/")
    assert response.headers["Location"] == url(scene)


def test_administrator_keeps_any_enterprises_baselines_on_its_page(client, auth, scene):
    auth.login(scene.admin)
    assert save(client, scene, kind="lab", value="23", unit="pieces").status_code == 302
    html = client.get(f"/admin/enterprises/{scene.enterprise.id}").get_data(as_text=True)
    assert "Stand-alone baselines" in html and "Laboratory" in html and 'value="23.00"' in html


@pytest.mark.parametrize("value,message", [
    ("0", "must be a positive number with at most two decimals"),
    ("-3", "must be a positive number with at most two decimals"),
    ("1.234", "must be a positive number with at most two decimals"),
    ("many", "must be a positive number with at most two decimals"),
    ("10000000000", "must be a positive number with at most two decimals"),
    ("", "Please enter the output per hour."),
])
def test_output_per_hour_is_validated(client, auth, scene, value, message):
    auth.login(scene.enterprise_admin)
    response = save(client, scene, value=value)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert baselines(scene) == [] and audit("baseline_created") == []


@pytest.mark.parametrize("field,value,message", [
    ("kind", "spaceship", "Choose one of the listed kinds of facility."),
    ("unit", "kg", "Choose one of the listed units of output."),
    ("unit", "", "Choose one of the listed units of output."),
])
def test_kind_and_unit_must_be_known(client, auth, scene, field, value, message):
    auth.login(scene.enterprise_admin)
    response = save(client, scene, **{field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert baselines(scene) == []


@pytest.mark.parametrize("who", ["member", "rival", "manager"])
def test_others_may_not_keep_the_baselines(client, auth, scene, who):
    auth.login(getattr(scene, who))
    assert client.get(url(scene)).status_code == 403
    assert save(client, scene).status_code == 403
    assert baselines(scene) == []


def test_another_enterprises_baseline_is_not_found_through_ones_own(client, auth, make, scene):
    other = make.enterprise(scene.facility.chain)
    foreign = EnterpriseBaseline(enterprise_id=other.id, kind="lab", output_per_hour=Decimal("5"), output_unit="pieces")
    db.session.add(foreign)
    db.session.commit()
    auth.login(scene.enterprise_admin)
    assert client.post(url(scene, f"/{foreign.id}/delete")).status_code == 404
    assert db.session.get(EnterpriseBaseline, foreign.id) is not None


def test_enterprise_admins_find_the_baselines_from_administration(client, auth, scene):
    auth.login(scene.enterprise_admin)
    assert f'href="{url(scene)}"' in client.get("/admin/").get_data(as_text=True)
    members = client.get(f"/admin/enterprises/{scene.enterprise.id}/members").get_data(as_text=True)
    assert f'href="{url(scene)}"' in members
