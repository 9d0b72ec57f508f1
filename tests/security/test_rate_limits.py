"""Throttling: the API per token, the sign-in form per address, failed sign-ins per e-mail."""
import re
import uuid

import pytest
from sqlalchemy import func, select

from booking.accounts.models import AuditEntry
from booking.db import set_read_only_transactions
from booking.extensions import db

from ..api.helpers import error_of
from ..factories import Factory

LOCKED = "Too many failed sign-ins"


def api_get(client, secret=None):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get("/api/v1/resources", headers=headers)


def test_api_answers_429_rate_limited_after_the_limit_per_token(limited, make):
    member = make.member()
    first, second = make.token(member), make.token(member)
    client = limited.test_client()
    assert [api_get(client, first).status_code for _ in range(3)] == [200] * 3
    response = api_get(client, first)
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert error_of(response)["message"] == "Too many requests; please wait a moment."
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert api_get(client, second).status_code == 200  # another token counts on its own


def test_api_rate_limit_message_is_translated(limited, make):
    secret = make.token(make.member())
    client = limited.test_client()
    for _ in range(3):
        api_get(client, secret)
    response = client.get("/api/v1/resources", headers={"Authorization": f"Bearer {secret}",
                                                        "Accept-Language": "zh-CN"})
    assert response.status_code == 429
    assert error_of(response)["message"] != "Too many requests; please wait a moment."


def test_made_up_tokens_share_their_address_count(limited):
    client = limited.test_client()
    statuses = [api_get(client, f"lx_{uuid.uuid4().hex}").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_sign_in_form_is_limited_per_address_with_a_page(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for n in range(2):
        assert client.post("/login", data={"email": f"{n}@example.com", "password": "x"}).status_code == 422
    response = client.post("/login", data={"email": "2@example.com", "password": "x"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "text/html" in response.content_type
    assert "Too many requests; please wait a moment." in response.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # only posting counts


def sign_in(client, email, password="wrong-password1"):
    return client.post("/login", data={"email": email, "password": password})


def without(text: str, email: str) -> str:
    """The page, less what differs by design: the e-mail typed back into the form, and the CSRF
    tokens (signed with the current second)."""
    text = re.sub(r'(csrf_token"[^>]*?value=")[^"]*', r"\1", text)
    return re.sub(re.escape(email), "EMAIL", text, flags=re.IGNORECASE)


def test_lock_out_looks_the_same_for_an_existing_and_an_unknown_email(limited, make):
    user = make.member()
    unknown = "nobody@example.com"
    client = limited.test_client()
    for email in (user.email, unknown):
        answers = [sign_in(client, email) for _ in range(4)]
        assert [a.status_code for a in answers] == [422, 422, 422, 429]
        assert LOCKED in answers[-1].get_data(as_text=True)
        assert 15 * 60 - 5 <= int(answers[-1].headers["Retry-After"]) <= 15 * 60
    known_page = without(sign_in(client, user.email).get_data(as_text=True), user.email)
    unknown_page = without(sign_in(client, unknown).get_data(as_text=True), unknown)
    assert known_page == unknown_page


def test_locked_email_is_refused_even_with_the_right_password_until_the_lock_ends(limited, make, clock):
    user = make.member()
    client = limited.test_client()
    for _ in range(3):
        sign_in(client, user.email.upper())  # the same address, however it is spelled
    assert sign_in(client, user.email, Factory.PASSWORD).status_code == 429
    clock.advance(14 * 60)
    assert sign_in(client, user.email, Factory.PASSWORD).status_code == 429
    clock.advance(60 + 1)
    assert sign_in(client, user.email, Factory.PASSWORD).status_code == 302


def test_lock_out_is_audited_for_an_existing_account_only(limited, make):
    user = make.member()
    client = limited.test_client()
    for email in (user.email, "nobody@example.com"):
        for _ in range(3):
            sign_in(client, email)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login_locked")).all()
    assert [(e.actor_id, e.object_type, e.object_id) for e in entries] == [(None, "user", user.id)]


def test_a_successful_sign_in_clears_the_failures(limited, make):
    user = make.member()
    for _ in range(2):
        sign_in(limited.test_client(), user.email)
    assert sign_in(limited.test_client(), user.email, Factory.PASSWORD).status_code == 302
    client = limited.test_client()
    assert [sign_in(client, user.email).status_code for _ in range(2)] == [422, 422]
    assert sign_in(client, user.email, Factory.PASSWORD).status_code == 302


def test_other_emails_are_not_locked(limited, make):
    user, other = make.member(), make.member()
    client = limited.test_client()
    for _ in range(3):
        sign_in(client, user.email)
    assert sign_in(client, other.email, Factory.PASSWORD).status_code == 302


def _redis_url():
    try:
        import redis
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.2).ping()
    except Exception:
        return None
    return "redis://127.0.0.1:6379/0"


@pytest.mark.skipif(_redis_url() is None, reason="no Redis on 127.0.0.1:6379")
def test_workers_sharing_redis_share_the_counts(make_app):
    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=_redis_url(), LOGIN_RATE_LIMIT="100 per minute",
                    RATELIMIT_KEY_PREFIX=uuid.uuid4().hex, LOGIN_LOCKOUT_ATTEMPTS=2)
    one, two = make_app(**settings), make_app(**settings)
    email = f"{uuid.uuid4().hex}@example.com"  # lock-out keys carry no prefix: a fresh address
    with one.app_context():
        assert sign_in(one.test_client(), email).status_code == 422
    with two.app_context():
        assert sign_in(two.test_client(), email).status_code == 422
        assert sign_in(two.test_client(), email).status_code == 429
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_an_unreachable_rate_limit_storage_does_not_break_the_api_or_sign_in(make_app, make):
    """Redis down: requests are counted in the process instead, never answered with a 500."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    with app.app_context():
        set_read_only_transactions(True)
        member = make.member()
        secret = make.token(member)
        client = app.test_client()
        response = client.post("/login", data={"email": member.email, "password": "wrong"})
        assert response.status_code == 422
        assert api_get(client, secret).status_code == 200
