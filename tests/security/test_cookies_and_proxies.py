"""Cookie flags, and which proxy headers the app believes."""
import pytest

from booking.db import set_read_only_transactions

from ..factories import Factory


@pytest.fixture
def signed_in_cookies(make_app):
    def sign_in(**settings):
        app = make_app(**settings)
        with app.app_context():
            set_read_only_transactions(True)
            user = Factory().member()
            response = app.test_client().post("/login", data={"email": user.email, "password": Factory.PASSWORD,
                                                              "remember": "y"})
            assert response.status_code == 302
            return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    return sign_in


def test_cookies_are_httponly_lax_and_not_secure_by_default(signed_in_cookies):
    cookies = signed_in_cookies()
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name]
        assert "SameSite=Lax" in cookies[name]
        assert "Secure" not in cookies[name]


def test_secure_cookies_when_configured(signed_in_cookies):
    cookies = signed_in_cookies(SECURE_COOKIES=True)
    for name in ("session", "remember_token"):
        assert "; Secure" in cookies[name]
        assert "HttpOnly" in cookies[name]


def test_forwarded_proto_is_ignored_without_proxy_fix(make_app):
    client = make_app().test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_proxy_fix_honours_forwarded_proto(make_app):
    client = make_app(PROXY_FIX=1).test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("proxies, second_status", [(0, 429), (1, 200)])
def test_sign_in_limit_counts_the_forwarded_address_only_behind_a_trusted_proxy(make_app, proxies, second_status):
    app = make_app(PROXY_FIX=proxies, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    first = client.post("/login", data={"email": "a@example.com", "password": "x"},
                        headers={"X-Forwarded-For": "10.0.0.1"})
    second = client.post("/login", data={"email": "b@example.com", "password": "x"},
                         headers={"X-Forwarded-For": "10.0.0.2"})
    assert first.status_code == 422
    assert second.status_code == (422 if second_status == 200 else 429)
