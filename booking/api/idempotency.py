"""Idempotency keys: a POST retried with the same ``Idempotency-Key`` creates one thing.

The key is recorded in the same transaction as what the request creates, together
with the answer, so a retry after a lost response gets the first answer again
(``Idempotent-Replayed: true``) and never a second booking. A key is the caller's
own (per user) for 24 hours; the same key with another request is refused (422).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Response, g, request
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..timeutil import utcnow

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)
MAX_LENGTH = 255


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(500), default="")


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status, mimetype="application/json", headers=headers)


def _find(key: str) -> IdempotencyKey | None:
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == g.api_user.id,
                                                          IdempotencyKey.key == key))


def begin() -> IdempotencyKey | Response | None:
    """None without a key; the first answer when the key was used for this request before;
    otherwise a new record, flushed, for ``finish`` to complete in the request's transaction."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_LENGTH:
        raise InvalidInput(_("The Idempotency-Key header must have 1 to %(n)d characters.", n=MAX_LENGTH),
                           code="invalid_idempotency_key", field=HEADER)
    fingerprint = _fingerprint()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == g.api_user.id,
                                                    IdempotencyKey.created_at < utcnow() - KEPT))
    record = _find(key)
    if record is None:
        record = IdempotencyKey(user_id=g.api_user.id, key=key, fingerprint=fingerprint)
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:  # the same key, sent at the same moment: the other request holds it
            record = _find(key)
            if record is None or record.status is None:
                raise Conflict(_("A request with this Idempotency-Key is still being processed; "
                                 "retry in a moment."), code="idempotency_in_progress") from None
        else:
            return record
    if record.fingerprint != fingerprint:
        raise InvalidInput(_("This Idempotency-Key was used for another request; use a new key."),
                           code="idempotency_key_reused", field=HEADER)
    return _replay(record)


def finish(record: IdempotencyKey, response: Response) -> None:
    """Keep the answer with the key (only successes: a refused request may be retried as it is)."""
    record.status = response.status_code
    record.body = response.get_data(as_text=True)
    record.location = response.headers.get("Location", "")
