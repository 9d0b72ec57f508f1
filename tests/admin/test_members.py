"""Enterprise admins manage their own enterprise's members, and nobody else's."""
from sqlalchemy import select

from booking.accounts.models import User
from booking.accounts.permissions import roles_of
from booking.extensions import db

from ..conftest import AuthActions
from .conftest import audit, text


def test_enterprise_admin_lists_only_their_members(client, auth, scene):
    auth.login(scene.enterprise_admin)
    page = text(client.get(f"/admin/enterprises/{scene.enterprise.id}/members"))
    assert "Member Ma" in page and scene.enterprise_admin.name in page
    assert "Outsider Ou" not in page


def test_enterprise_admin_adds_a_member_who_can_sign_in(client, auth, scene):
    auth.login(scene.enterprise_admin)
    response = client.post(f"/admin/enterprises/{scene.enterprise.id}/members/new", data={
        "email": "New.Worker@Example.test", "name": "新员工", "password": "shoes2024", "role": "member"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.worker@example.test"))
    assert user.membership.enterprise_id == scene.enterprise.id and user.membership.role == "member"
    assert not user.is_admin
    [entry] = audit("member_added", user.id)
    assert entry.actor_id == scene.enterprise_admin.id and entry.details["enterprise_id"] == scene.enterprise.id
    client.post("/logout")
    AuthActions(client).login(user, password="shoes2024")


def test_enterprise_admin_cannot_claim_an_existing_account(client, auth, scene):
    auth.login(scene.enterprise_admin)
    response = client.post(f"/admin/enterprises/{scene.enterprise.id}/members/new", data={
        "email": scene.outsider.email.upper(), "name": "Taken", "password": "shoes2024", "role": "member"})
    assert response.status_code == 422
    assert "A user with this e-mail exists already." in text(response)
    db.session.refresh(scene.outsider)
    assert scene.outsider.membership.enterprise_id == scene.other_enterprise.id


def test_enterprise_admin_changes_a_members_role(client, auth, scene):
    auth.login(scene.enterprise_admin)
    url = f"/admin/enterprises/{scene.enterprise.id}/members/{scene.member.id}/role"
    assert client.post(url, data={"role": "admin"}).status_code == 302
    db.session.refresh(scene.member)
    assert scene.member.membership.role == "admin" and roles_of(scene.member).is_enterprise_admin
    [entry] = audit("member_role_changed", scene.member.id)
    assert entry.details["changes"] == {"role": ["member", "admin"]}
    client.post(url, data={"role": "owner"})
    db.session.refresh(scene.member)
    assert scene.member.membership.role == "admin"


def test_enterprise_admin_cannot_change_their_own_role(client, auth, scene):
    auth.login(scene.enterprise_admin)
    url = f"/admin/enterprises/{scene.enterprise.id}/members/{scene.enterprise_admin.id}/role"
    response = client.post(url, data={"role": "member"}, follow_redirects=True)
    assert "You cannot change your own role" in text(response)
    db.session.refresh(scene.enterprise_admin)
    assert scene.enterprise_admin.membership.role == "admin"


def test_enterprise_admin_deactivates_and_reactivates_a_member(client, auth, scene):
    auth.login(scene.enterprise_admin)
    base = f"/admin/enterprises/{scene.enterprise.id}/members/{scene.member.id}"
    assert client.post(base + "/deactivate").status_code == 302
    db.session.refresh(scene.member)
    assert not scene.member.active
    assert client.post(base + "/reactivate").status_code == 302
    db.session.refresh(scene.member)
    assert scene.member.active
    assert len(audit("user_deactivated", scene.member.id)) == len(audit("user_reactivated", scene.member.id)) == 1


def test_enterprise_admin_cannot_touch_another_enterprises_member(client, auth, scene):
    auth.login(scene.enterprise_admin)
    outsider = scene.outsider.id
    own, other = scene.enterprise.id, scene.other_enterprise.id
    # the outsider's id under one's own enterprise: not a member here
    for action, data in (("role", {"role": "admin"}), ("deactivate", {}), ("reactivate", {})):
        assert client.post(f"/admin/enterprises/{own}/members/{outsider}/{action}", data=data).status_code == 404
    # the outsider's own enterprise: not theirs to manage
    for action, data in (("role", {"role": "admin"}), ("deactivate", {})):
        assert client.post(f"/admin/enterprises/{other}/members/{outsider}/{action}", data=data).status_code == 403
    assert client.get(f"/admin/enterprises/{other}/members/new").status_code == 403
    assert client.post(f"/admin/enterprises/{other}/members/new", data={
        "email": "mole@example.test", "name": "Mole", "password": "shoes2024", "role": "admin"}).status_code == 403
    db.session.refresh(scene.outsider)
    assert scene.outsider.active and scene.outsider.membership.role == "member"
    assert db.session.scalar(select(User).where(User.email == "mole@example.test")) is None
    assert audit("user_deactivated") == audit("member_role_changed") == []


def test_plain_member_cannot_manage_colleagues(client, auth, scene):
    auth.login(scene.member)
    base = f"/admin/enterprises/{scene.enterprise.id}/members"
    assert client.get(base).status_code == 403
    assert client.post(f"{base}/{scene.enterprise_admin.id}/deactivate").status_code == 403
    db.session.refresh(scene.enterprise_admin)
    assert scene.enterprise_admin.active


def test_enterprise_admin_cannot_deactivate_an_administrator_in_their_enterprise(client, auth, scene, make):
    admin_member = make.user(scene.enterprise, is_admin=True)
    db.session.commit()
    auth.login(scene.enterprise_admin)
    response = client.post(f"/admin/enterprises/{scene.enterprise.id}/members/{admin_member.id}/deactivate")
    assert response.status_code == 403
    db.session.refresh(admin_member)
    assert admin_member.active


def test_administrator_manages_any_enterprises_members(client, auth, scene):
    auth.login(scene.admin)
    url = f"/admin/enterprises/{scene.other_enterprise.id}/members/{scene.outsider.id}/role"
    assert client.post(url, data={"role": "admin"}).status_code == 302
    db.session.refresh(scene.outsider)
    assert scene.outsider.membership.role == "admin"
