"""API tokens through the API: one's own only, the secret answered once, scopes that never grow."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.accounts.models import ApiToken, AuditEntry
from booking.extensions import db
from booking.timeutil import utcnow

from .helpers import error_of


def send(api, method: str, path: str, token: str, **kw):
    return api.client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kw)


def stored(token_id: int) -> ApiToken:
    db.session.expire_all()
    return db.session.get(ApiToken, token_id)


@pytest.fixture
def enterprise_admin(make, scene):
    return make.user(scene.member.membership.enterprise, role="admin")


# --- creating: the secret once ---------------------------------------------------------------

def test_a_new_token_answers_its_secret_once_and_it_works(api, scene):
    response = api.post("/api/v1/tokens", scene.member, json={"name": "ERP sync", "scopes": ["read"]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    secret = body.pop("token")
    assert secret.startswith("lx_") and len(secret) > 40
    assert body["name"] == "ERP sync" and body["scopes"] == ["read"]
    assert body["expires_at"] is body["last_used_at"] is body["revoked_at"] is None
    assert response.headers["Location"].endswith(f"/api/v1/tokens/{body['id']}")
    assert api.get("/api/v1/resources", token=secret).status_code == 200

    listed = api.get("/api/v1/tokens", scene.member)
    read = api.get(response.headers["Location"], scene.member)
    for answer in (listed, read):
        assert answer.status_code == 200
        assert secret not in answer.get_data(as_text=True)
    assert [t["name"] for t in listed.get_json()["tokens"]] == ["ERP sync", ""]  # newest first
    assert "token" not in read.get_json() and read.get_json()["id"] == body["id"]


def test_only_the_secrets_digest_is_stored_and_audited_without_it(api, scene):
    secret = api.post("/api/v1/tokens", scene.member, json={"name": "ERP", "scopes": ["read"]}).get_json()["token"]
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "ERP"))
    assert token.token_hash != secret and secret not in token.token_hash
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token_created",
                                                          AuditEntry.object_id == token.id)).all()
    assert entry.actor_id == scene.member.id and secret not in str(entry.details)


def test_creating_a_token_ignores_idempotency_keys_so_no_secret_is_kept(api, scene):
    """A replay would have to keep the secret: a retry creates a second token instead."""
    key = {"Idempotency-Key": "token-1"}
    first = api.post("/api/v1/tokens", scene.member, json={"name": "CI", "scopes": ["read"]}, headers=key)
    again = api.post("/api/v1/tokens", scene.member, json={"name": "CI", "scopes": ["read"]}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["token"] != again.get_json()["token"]
    assert "Idempotent-Replayed" not in again.headers


def test_expiry_in_days_or_at_an_instant(api, scene):
    in_days = api.post("/api/v1/tokens", scene.member, json={"name": "a", "scopes": ["read"],
                                                              "expires_in_days": 30}).get_json()
    expires = stored(in_days["id"]).expires_at
    assert timedelta(days=30) - timedelta(minutes=1) < expires - utcnow() <= timedelta(days=30)
    at = api.post("/api/v1/tokens", scene.member, json={"name": "b", "scopes": ["read"],
                                                         "expires_at": "2999-01-01T00:00:00+08:00"})
    assert at.get_json()["expires_at"] == "2998-12-31T16:00:00Z"


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"name": "x", "scopes": ["read"], "expires_at": "2999-01-01T00:00:00Z", "expires_in_days": 3}, "expires_in_days"),
    ({"name": "x", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
    ({"name": "x", "scopes": []}, "scopes"),
    ({"name": "x", "scopes": ["everything"]}, "scopes"),
    ({"name": "   ", "scopes": ["read"]}, "name"),
    ({"scopes": ["read"]}, "name"),
    ({"name": "x", "scopes": ["read"], "secret": "mine"}, "secret"),
])
def test_a_request_for_a_token_that_breaks_a_rule_is_422_and_creates_nothing(api, scene, body, field):
    response = api.post("/api/v1/tokens", scene.member, json=body)
    assert response.status_code == 422
    assert error_of(response)["details"]["field"] == field
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "x")) is None


# --- scopes ------------------------------------------------------------------------------------

def test_a_read_only_token_may_list_but_not_create_or_revoke(api, make, scene):
    secret = make.token(scene.member, scopes="read")
    own = db.session.scalar(select(ApiToken).where(ApiToken.user_id == scene.member.id))
    assert api.get("/api/v1/tokens", token=secret).status_code == 200
    created = api.post("/api/v1/tokens", token=secret, json={"name": "more", "scopes": ["read"]})
    assert created.status_code == 403 and error_of(created)["code"] == "insufficient_scope"
    revoked = send(api, "DELETE", f"/api/v1/tokens/{own.id}", secret)
    assert revoked.status_code == 403 and error_of(revoked)["code"] == "insufficient_scope"
    assert stored(own.id).revoked_at is None


def test_a_new_token_cannot_have_a_scope_the_creating_token_lacks(api, make, scene):
    write_only = make.token(scene.admin, scopes="write")
    response = api.post("/api/v1/tokens", token=write_only, json={"name": "wider", "scopes": ["read", "write"]})
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"
    plain = api.post("/api/v1/tokens", scene.admin, json={"name": "admin", "scopes": ["read", "admin"]})
    assert plain.status_code == 403 and error_of(plain)["code"] == "insufficient_scope"
    assert db.session.scalar(select(ApiToken).where(ApiToken.name.in_(["wider", "admin"]))) is None


@pytest.mark.parametrize("who", ["member", "manager", "committee", "outsider"])
def test_only_people_who_administer_something_get_the_admin_scope(api, make, scene, who):
    user = getattr(scene, who)
    response = api.post("/api/v1/tokens", token=make.token(user, scopes="read write admin"),
                        json={"name": "admin", "scopes": ["read", "admin"]})
    assert response.status_code == 422
    assert error_of(response)["code"] == "scope_not_allowed" and error_of(response)["details"]["field"] == "scopes"


@pytest.mark.parametrize("who", ["admin", "enterprise_admin"])
def test_administrators_and_enterprise_admins_get_the_admin_scope(api, make, scene, enterprise_admin, who):
    user = enterprise_admin if who == "enterprise_admin" else scene.admin
    response = api.post("/api/v1/tokens", token=make.token(user, scopes="read write admin"),
                        json={"name": "admin", "scopes": ["admin", "read", "read"]})
    assert response.status_code == 201
    assert response.get_json()["scopes"] == ["read", "admin"]


def test_a_token_without_the_admin_scope_cannot_call_administration_endpoints(api, make, scene):
    plain = api.post("/api/v1/enterprises", scene.admin, json={"name": "新企业", "uscc": "x"})
    assert plain.status_code == 403 and error_of(plain)["code"] == "insufficient_scope"
    assert 'scope="admin"' in plain.headers["WWW-Authenticate"]
    patch = send(api, "PATCH", f"/api/v1/resources/{scene.facility.id}", api.token(scene.admin),
                 json={"slot_minutes": 60})
    assert patch.status_code == 403 and error_of(patch)["code"] == "insufficient_scope"


# --- one's own tokens only ---------------------------------------------------------------------

@pytest.mark.parametrize("who", ["colleague", "admin", "rival"])
def test_other_peoples_tokens_answer_404_even_to_administrators(api, make, scene, who):
    secret = make.token(scene.member, name="mine")
    mine = db.session.scalar(select(ApiToken).where(ApiToken.name == "mine"))
    other = getattr(scene, who)
    assert api.get(f"/api/v1/tokens/{mine.id}", other).status_code == 404
    response = send(api, "DELETE", f"/api/v1/tokens/{mine.id}", api.token(other))
    assert response.status_code == 404 and error_of(response)["code"] == "unknown_token"
    assert "mine" not in {t["name"] for t in api.get("/api/v1/tokens", other).get_json()["tokens"]}
    assert api.get("/api/v1/resources", token=secret).status_code == 200


def test_a_revoked_token_stops_working_at_once_and_stays_listed(api, make, scene):
    secret = make.token(scene.member, name="laptop")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "laptop"))
    assert api.get("/api/v1/resources", token=secret).status_code == 200
    response = send(api, "DELETE", f"/api/v1/tokens/{token.id}", api.token(scene.member))
    assert response.status_code == 204 and response.get_data() == b""
    refused = api.get("/api/v1/resources", token=secret)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    listed = {t["name"]: t for t in api.get("/api/v1/tokens", scene.member).get_json()["tokens"]}
    assert listed["laptop"]["revoked_at"] is not None
    assert send(api, "DELETE", f"/api/v1/tokens/{token.id}", api.token(scene.member)).status_code == 204
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token_revoked")).all()
    assert entry.object_id == token.id and entry.actor_id == scene.member.id


def test_a_token_may_revoke_itself(api, make, scene):
    secret = make.token(scene.member, name="self")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "self"))
    assert send(api, "DELETE", f"/api/v1/tokens/{token.id}", secret).status_code == 204
    assert api.get("/api/v1/tokens", token=secret).status_code == 401


def test_an_expired_token_is_401_and_listed_as_it_is(api, make, scene):
    secret = make.token(scene.member, name="old", expires_at=utcnow() - timedelta(minutes=1))
    assert api.get("/api/v1/tokens", token=secret).status_code == 401
    [old] = [t for t in api.get("/api/v1/tokens", scene.member).get_json()["tokens"] if t["name"] == "old"]
    assert old["expires_at"] is not None and old["revoked_at"] is None


# --- last use ------------------------------------------------------------------------------------

def test_last_use_is_recorded_to_the_minute(api, make, scene):
    secret = make.token(scene.member, name="used")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "used"))
    assert token.last_used_at is None
    api.get("/api/v1/resources", token=secret)
    first = stored(token.id).last_used_at
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    api.get("/api/v1/resources", token=secret)
    assert stored(token.id).last_used_at == first  # within the minute: not written again
    stored(token.id).last_used_at = first - timedelta(minutes=5)
    api.get("/api/v1/resources", token=secret)
    assert stored(token.id).last_used_at > first - timedelta(minutes=5)


def test_a_refused_request_still_counts_as_a_use_and_changes_nothing_else(api, make, scene):
    secret = make.token(scene.member, name="reader", scopes="read")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "reader"))
    response = api.post("/api/v1/tokens", token=secret, json={"name": "x", "scopes": ["read"]})
    assert response.status_code == 403
    assert stored(token.id).last_used_at is not None
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "x")) is None


def test_last_used_at_is_answered(api, scene):
    api.get("/api/v1/resources", scene.member)
    [token] = api.get("/api/v1/tokens", scene.member).get_json()["tokens"]
    assert token["last_used_at"] is not None and token["last_used_at"].endswith("Z")


# --- the command line ------------------------------------------------------------------------------

def test_the_command_line_gives_the_admin_scope_to_administrators_only(runner, make, scene):
    result = runner.invoke(args=["create-token", scene.admin.email, "--scope", "read", "--scope", "admin",
                                 "--expires-in-days", "7"])
    assert result.exit_code == 0, result.output
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == scene.admin.id))
    assert token.scopes == "read admin" and token.expires_at is not None
    refused = runner.invoke(args=["create-token", scene.member.email, "--scope", "admin"])
    assert refused.exit_code != 0
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == scene.member.id)) is None
