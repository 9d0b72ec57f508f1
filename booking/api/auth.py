"""Bearer-token authentication for every API request (RFC 6750).

The API never reads or writes the Flask session: a browser's sign-in cookie does
not authenticate here, and no API response sets a cookie. The caller is kept in
``g.api_user`` / ``g.api_token`` / ``g.api_roles`` for the request.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import OperationalError

from ..accounts.permissions import roles_of
from ..accounts.services import note_token_use, user_for_token
from ..errors import DomainError, Forbidden
from ..extensions import db
from ..timeutil import utcnow
from . import bp

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
REALM = "lianxiang"
# last_used_at is kept to the minute: most requests only read it.
USE_RESOLUTION = timedelta(minutes=1)


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


def _bearer_secret() -> str | None:
    scheme, _sep, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def _caller():
    """The (user, token) of the request's bearer token, or None; looked up once per request,
    because the rate limiter asks before ``authenticate`` runs."""
    if "api_caller" not in g:
        secret = _bearer_secret()
        g.api_caller = user_for_token(secret) if secret else None
    return g.api_caller


def rate_limit_key() -> str:
    """Requests are counted per valid token; without one, per address, so that made-up
    tokens cannot each start a fresh count."""
    found = _caller()
    return f"token:{found[1].id}" if found else f"address:{get_remote_address()}"


@bp.before_request
def authenticate():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "public", False):
        return
    if _bearer_secret() is None:
        raise Unauthorized(_("Send an API token in the header: Authorization: Bearer <token>."))
    found = _caller()
    if found is None:
        g.api_auth_error = "invalid_token"
        raise Unauthorized(_("The API token is not valid: it is unknown, revoked or expired."))
    g.api_user, g.api_token = found
    g.api_roles = roles_of(g.api_user)
    if _stale_use(g.api_token):
        g.api_token_used = g.api_token.id
    op = getattr(view, "operation", None)
    needed = op.needed_scope(request.method) if op else "read" if request.method in SAFE_METHODS else "write"
    if needed not in g.api_token.scopes.split():
        g.api_auth_error = "insufficient_scope"
        g.api_needed_scope = needed
        raise Forbidden(_("This API token may not do this (it lacks the “%(scope)s” scope).", scope=needed),
                        code="insufficient_scope")


def _stale_use(token) -> bool:
    return token.last_used_at is None or token.last_used_at <= utcnow() - USE_RESOLUTION


def _note_use() -> None:
    """Keep the token's last use, at most once a minute (most requests write nothing): after the
    request's own work, in a transaction of its own, so that refused requests count too."""
    token_id = g.pop("api_token_used", None)
    if token_id is None:
        return
    try:
        # The request's work is committed or refused by now: end its transaction without keeping
        # anything a read left in the session, and write in a fresh one.
        db.session.rollback()
        note_token_use(token_id, utcnow(), USE_RESOLUTION)
        db.session.commit()
    except OperationalError:  # a busy database: the time of last use is not worth failing the request
        db.session.rollback()


@bp.after_request
def challenge(response):
    """Tell clients how to authenticate, and why a token was refused."""
    error = g.get("api_auth_error")
    if response.status_code == 401:
        value = f'Bearer realm="{REALM}"' + (f', error="{error}"' if error else "")
        response.headers["WWW-Authenticate"] = value
    elif response.status_code == 403 and error == "insufficient_scope":
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="{REALM}", error="insufficient_scope", scope="{g.api_needed_scope}"')
    response.headers["Cache-Control"] = "no-store"
    _note_use()
    return response
