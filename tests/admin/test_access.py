"""Who may open which administration page: every role, allowed and refused."""
import pytest

from .conftest import text

ADMIN_ONLY_PAGES = ("/admin/chains", "/admin/chains/new", "/admin/enterprises", "/admin/enterprises/new",
                    "/admin/facilities", "/admin/facilities/new", "/admin/users", "/admin/users/new")


def test_anonymous_visitor_is_sent_to_login(client, scene):
    paths = ("/admin/", *ADMIN_ONLY_PAGES, f"/admin/facilities/{scene.facility.id}/hours",
             f"/admin/enterprises/{scene.enterprise.id}/members")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    response = client.post("/admin/chains/new", data={"name": "偷偷", "timezone": "Asia/Shanghai"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["member", "committee", "outsider"])
def test_members_and_committee_have_no_administration(client, auth, scene, who):
    auth.login(getattr(scene, who))
    for path in ("/admin/", *ADMIN_ONLY_PAGES, f"/admin/facilities/{scene.facility.id}/hours",
                 f"/admin/enterprises/{scene.enterprise.id}/members"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("who", ["manager", "enterprise_admin", "member", "committee"])
def test_only_administrators_change_organisation_records(client, auth, scene, who):
    auth.login(getattr(scene, who))
    posts = {
        "/admin/chains/new": {"name": "新链", "timezone": "Asia/Shanghai"},
        f"/admin/chains/{scene.chain.id}": {"name": "改名", "timezone": "Asia/Shanghai"},
        f"/admin/enterprises/{scene.enterprise.id}": {"name": "改名", "uscc": scene.enterprise.uscc},
        f"/admin/facilities/{scene.facility.id}": {"name": "改名"},
        "/admin/users/new": {"email": "x@example.test", "name": "X", "password": "abc12345"},
        f"/admin/users/{scene.member.id}/password": {"password": "abc12345"},
        f"/admin/users/{scene.member.id}/deactivate": {},
    }
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path


def test_manager_sees_only_the_facilities_they_manage(client, auth, scene):
    auth.login(scene.manager)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert f"/admin/facilities/{scene.facility.id}/hours" in text(index)
    assert f"/admin/facilities/{scene.other_facility.id}/hours" not in text(index)
    assert "/admin/chains" not in text(index)
    assert client.get(f"/admin/facilities/{scene.facility.id}/hours").status_code == 200
    assert client.get(f"/admin/facilities/{scene.other_facility.id}/hours").status_code == 403
    assert client.get("/admin/facilities/999999/hours").status_code == 404
    for path in ADMIN_ONLY_PAGES:
        assert client.get(path).status_code == 403, path


def test_enterprise_admin_reaches_only_their_own_members(client, auth, scene):
    auth.login(scene.enterprise_admin)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert f"/admin/enterprises/{scene.enterprise.id}/members" in text(index)
    assert client.get(f"/admin/enterprises/{scene.enterprise.id}/members").status_code == 200
    assert client.get(f"/admin/enterprises/{scene.other_enterprise.id}/members").status_code == 403
    assert client.get("/admin/enterprises/999999/members").status_code == 403  # no probing for ids
    for path in ADMIN_ONLY_PAGES:
        assert client.get(path).status_code == 403, path


def test_administrator_opens_every_page(client, auth, scene):
    auth.login(scene.admin)
    index = text(client.get("/admin/"))
    for path in ("/admin/chains", "/admin/enterprises", "/admin/facilities", "/admin/users"):
        assert path in index
    paths = (*ADMIN_ONLY_PAGES, f"/admin/chains/{scene.chain.id}", f"/admin/enterprises/{scene.enterprise.id}",
             f"/admin/facilities/{scene.facility.id}", f"/admin/users/{scene.member.id}",
             f"/admin/facilities/{scene.other_facility.id}/hours",
             f"/admin/enterprises/{scene.other_enterprise.id}/members")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'class="table-wrap"' in text(response) or "<form" in text(response), path


def test_unknown_ids_answer_not_found_to_administrators(client, auth, scene):
    auth.login(scene.admin)
    for path in ("/admin/chains/999999", "/admin/enterprises/999999", "/admin/facilities/999999",
                 "/admin/users/999999", "/admin/facilities/999999/hours", "/admin/enterprises/999999/members"):
        assert client.get(path).status_code == 404, path
    assert client.post("/admin/users/999999/deactivate").status_code == 404


def test_unknown_ids_answer_forbidden_to_non_administrators(client, auth, scene):
    """A member learns nothing about which ids exist."""
    auth.login(scene.member)
    for path in ("/admin/chains/999999", "/admin/enterprises/999999", "/admin/users/999999"):
        assert client.get(path).status_code == 403, path


def test_administration_link_shows_for_the_roles_that_have_pages(client, auth, scene):
    for who, shown in (("admin", True), ("manager", True), ("enterprise_admin", True), ("member", False)):
        auth.login(getattr(scene, who))
        assert ('href="/admin/"' in text(client.get("/"))) is shown, who
        auth.logout()
