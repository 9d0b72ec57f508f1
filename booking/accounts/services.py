"""Sign-in, passwords and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import InvalidInput
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


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


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
