"""Enterprises and members through the API: the administration pages' rules, and no peeking by id."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.accounts.models import AuditEntry, User
from booking.extensions import db
from booking.organisation.models import Enterprise
from booking.organisation.uscc import make_uscc

from .helpers import error_of

ROLES = ["member", "colleague", "rival", "manager", "committee", "admin", "outsider", "enterprise_admin"]


class Caller:
    """Requests as one role of the scene, with a token that has every scope (the roles decide)."""

    def __init__(self, api, make, scene, enterprise_admin):
        self.api, self.make, self.scene, self.enterprise_admin = api, make, scene, enterprise_admin
        self._tokens: dict[int, str] = {}

    def user(self, who: str) -> User:
        return self.enterprise_admin if who == "enterprise_admin" else getattr(self.scene, who)

    def __call__(self, who: str, method: str, path: str, **kw):
        user = self.user(who)
        if user.id not in self._tokens:
            self._tokens[user.id] = self.make.token(user, scopes="read write admin")
        headers = {"Authorization": f"Bearer {self._tokens[user.id]}", **kw.pop("headers", {})}
        return self.api.client.open(f"/api/v1{path}", method=method, headers=headers, **kw)


@pytest.fixture
def enterprise_admin(make, scene):
    return make.user(scene.member.membership.enterprise, role="admin", name="Admin of member's enterprise")


@pytest.fixture
def call(api, make, scene, enterprise_admin) -> Caller:
    return Caller(api, make, scene, enterprise_admin)


def enterprise_of(user: User) -> Enterprise:
    return user.membership.enterprise


def new_enterprise(**extra) -> dict:
    return {"name": "温岭鞋业新厂", "uscc": make_uscc(9001), **extra}


# --- who sees which enterprises ------------------------------------------------------------------

@pytest.mark.parametrize("who, sees", [
    ("admin", {"member", "rival", "outsider"}),
    ("committee", {"member", "rival"}),
    ("enterprise_admin", {"member"}),
    ("member", set()), ("colleague", set()), ("rival", set()), ("manager", set()), ("outsider", set()),
])
def test_each_role_lists_the_enterprises_it_administers_or_oversees(call, scene, who, sees):
    response = call(who, "GET", "/enterprises?per_page=200")
    assert response.status_code == 200
    listed = {e["id"] for e in response.get_json()["enterprises"]}
    assert listed == {enterprise_of(getattr(scene, name)).id for name in sees}
    assert response.headers["X-Total-Count"] == str(len(sees))


@pytest.mark.parametrize("who, status", [
    ("admin", 200), ("committee", 200), ("enterprise_admin", 200), ("member", 404), ("colleague", 404),
    ("rival", 404), ("manager", 404), ("outsider", 404),
])
def test_reading_the_members_enterprise_by_id(call, scene, who, status):
    response = call(who, "GET", f"/enterprises/{enterprise_of(scene.member).id}")
    assert response.status_code == status
    if status == 404:
        assert error_of(response)["code"] == "unknown_enterprise"


def test_an_enterprise_admin_reaches_no_other_enterprise_by_changing_the_id(call, scene):
    for other in (scene.rival, scene.outsider):
        enterprise_id = enterprise_of(other).id
        assert call("enterprise_admin", "GET", f"/enterprises/{enterprise_id}").status_code == 404
        assert call("enterprise_admin", "GET", f"/enterprises/{enterprise_id}/members").status_code == 404
        assert call("enterprise_admin", "GET", f"/enterprises/{enterprise_id}/members/{other.id}").status_code == 404
        assert call("enterprise_admin", "PATCH", f"/enterprises/{enterprise_id}/members/{other.id}",
                    json={"active": False}).status_code == 404
        assert call("enterprise_admin", "POST", f"/enterprises/{enterprise_id}/members", json={
            "email": "spy@example.test", "name": "Spy", "password": "shoes2024"}).status_code == 404
    assert call("committee", "GET", f"/enterprises/{enterprise_of(scene.outsider).id}").status_code == 404
    db.session.expire_all()
    assert scene.rival.active and scene.outsider.active
    assert db.session.scalar(select(User).where(User.email == "spy@example.test")) is None


def test_an_enterprise_is_answered_in_full_without_secrets(call, scene):
    enterprise = enterprise_of(scene.member)
    body = call("committee", "GET", f"/enterprises/{enterprise.id}").get_json()
    assert body == {
        "id": enterprise.id, "name": enterprise.name, "name_en": enterprise.name_en, "uscc": enterprise.uscc,
        "contact_name": "", "contact_phone": "", "contact_email": "", "active": True,
        "chains": [{"id": scene.chain.id, "name": "泽国鞋帽产业链", "name_en": "Zeguo footwear chain"}],
        "created_at": body["created_at"],
    }


def test_the_list_is_paged_with_links_and_searchable(call, make, scene):
    for n in range(3):
        make.enterprise(scene.chain, name=f"台州模具{n}")
    first = call("committee", "GET", "/enterprises?per_page=2&q=台州")
    assert first.headers["X-Total-Count"] == "3"
    assert [e["name"] for e in first.get_json()["enterprises"]] == ["台州模具0", "台州模具1"]
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    second = call("committee", "GET", "/enterprises?per_page=2&q=台州&page=2")
    assert [e["name"] for e in second.get_json()["enterprises"]] == ["台州模具2"]
    assert 'rel="prev"' in second.headers["Link"]


# --- registering and changing enterprises ---------------------------------------------------------

def test_an_administrator_registers_an_enterprise_in_chains(call, scene):
    response = call("admin", "POST", "/enterprises", json=new_enterprise(
        name_en="Wenling Shoes II", contact_email="Boss@Example.test", chain_ids=[scene.chain.id]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "温岭鞋业新厂" and body["contact_email"] == "boss@example.test"
    assert [c["id"] for c in body["chains"]] == [scene.chain.id]
    assert response.headers["Location"].endswith(f"/api/v1/enterprises/{body['id']}")
    assert call("admin", "GET", f"/enterprises/{body['id']}").status_code == 200
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enterprise_created",
                                                      AuditEntry.object_id == body["id"])) is not None


def test_a_retried_registration_with_its_key_registers_one_enterprise(call):
    key = {"Idempotency-Key": "enterprise-1"}
    first = call("admin", "POST", "/enterprises", json=new_enterprise(), headers=key)
    again = call("admin", "POST", "/enterprises", json=new_enterprise(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("who", ["committee", "enterprise_admin", "manager", "member"])
def test_only_administrators_register_enterprises(call, who):
    response = call(who, "POST", "/enterprises", json=new_enterprise())
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert db.session.scalar(select(Enterprise).where(Enterprise.name == "温岭鞋业新厂")) is None


@pytest.mark.parametrize("body, code, field", [
    ({"uscc": "91330000000000000X"}, "invalid_uscc_check", "uscc"),
    ({"uscc": "short"}, "invalid_uscc", "uscc"),
    ({"name": " "}, "required", "name"),
    ({"contact_email": "not-an-address"}, "invalid_email", "contact_email"),
    ({"chain_ids": [2147483647]}, "unknown_choice", "chain_ids"),
    ({"active": "yes"}, "invalid_type", "active"),
])
def test_an_enterprise_that_breaks_a_rule_is_422(call, body, code, field):
    response = call("admin", "POST", "/enterprises", json=new_enterprise(**body))
    assert response.status_code == 422
    assert error_of(response)["code"] == code and error_of(response)["details"]["field"] == field


def test_a_duplicate_name_is_422(call, scene):
    taken = enterprise_of(scene.rival).name
    response = call("admin", "POST", "/enterprises", json=new_enterprise(name=taken))
    assert response.status_code == 422 and error_of(response)["code"] == "duplicate"


def test_a_change_keeps_the_fields_not_sent(call, make, scene):
    enterprise = enterprise_of(scene.member)
    second = make.chain(name="宜黄塑料产业链")
    enterprise.chains.append(second)
    enterprise.contact_name = "王经理"
    response = call("admin", "PATCH", f"/enterprises/{enterprise.id}", json={"contact_phone": "0576-1234567"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["contact_phone"] == "0576-1234567" and body["contact_name"] == "王经理"
    assert {c["id"] for c in body["chains"]} == {scene.chain.id, second.id} and body["active"] is True
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "enterprise_updated")).all()
    assert entry.details["changes"] == {"contact_phone": ["", "0576-1234567"]}


def test_a_change_may_clear_the_english_name_and_replace_the_chains(call, make, scene):
    enterprise = enterprise_of(scene.member)
    other = make.chain()
    body = call("admin", "PATCH", f"/enterprises/{enterprise.id}", json={"name_en": None,
                                                                         "chain_ids": [other.id]}).get_json()
    assert body["name_en"] is None and [c["id"] for c in body["chains"]] == [other.id]


@pytest.mark.parametrize("who, status", [("enterprise_admin", 403), ("committee", 403), ("rival", 404),
                                         ("outsider", 404)])
def test_only_administrators_change_an_enterprise(call, scene, who, status):
    enterprise = enterprise_of(scene.member)
    response = call(who, "PATCH", f"/enterprises/{enterprise.id}", json={"name": "改名"})
    assert response.status_code == status
    db.session.expire_all()
    assert enterprise.name != "改名"


def test_null_is_not_a_name(call, scene):
    response = call("admin", "PATCH", f"/enterprises/{enterprise_of(scene.member).id}", json={"name": None})
    assert response.status_code == 422 and error_of(response)["details"]["field"] == "name"


# --- members ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("enterprise_admin", 200), ("admin", 200), ("committee", 403), ("member", 404), ("colleague", 404),
    ("rival", 404), ("manager", 404), ("outsider", 404),
])
def test_who_lists_an_enterprises_members(call, scene, enterprise_admin, who, status):
    response = call(who, "GET", f"/enterprises/{enterprise_of(scene.member).id}/members")
    assert response.status_code == status
    if status == 200:
        members = response.get_json()["members"]
        assert {m["id"] for m in members} == {scene.member.id, scene.colleague.id, enterprise_admin.id}
        assert all(set(m) == {"id", "name", "email", "role", "active", "created_at"} for m in members)
        assert "password" not in response.get_data(as_text=True)


def test_members_are_paged(call, scene):
    response = call("admin", "GET", f"/enterprises/{enterprise_of(scene.member).id}/members?per_page=1")
    assert len(response.get_json()["members"]) == 1 and response.headers["X-Total-Count"] == "3"
    assert f"/api/v1/enterprises/{enterprise_of(scene.member).id}/members?" in response.headers["Link"]


def test_an_enterprise_admin_adds_a_member_who_can_sign_in(call, auth, scene):
    enterprise = enterprise_of(scene.member)
    response = call("enterprise_admin", "POST", f"/enterprises/{enterprise.id}/members", json={
        "email": "New.Worker@Example.test", "name": "新员工", "password": "shoes2024"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "new.worker@example.test" and body["role"] == "member" and body["active"] is True
    assert call("enterprise_admin", "GET", response.headers["Location"].split("/api/v1", 1)[1]).get_json() == body
    user = db.session.get(User, body["id"])
    assert user.membership.enterprise_id == enterprise.id and not user.is_admin
    auth.login(user, password="shoes2024")


@pytest.mark.parametrize("body, code", [
    ({"email": "x@example.test", "name": "X", "password": "short"}, "weak_password"),
    ({"email": "x@example.test", "name": "X", "password": "shoes2024", "role": "owner"}, "invalid_value"),
    ({"email": "x@example", "name": "X", "password": "shoes2024"}, "invalid_email"),
])
def test_a_member_that_breaks_a_rule_is_422(call, scene, body, code):
    response = call("enterprise_admin", "POST", f"/enterprises/{enterprise_of(scene.member).id}/members", json=body)
    assert response.status_code == 422 and error_of(response)["code"] == code


def test_an_existing_account_cannot_be_claimed_as_a_member(call, scene):
    response = call("enterprise_admin", "POST", f"/enterprises/{enterprise_of(scene.member).id}/members", json={
        "email": scene.outsider.email.upper(), "name": "Taken", "password": "shoes2024"})
    assert response.status_code == 422 and error_of(response)["code"] == "duplicate"
    db.session.expire_all()
    assert scene.outsider.membership.enterprise_id != enterprise_of(scene.member).id


def test_adding_a_member_needs_the_admin_scope(api, scene, enterprise_admin):
    response = api.post(f"/api/v1/enterprises/{enterprise_of(scene.member).id}/members", enterprise_admin,
                        json={"email": "x@example.test", "name": "X", "password": "shoes2024"})
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"


def test_an_enterprise_admin_promotes_a_member(call, scene):
    enterprise = enterprise_of(scene.member)
    response = call("enterprise_admin", "PATCH", f"/enterprises/{enterprise.id}/members/{scene.member.id}",
                    json={"role": "admin"})
    assert response.status_code == 200 and response.get_json()["role"] == "admin"
    db.session.expire_all()
    assert scene.member.membership.role == "admin"


def test_a_deactivated_members_tokens_stop_working(api, call, scene):
    secret = api.token(scene.colleague)
    enterprise = enterprise_of(scene.member)
    response = call("enterprise_admin", "PATCH", f"/enterprises/{enterprise.id}/members/{scene.colleague.id}",
                    json={"active": False})
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert api.get("/api/v1/resources", token=secret).status_code == 401
    again = call("admin", "PATCH", f"/enterprises/{enterprise.id}/members/{scene.colleague.id}",
                 json={"active": True})
    assert again.get_json()["active"] is True
    assert api.get("/api/v1/resources", token=secret).status_code == 200


def test_an_enterprise_admin_cannot_change_their_own_role_or_deactivate_themselves(call, scene, enterprise_admin):
    path = f"/enterprises/{enterprise_of(scene.member).id}/members/{enterprise_admin.id}"
    role = call("enterprise_admin", "PATCH", path, json={"role": "member"})
    assert role.status_code == 422 and error_of(role)["code"] == "self_role"
    active = call("enterprise_admin", "PATCH", path, json={"active": False})
    assert active.status_code == 422 and error_of(active)["code"] == "self_deactivation"


def test_an_administrator_changes_role_and_activity_at_once(call, scene, enterprise_admin):
    path = f"/enterprises/{enterprise_of(scene.member).id}/members/{enterprise_admin.id}"
    response = call("admin", "PATCH", path, json={"role": "member", "active": False})
    assert response.status_code == 200
    db.session.expire_all()
    assert enterprise_admin.membership.role == "member" and not enterprise_admin.active


@pytest.mark.parametrize("who, status", [("committee", 403), ("member", 404), ("manager", 404), ("rival", 404)])
def test_only_the_enterprises_admins_change_members(call, scene, who, status):
    path = f"/enterprises/{enterprise_of(scene.member).id}/members/{scene.colleague.id}"
    assert call(who, "PATCH", path, json={"active": False}).status_code == status
    db.session.expire_all()
    assert scene.colleague.active


def test_a_user_of_another_enterprise_is_no_member_here(call, scene):
    path = f"/enterprises/{enterprise_of(scene.member).id}/members/{scene.rival.id}"
    assert call("enterprise_admin", "GET", path).status_code == 404
    response = call("admin", "PATCH", path, json={"role": "admin"})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
