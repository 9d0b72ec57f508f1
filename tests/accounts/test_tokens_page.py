"""The API tokens page: one's own tokens, the secret shown once, revoking."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from booking.accounts.models import ApiToken
from booking.extensions import db

SECRET = re.compile(r"lx_[A-Za-z0-9_-]{40,}")


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def text(response) -> str:
    return response.get_data(as_text=True)


def api_status(client, secret: str) -> int:
    return client.get("/api/v1/resources", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_signing_in_is_needed(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/account/tokens", data={"name": "x", "scopes": ["read"]}).status_code == 302
    assert db.session.scalar(select(ApiToken)) is None


def test_the_account_menu_links_to_the_page(client, auth, make):
    auth.login(make.member())
    assert 'href="/account/tokens"' in text(client.get("/account/password"))


def test_a_new_tokens_secret_is_shown_once_and_works(client, auth, make):
    user = make.member()
    auth.login(user)
    response = client.post("/account/tokens", data={"name": "ERP sync", "scopes": ["read", "write"],
                                                    "expires_in_days": "30"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [secret] = set(SECRET.findall(text(response)))
    assert "shown this once" in text(response)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert (token.name, token.scopes) == ("ERP sync", "read write") and token.expires_at is not None
    assert api_status(client, secret) == 200

    later = text(client.get("/account/tokens"))
    assert "ERP sync" in later and SECRET.search(later) is None


def test_the_admin_scope_is_offered_only_to_those_who_administer_something(client, auth, make):
    member = make.member()
    auth.login(member)
    assert 'value="admin"' not in text(client.get("/account/tokens"))
    refused = client.post("/account/tokens", data={"name": "sneaky", "scopes": ["read", "admin"],
                                                   "expires_in_days": "30"})
    assert refused.status_code == 422 and SECRET.search(text(refused)) is None
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == member.id)) is None
    auth.logout()

    enterprise_admin = make.user(member.membership.enterprise, role="admin")
    auth.login(enterprise_admin)
    assert 'value="admin"' in text(client.get("/account/tokens"))
    created = client.post("/account/tokens", data={"name": "members", "scopes": ["read", "admin"],
                                                   "expires_in_days": "0"})
    assert created.status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == enterprise_admin.id))
    assert token.scopes == "read admin" and token.expires_at is None


@pytest.mark.parametrize("data, message", [
    ({"name": "", "scopes": ["read"], "expires_in_days": "30"}, "This field is required."),
    ({"name": "x", "expires_in_days": "30"}, "Choose at least one scope."),
    ({"name": "x", "scopes": ["read"], "expires_in_days": "7"}, "Not a valid choice."),
])
def test_a_token_that_breaks_a_rule_is_not_created(client, auth, make, data, message):
    auth.login(make.member())
    response = client.post("/account/tokens", data=data)
    assert response.status_code == 422 and message in text(response)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoking_a_token_stops_it_at_once(client, auth, make):
    user = make.member()
    secret = make.token(user, name="laptop")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    auth.login(user)
    response = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert "The token has been revoked" in text(response)
    assert "Revoked on" in text(response)
    assert api_status(client, secret) == 401


def test_nobody_revokes_or_sees_another_users_token(client, auth, make):
    owner = make.member()
    secret = make.token(owner, name="owner robot")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    auth.login(make.admin())
    assert "owner robot" not in text(client.get("/account/tokens"))
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert api_status(client, secret) == 200


def test_a_tokens_name_is_shown_as_text(client, auth, make):
    auth.login(make.member())
    response = client.post("/account/tokens", data={"name": "<b>robot</b>", "scopes": ["read"],
                                                    "expires_in_days": "30"})
    assert "<b>robot</b>" not in text(response) and "&lt;b&gt;robot&lt;/b&gt;" in text(response)
