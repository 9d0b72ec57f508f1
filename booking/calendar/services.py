"""Calendar feeds: create, list, renew and revoke them; find a feed by its token; what it shows.

A feed's URL carries ``URLSafeSerializer(secret_key, salt="calendar-feed").dumps([id, nonce])``:
the signature proves the server made it, the nonce lets a renewal (a new nonce) or a
revocation end an old URL. Nothing secret is stored.

Who may see what is checked again on every fetch, with the owner's roles as they are
now: a feed of a facility the owner may no longer see, or of an enterprise they left,
answers 404; each booking is shown in full only where the owner may see its details.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..accounts.permissions import Roles, roles_of
from ..accounts.services import record
from ..bookings.models import APPROVED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW, PENDING, REJECTED, Booking
from ..bookings.spans import current_longest_block, longest_block, meets
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.services import get_visible
from ..timeutil import utcnow
from .models import FEED_KINDS, CalendarFeed, FeedBody

TOKEN_SALT = "calendar-feed"
# What a feed covers: enough past for "what did we book last quarter", a year and a bit ahead.
PAST = timedelta(days=90)
AHEAD = timedelta(days=400)
MAX_FEEDS = 20
# Bump when the .ics output changes shape, so that clients holding an old ETag fetch again.
FORMAT_VERSION = 1

# Other enterprises' bookings in a facility feed: those that hold or held the slot. Their
# pending requests do not hold it (as in the week view), and a rejected request never did.
HELD = (APPROVED, CHECKED_IN, COMPLETED, NO_SHOW)
ALL_STATUSES = (PENDING, APPROVED, CHECKED_IN, COMPLETED, NO_SHOW, CANCELLED, REJECTED)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=TOKEN_SALT)


def feed_token(feed: CalendarFeed) -> str:
    return _serializer().dumps([feed.id, feed.nonce])


def _not_found() -> NotFound:
    return NotFound(_("There is no such calendar feed."), code="unknown_feed")


# --- the owner's side ------------------------------------------------------------------------

def _check_kind(roles: Roles, kind: str, facility_id: int | None) -> Facility | None:
    """Refuse a feed its owner may not (or may no longer) read; returns the facility of a facility feed."""
    if kind not in FEED_KINDS:
        raise InvalidInput(_("Unknown kind of calendar feed."), code="invalid_kind", field="kind")
    if kind == "facility":
        if not facility_id:
            raise InvalidInput(_("Choose the facility whose schedule the feed shows."),
                               code="facility_required", field="resource_id")
        try:
            return get_visible(roles, facility_id)
        except NotFound:
            raise InvalidInput(_("There is no such facility."), code="unknown_facility",
                               field="resource_id") from None
    if kind == "enterprise" and roles.enterprise_id is None:
        raise InvalidInput(_("Only members of an enterprise can subscribe to its bookings."),
                           code="no_enterprise", field="kind")
    if kind == "queue" and not (roles.is_manager or roles.is_admin):
        raise InvalidInput(_("Only facility managers have requests waiting for approval."),
                           code="not_a_manager", field="kind")
    return None


def create_feed(user: User, roles: Roles, kind: str, facility_id: int | None = None) -> CalendarFeed:
    facility = _check_kind(roles, kind, facility_id)
    active = db.session.scalar(select(func.count(CalendarFeed.id)).where(
        CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)))
    if active >= MAX_FEEDS:
        raise InvalidInput(_("You may have at most %(n)d calendar feeds; revoke one you no longer use.",
                             n=MAX_FEEDS), code="too_many_feeds", field="kind")
    feed = CalendarFeed(user_id=user.id, kind=kind, facility_id=facility.id if facility else None,
                        nonce=secrets.token_hex(16))
    db.session.add(feed)
    db.session.flush()
    record(user, "calendar_feed_created", "calendar_feed", feed.id, kind=kind, facility_id=feed.facility_id)
    return feed


def list_feeds(user: User) -> list[CalendarFeed]:
    """The user's feeds that still work, oldest first."""
    return list(db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .options(joinedload(CalendarFeed.facility)).order_by(CalendarFeed.created_at, CalendarFeed.id)))


def get_feed(user: User, feed_id: int) -> CalendarFeed:
    """One of the user's own working feeds; anybody else's answers 404."""
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != user.id or feed.revoked_at is not None:
        raise _not_found()
    return feed


def renew_feed(user: User, feed: CalendarFeed) -> CalendarFeed:
    """A new URL for the feed; the old one stops working at once."""
    if feed.user_id != user.id or feed.revoked_at is not None:
        raise _not_found()
    feed.nonce = secrets.token_hex(16)
    db.session.flush()
    record(user, "calendar_feed_renewed", "calendar_feed", feed.id)
    return feed


def revoke_feed(user: User, feed: CalendarFeed, now: datetime | None = None) -> None:
    if feed.user_id != user.id or feed.revoked_at is not None:
        raise _not_found()
    feed.revoked_at = now or utcnow()
    db.session.flush()
    record(user, "calendar_feed_revoked", "calendar_feed", feed.id)


def feed_title(feed: CalendarFeed) -> str:
    if feed.kind == "facility" and feed.facility is not None:
        return _("Schedule of %(facility)s", facility=feed.facility.display_name)
    return str(FEED_KINDS.get(feed.kind, feed.kind))


# --- the calendar client's side --------------------------------------------------------------

def feed_for_token(token: str) -> CalendarFeed:
    """The feed behind a URL token: signed by us, existing, current nonce, not revoked, owner active."""
    try:
        feed_id, nonce = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        raise _not_found() from None
    if not isinstance(feed_id, int) or isinstance(feed_id, bool) or not isinstance(nonce, str):
        raise _not_found()
    if not 0 < feed_id < 2**31:
        raise _not_found()
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.id == feed_id)
                             .options(joinedload(CalendarFeed.user), joinedload(CalendarFeed.facility)))
    if (feed is None or feed.revoked_at is not None or not feed.user.active
            or not hmac.compare_digest(feed.nonce.encode(), nonce.encode())):
        raise _not_found()
    return feed


def feed_roles(feed: CalendarFeed) -> Roles:
    """The owner's roles now; a feed its owner may no longer read answers 404."""
    roles = roles_of(feed.user)
    try:
        _check_kind(roles, feed.kind, feed.facility_id)
    except InvalidInput:
        raise _not_found() from None
    return roles


def _feed_query(feed: CalendarFeed, roles: Roles, now: datetime):
    """The select() of a feed's bookings inside its window (no ordering, no loading options)."""
    longest = longest_block([feed.facility]) if feed.kind == "facility" else current_longest_block()
    query = select(Booking).where(meets(now - PAST, now + AHEAD, longest, until=Booking.end_at))
    if feed.kind == "mine":
        return query.where(Booking.requester_id == feed.user_id, Booking.status.in_(ALL_STATUSES))
    if feed.kind == "enterprise":
        return query.where(Booking.enterprise_id == roles.enterprise_id, Booking.status.in_(ALL_STATUSES))
    if feed.kind == "facility":
        query = query.where(Booking.facility_id == feed.facility_id)
        if roles.manages(feed.facility_id) or feed.facility.chain_id in roles.committee_chain_ids:
            return query.where(Booking.status.in_(ALL_STATUSES))
        # Our own bookings in every state; others' only where they hold or held the slot (a cancelled
        # booking that had been approved stays, as CANCELLED, so that clients drop it).
        ours = Booking.enterprise_id == (roles.enterprise_id or -1)
        held = Booking.status.in_(HELD) | ((Booking.status == CANCELLED) & Booking.decided_at.is_not(None))
        return query.where(ours | held)
    if feed.kind == "queue":
        query = query.where(Booking.status == PENDING, Booking.end_at > now)
        if not roles.is_admin:
            query = query.where(Booking.facility_id.in_(roles.managed_facility_ids))
        return query
    raise _not_found()


def feed_bookings(feed: CalendarFeed, roles: Roles | None = None, now: datetime | None = None) -> list[Booking]:
    """The feed's bookings, with facility (and chain), enterprise and series, in one query.

    ``roles``: the owner's (``feed_roles``), computed here when not given.
    """
    roles = roles if roles is not None else feed_roles(feed)
    query = (_feed_query(feed, roles, now or utcnow())
             .options(joinedload(Booking.facility), joinedload(Booking.enterprise), joinedload(Booking.series))
             .order_by(Booking.start_at, Booking.id))
    return list(db.session.scalars(query).unique())


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    last_modified: datetime


def feed_version(feed: CalendarFeed, roles: Roles, locale: str, now: datetime | None = None) -> FeedVersion:
    """What a conditional GET compares, in one aggregate query: no booking is loaded for a 304.

    The ETag changes when a booking of the feed changes (max updated_at), when one enters or
    leaves it (the count), when the URL is renewed (the nonce), and when what the owner may
    read or the language changes (their roles, the locale).
    """
    inner = _feed_query(feed, roles, now or utcnow()).with_only_columns(Booking.updated_at).subquery()
    count, latest = db.session.execute(select(func.count(), func.max(inner.c.updated_at))).one()
    last_modified = max(latest, feed.created_at) if latest is not None else feed.created_at
    fingerprint = "|".join(map(str, (FORMAT_VERSION, feed.id, feed.nonce, count, last_modified.isoformat(),
                                     _roles_key(roles), locale)))
    return FeedVersion(hashlib.sha256(fingerprint.encode()).hexdigest()[:32], last_modified)


def kept_body(feed: CalendarFeed, version: FeedVersion) -> bytes | None:
    """The feed's answer kept for this version, if any (one query; the body is read only when it fits)."""
    return db.session.scalar(select(FeedBody.body).where(FeedBody.feed_id == feed.id, FeedBody.etag == version.etag))


def keep_body(feed: CalendarFeed, version: FeedVersion, body: bytes) -> None:
    """Keep the answer for the next fetch of this version, and commit. Best effort: a busy database
    (SQLite, another writer) or another host keeping the same feed at the same moment leaves what is
    there; an answer kept for another version is never served."""
    try:
        kept = db.session.get(FeedBody, feed.id) or FeedBody(feed_id=feed.id)
        kept.etag, kept.body, kept.created_at = version.etag, body, utcnow()
        db.session.add(kept)
        db.session.commit()
    except (OperationalError, IntegrityError):
        db.session.rollback()


def _roles_key(roles: Roles) -> tuple:
    """The roles in a form that reads the same in every worker process."""
    return (roles.user_id, roles.is_admin, roles.enterprise_id, sorted(roles.managed_facility_ids),
            sorted(roles.committee_chain_ids), sorted(roles.member_chain_ids))
