"""Sign-in, passwords and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import DomainError, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..timeutil import utcnow
from .models import ApiToken, AuditEntry, User
from .permissions import Roles

MIN_PASSWORD_LENGTH = 8
# Checked against when the e-mail is unknown, so that a miss takes as long as a hit.
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt, Werkzeug's default


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                           code="weak_password", field="new_password")
    if password.isdigit() or password.isalpha():
        raise InvalidInput(_("The password must mix letters with digits or symbols."),
                           code="weak_password", field="new_password")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


class SignInLocked(DomainError):
    """Too many failed sign-ins for one e-mail: refused for a while, known account or not (429)."""
    code = "login_locked"
    status = 429


class LoginGuard:
    """Failed sign-ins counted per e-mail in the rate-limit storage, so that every worker sees
    them. Unknown e-mails are counted and locked exactly like known ones: a lock-out must not
    tell anyone whether the account exists. Keys hold a digest, never the address."""

    def __init__(self, limiter: Any, attempts: int, minutes: int):
        from limits import RateLimitItemPerMinute
        self._limiter = limiter  # Flask-Limiter's extension; its ``limiter`` is the storage strategy
        self.minutes = minutes
        self.failures = RateLimitItemPerMinute(attempts, minutes, namespace="LOGIN-FAILURES")
        self.lock = RateLimitItemPerMinute(1, minutes, namespace="LOGIN-LOCK")

    @staticmethod
    def _key(email: str) -> str:
        return hashlib.sha256(email.strip().lower().encode()).hexdigest()

    def locked(self, email: str) -> bool:
        return not self._limiter.limiter.test(self.lock, self._key(email))

    def failed(self, email: str) -> bool:
        """Count a failure; True when it is the one that locks the e-mail."""
        strategy, key = self._limiter.limiter, self._key(email)
        strategy.hit(self.failures, key)
        if strategy.test(self.failures, key):
            return False
        strategy.hit(self.lock, key)
        strategy.clear(self.failures, key)
        return True

    def succeeded(self, email: str) -> None:
        self._limiter.limiter.clear(self.failures, self._key(email))


def authenticate(email: str, password: str, guard: LoginGuard | None = None) -> User | None:
    """The user whose password this is, else None; SignInLocked while ``guard`` holds the e-mail."""
    if guard is not None and guard.locked(email):
        check_password_hash(_DUMMY_HASH, password)  # a locked answer takes as long as any other
        raise SignInLocked(_("Too many failed sign-ins with this e-mail address: try again in "
                             "%(minutes)d minutes.", minutes=guard.minutes))
    user = find_user_by_email(email)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        found = None
    else:
        found = user if check_password_hash(user.password_hash, password) else None
    if guard is not None:
        if found is not None:
            guard.succeeded(email)
        elif guard.failed(email) and user is not None:
            record(None, "login_locked", "user", user.id)
    return found


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput(_("The current password is not correct."), code="wrong_password",
                           field="current_password")
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_version += 1  # every other session of this user ends here
    record(user, "password_changed", "user", user.id)
    db.session.flush()


def record(actor: User | None, action: str, object_type: str, object_id: int | None, **details) -> None:
    """Write an audit entry in the caller's transaction."""
    db.session.add(AuditEntry(actor_id=actor.id if actor else None, action=action,
                              object_type=object_type, object_id=object_id, details=details))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- API tokens --------------------------------------------------------------------------------

# read: every GET; write: every change; admin: the administration endpoints (enterprises, members, rules).
SCOPES = ("read", "write", "admin")
MAX_TOKEN_NAME = 120


def may_have_admin_scope(roles: Roles) -> bool:
    """Only someone who administers something may hold a token for the administration endpoints."""
    return roles.is_admin or roles.is_enterprise_admin


def create_api_token(user: User, name: str = "", scopes: str = "read write",
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Returns the stored token and the secret, which is shown once and never kept."""
    secret = "lx_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(secret), scopes=scopes,
                     expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    record(user, "api_token_created", "api_token", token.id, name=name, scopes=scopes.split())
    return token, secret


def issue_api_token(user: User, roles: Roles, name: str, scopes: Iterable[str], *, expires_at: datetime | None = None,
                    within: Iterable[str] | None = None, now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token of ``user`` with the rules checked; the secret is returned once and never kept.

    ``within``: the scopes of the token this request came with (API); a new token cannot do more.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Please give the token a name, to recognise it by."), code="required", field="name")
    if len(name) > MAX_TOKEN_NAME:
        raise InvalidInput(_("The name is too long: at most %(n)d characters.", n=MAX_TOKEN_NAME),
                           code="too_long_text", field="name")
    requested = set(scopes)
    if requested - set(SCOPES):
        raise InvalidInput(_("Unknown scope; use read, write or admin."), code="invalid_value", field="scopes")
    wanted = [scope for scope in SCOPES if scope in requested]
    if not wanted:
        raise InvalidInput(_("Choose at least one scope."), code="required", field="scopes")
    if "admin" in wanted and not may_have_admin_scope(roles):
        raise InvalidInput(_("Only administrators and enterprise admins may create tokens with the admin scope."),
                           code="scope_not_allowed", field="scopes")
    if within is not None and set(wanted) - set(within):
        raise Forbidden(_("A new token cannot have scopes that the token creating it lacks."),
                        code="insufficient_scope")
    if expires_at is not None and expires_at <= (now or utcnow()):
        raise InvalidInput(_("The expiry must be in the future."), code="invalid_value", field="expires_at")
    return create_api_token(user, name=name, scopes=" ".join(wanted), expires_at=expires_at)


def list_api_tokens(user: User) -> list[ApiToken]:
    """The user's own tokens, revoked and expired ones too, newest first."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get_api_token(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anybody else's answers 404, administrators' requests too."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("There is no such API token."), code="unknown_token")
    return token


def revoke_api_token(user: User, token: ApiToken, now: datetime | None = None) -> None:
    """The token stops working at once; revoking it again changes nothing."""
    if token.user_id != user.id:
        raise NotFound(_("There is no such API token."), code="unknown_token")
    if token.revoked_at is not None:
        return
    token.revoked_at = now or utcnow()
    db.session.flush()
    record(user, "api_token_revoked", "api_token", token.id, name=token.name)


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """active, expired or revoked."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def user_for_token(secret: str) -> tuple[User, ApiToken] | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    if not token.user.active:
        return None
    return token.user, token


def note_token_use(token_id: int, now: datetime | None = None, every: timedelta = timedelta(minutes=1)) -> None:
    """Record when a token was last used, at most once per ``every``: the WHERE clause lets
    concurrent requests of the same token write once. The caller commits."""
    now = now or utcnow()
    db.session.execute(update(ApiToken).where(
        ApiToken.id == token_id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - every))
        .values(last_used_at=now).execution_options(synchronize_session=False))
