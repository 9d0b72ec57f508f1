"""Queueing notifications in the caller's transaction, as each recipient chose to receive them.

Services call ``notify`` next to the change that causes the message (the transactional
outbox): the change, its audit record and its notifications commit together or not at all.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..accounts.models import User
from ..extensions import db
from ..timeutil import utcnow
from .models import (BOTH, EMAIL, IN_APP, KINDS, NO_EMAIL, NONE, QUEUED, UNMUTABLE, Notification,
                     NotificationPreference)


def channels_for(users: list[User], kind: str) -> dict[int, str]:
    """Each user's choice for one kind of notification (one query)."""
    chosen = dict(db.session.execute(select(NotificationPreference.user_id, NotificationPreference.channels).where(
        NotificationPreference.kind == kind, NotificationPreference.user_id.in_([u.id for u in users]))).all())
    result = {}
    for user in users:
        channels = chosen.get(user.id, BOTH)
        if kind in UNMUTABLE and channels == NONE:
            channels = BOTH
        result[user.id] = channels
    return result


def notify(kind: str, recipients: Iterable[User | None], *, actor: User | None = None, booking=None,
           series=None, params: dict | None = None, dedupe_key: str | None = None,
           now: datetime | None = None) -> list[Notification]:
    """One notification per recipient (the actor never hears of their own action; inactive users
    and those who muted the kind are skipped). With ``dedupe_key``, a user who already has one
    with that key gets none: time-triggered messages go out once however often they are looked for.
    """
    assert kind in KINDS, kind
    now = now or utcnow()
    users, seen = [], set()
    for user in recipients:
        if user is None or user.id in seen or not user.active or (actor is not None and user.id == actor.id):
            continue
        seen.add(user.id)
        users.append(user)
    if not users:
        return []
    channels = channels_for(users, kind)
    made = []
    for user in users:
        chosen = channels[user.id]
        if chosen == NONE:
            continue
        email = chosen in (BOTH, EMAIL)
        notification = Notification(
            user_id=user.id, kind=kind, created_at=now, actor_id=actor.id if actor else None, booking=booking,
            series=series, params=params or {}, dedupe_key=dedupe_key, in_app=chosen in (BOTH, IN_APP),
            email_status=QUEUED if email else NO_EMAIL, next_attempt_at=now if email else None)
        if dedupe_key is None:
            db.session.add(notification)
            made.append(notification)
        elif _insert_once(notification):
            made.append(notification)
    return made


def _insert_once(notification: Notification) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: a concurrent worker's copy wins quietly, and nothing else in
    the session is flushed (a half-made approval must reach the database only through its guard)."""
    booking, series = notification.booking, notification.series
    assert (booking is None or booking.id) and (series is None or series.id), "deduplicated: saved objects only"
    values = {column.key: getattr(notification, column.key) for column in Notification.__table__.columns
              if column.key != "id"}
    values.update(booking_id=booking.id if booking else None, series_id=series.id if series else None,
                  attempts=0, last_error="")
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Notification).values(**values).on_conflict_do_nothing().returning(Notification.id)
    with db.session.no_autoflush:
        new_id = db.session.execute(statement).scalar()
    return new_id is not None
