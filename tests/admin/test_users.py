"""Administrators manage user accounts: roles, deactivation, password resets."""
from sqlalchemy import func, select

from booking.accounts.models import User
from booking.accounts.permissions import roles_of
from booking.extensions import db

from ..conftest import AuthActions
from .conftest import audit, text


def user_form(scene, **overrides):
    data = {"email": "Li.Lei@Example.test", "name": "李雷", "password": "chunyu2024",
            "enterprise_id": scene.enterprise.id, "role": "admin", "committee_chain_ids": [scene.other_chain.id],
            "managed_facility_ids": [scene.facility.id]}
    data.update(overrides)
    return data


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def test_administrator_creates_a_user_with_every_role(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/users/new", data=user_form(scene, is_admin="y"))
    assert response.status_code == 302
    user = user_by_email("li.lei@example.test")
    assert user.email == "li.lei@example.test" and user.name == "李雷" and user.is_admin and user.active
    assert user.password_hash != "chunyu2024"
    roles = roles_of(user)
    assert roles.enterprise_id == scene.enterprise.id and roles.is_enterprise_admin
    assert roles.committee_chain_ids == {scene.other_chain.id}
    assert roles.managed_facility_ids == {scene.facility.id}
    [created] = audit("user_created", user.id)
    assert created.actor_id == scene.admin.id and "chunyu2024" not in str(created.details)
    assert audit("managed_facilities_set", user.id)[0].details["facility_ids"] == [scene.facility.id]
    client.post("/logout")
    AuthActions(client).login(user, password="chunyu2024")


def test_email_is_unique_whatever_its_case(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/users/new", data=user_form(scene, email=scene.member.email.upper()))
    assert response.status_code == 422
    assert "A user with this e-mail exists already." in text(response)
    renamed = client.post(f"/admin/users/{scene.outsider.id}", data=user_form(scene, email=scene.member.email.title()))
    assert renamed.status_code == 422
    assert db.session.scalar(select(func.count(User.id)).where(func.lower(User.email) == scene.member.email)) == 1


def test_weak_initial_password_is_refused_on_its_field(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/users/new", data=user_form(scene, password="12345678"))
    assert response.status_code == 422
    assert 'id="password-err"' in text(response) and "mix letters" in text(response)
    assert user_by_email("li.lei@example.test") is None


def test_administrator_moves_a_user_to_other_roles(client, auth, scene):
    auth.login(scene.admin)
    page = text(client.get(f"/admin/users/{scene.member.id}"))
    assert f'value="{scene.member.email}"' in page
    response = client.post(f"/admin/users/{scene.member.id}", data=user_form(
        scene, email=scene.member.email, name="马会员", enterprise_id=scene.other_enterprise.id, role="member",
        committee_chain_ids=[scene.chain.id], managed_facility_ids=[scene.other_facility.id]))
    assert response.status_code == 302
    db.session.refresh(scene.member)
    roles = roles_of(scene.member)
    assert scene.member.name == "马会员" and roles.enterprise_id == scene.other_enterprise.id
    assert roles.committee_chain_ids == {scene.chain.id} and roles.managed_facility_ids == {scene.other_facility.id}
    [entry] = audit("user_updated", scene.member.id)
    assert entry.details["changes"]["enterprise_id"] == [scene.enterprise.id, scene.other_enterprise.id]


def test_user_taken_out_of_their_enterprise_loses_the_membership(client, auth, scene):
    auth.login(scene.admin)
    response = client.post(f"/admin/users/{scene.member.id}", data=user_form(
        scene, email=scene.member.email, enterprise_id="0", committee_chain_ids=[], managed_facility_ids=[]))
    assert response.status_code == 302
    db.session.refresh(scene.member)
    assert scene.member.membership is None and roles_of(scene.member).enterprise_id is None


def test_administrator_cannot_take_away_their_own_rights_or_account(client, auth, scene):
    auth.login(scene.admin)
    response = client.post(f"/admin/users/{scene.admin.id}", data=user_form(
        scene, email=scene.admin.email, enterprise_id="0"))
    assert response.status_code == 422
    assert "You cannot take away your own administrator rights." in text(response)
    client.post(f"/admin/users/{scene.admin.id}/deactivate")
    db.session.refresh(scene.admin)
    assert scene.admin.is_admin and scene.admin.active
    assert audit("user_deactivated") == []


def test_deactivated_user_cannot_sign_in_until_reactivated(client, auth, scene):
    auth.login(scene.admin)
    assert client.post(f"/admin/users/{scene.member.id}/deactivate").status_code == 302
    db.session.refresh(scene.member)
    assert not scene.member.active and db.session.get(User, scene.member.id) is not None
    assert "Inactive" in text(client.get("/admin/users"))
    client.post("/logout")
    refused = client.post("/login", data={"email": scene.member.email, "password": "secret123"})
    assert refused.status_code == 422
    auth.login(scene.admin)
    assert client.post(f"/admin/users/{scene.member.id}/reactivate").status_code == 302
    client.post("/logout")
    auth.login(scene.member)
    assert [e.action for e in audit("user_deactivated") + audit("user_reactivated")] == [
        "user_deactivated", "user_reactivated"]


def test_password_reset_ends_the_users_existing_sessions(app, client, auth, scene):
    members_browser = app.test_client()
    members_browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    AuthActions(members_browser).login(scene.member)
    assert members_browser.get("/account/password").status_code == 200

    auth.login(scene.admin)
    response = client.post(f"/admin/users/{scene.member.id}/password", data={"password": "newpass123"})
    assert response.status_code == 302

    ended = members_browser.get("/account/password")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    AuthActions(members_browser).login(scene.member, password="newpass123")
    [entry] = audit("password_reset", scene.member.id)
    assert entry.actor_id == scene.admin.id and entry.details == {}


def test_weak_reset_password_is_refused(client, auth, scene):
    auth.login(scene.admin)
    version = scene.member.session_version
    response = client.post(f"/admin/users/{scene.member.id}/password", data={"password": "short1"})
    assert response.status_code == 422 and "at least 8 characters" in text(response)
    db.session.refresh(scene.member)
    assert scene.member.session_version == version


def test_user_list_searches_by_name_and_email(client, auth, scene):
    auth.login(scene.admin)
    found = text(client.get("/admin/users", query_string={"q": "outsider"}))
    assert "Outsider Ou" in found and "Member Ma" not in found
    by_email = text(client.get("/admin/users", query_string={"q": scene.member.email.upper()}))
    assert "Member Ma" in by_email and "Outsider Ou" not in by_email


def test_duplicate_that_slips_past_the_check_is_still_a_form_error(client, auth, scene, monkeypatch):
    """Two requests racing for one e-mail: the unique index catches the loser, who sees a form error."""
    from booking.organisation import people
    monkeypatch.setattr(people, "_taken", lambda *args: False)
    auth.login(scene.admin)
    response = client.post("/admin/users/new", data=user_form(scene, email=scene.member.email))
    assert response.status_code == 422
    assert "A user with this e-mail exists already." in text(response)
    assert client.post("/admin/users/new", data=user_form(scene)).status_code == 302
    assert user_by_email("li.lei@example.test") is not None
