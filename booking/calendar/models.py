"""Calendar feeds: subscribable iCalendar URLs with a secret, revocable token."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..facilities.models import Facility
from ..timeutil import utcnow

FEED_KINDS = {
    "mine": _l("My bookings"),
    "enterprise": _l("My enterprise's bookings"),
    "facility": _l("A facility's schedule"),
    "queue": _l("Requests waiting for my approval"),
}


class CalendarFeed(db.Model):
    """The URL's token is signed from (id, nonce): nothing secret is stored, a new nonce revokes it."""
    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    facility: Mapped[Facility | None] = relationship()


class FeedBody(db.Model):
    """A feed's last answer, kept in the database (every app host sees it) under the version it was
    made for: a client that fetches again without a conditional request gets it back without it being
    rendered again. Any change to the feed's bookings, owner or language makes another version."""
    __tablename__ = "calendar_feed_bodies"

    feed_id: Mapped[int] = mapped_column(ForeignKey("calendar_feeds.id", ondelete="CASCADE"), primary_key=True)
    etag: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
