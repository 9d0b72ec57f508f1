from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..bookings.models import Booking, Series
from ..db import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

REQUEST_SUBMITTED = "request_submitted"
APPROVED = "approved"
REJECTED = "rejected"
CANCELLED = "cancelled"
PENDING_EXPIRING = "pending_expiring"
REMINDER = "reminder"
WAITLIST_FREED = "waitlist_freed"
SERIES_ENDING = "series_ending"
QUOTA_NEARLY_USED = "quota_nearly_used"

KINDS = {
    REQUEST_SUBMITTED: _l("A request waits for my approval"),
    APPROVED: _l("A booking was approved"),
    REJECTED: _l("A request was rejected"),
    CANCELLED: _l("A booking was cancelled"),
    PENDING_EXPIRING: _l("A request is about to expire unanswered"),
    REMINDER: _l("Reminder before a booking starts"),
    WAITLIST_FREED: _l("A slot I wait for is free"),
    SERIES_ENDING: _l("A recurring booking ends soon"),
    QUOTA_NEARLY_USED: _l("Our quota is nearly used up"),
}
# Approval requests reach managers whatever they chose: without them nothing gets decided.
UNMUTABLE = (REQUEST_SUBMITTED,)

BOTH, EMAIL, IN_APP, NONE = "both", "email", "in_app", "none"
CHANNELS = {BOTH: _l("E-mail and in the app"), EMAIL: _l("E-mail only"), IN_APP: _l("In the app only"),
            NONE: _l("Nothing")}

# E-mail delivery states.
NO_EMAIL, QUEUED, SENT, FAILED = "none", "queued", "sent", "failed"


class Notification(db.Model):
    """One message to one user: an in-app entry and/or an e-mail in the outbox.

    Only the facts are stored (kind, booking, series, ``params``); the text is rendered
    when it is shown or sent, in the recipient's language. ``dedupe_key`` makes
    time-triggered messages (reminders and the like) unique per user, even when two
    workers look at the same moment.
    """
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_outbox", "email_status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    params: Mapped[dict] = mapped_column(db.JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))

    in_app: Mapped[bool] = mapped_column(default=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    email_status: Mapped[str] = mapped_column(String(8), default=NO_EMAIL)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker's claim: nobody else sends this message before ``claimed_until``.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(1000), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    booking: Mapped[Booking | None] = relationship()
    series: Mapped[Series | None] = relationship()

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))


class DeliveryFailure(db.Model):
    """One failed attempt to send a notification by e-mail (kept; the outbox page shows them)."""
    __tablename__ = "notification_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempt: Mapped[int]
    error: Mapped[str] = mapped_column(String(1000))

    notification: Mapped[Notification] = relationship(backref="failures")


class NotificationPreference(db.Model):
    """How a user wants one kind of notification; without a row: ``both``."""
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channels: Mapped[str] = mapped_column(String(8), default=BOTH)
