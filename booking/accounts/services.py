"""Sign-in, passwords and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..timeutil import utcnow
from .models import ApiToken, AuditEntry, User

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


def create_api_token(user: User, name: str = "", scopes: str = "read write",
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Returns the stored token and the secret, which is shown once and never kept."""
    secret = "lx_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(secret), scopes=scopes,
                     expires_at=expires_at)
    db.session.add(token)
    record(user, "api_token_created", "api_token", None, name=name)
    db.session.flush()
    return token, secret


def user_for_token(secret: str) -> tuple[User, ApiToken] | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    if not token.user.active:
        return None
    return token.user, token
