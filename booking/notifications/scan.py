"""Time-triggered work, run by the ``send-notifications`` worker before each delivery round.

``run(now)`` releases no-shows (which tells the waiting lists), expires waiting-list entries whose
slot has started, and queues reminders, warnings about pending requests about to lapse unanswered
and notices of series ending soon. Each message goes out once however often ``run`` is called and
however many workers call it: its dedupe key makes a second copy a no-op (INSERT ... ON CONFLICT
DO NOTHING). A fixed number of queries per kind finds what is due and leaves out what was already
queued, so a round with nothing new costs no notify calls. It flushes; the caller commits.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from ..bookings.models import APPROVED, PENDING, Booking, Series
from ..extensions import db
from ..facilities.models import Facility
from ..timeutil import iso, utcnow
from ..usage.services import close_overdue
from ..waitlist import services as waitlist
from . import models as kinds
from .models import Notification
from .services import notify

# A pending request starting within this many hours has not been answered in time: warn.
PENDING_WARNING_HOURS = 24
# A series whose last date is this close is "ending soon".
SERIES_ENDING_DAYS = 14


def run(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    no_shows, auto_closed = close_overdue(now)
    counts = {
        "no_shows": no_shows,
        "auto_closed": auto_closed,
        "waitlist_expired": waitlist.expire(now),
        "reminders": reminders(now),
        "pending_expiring": pending_expiring(now),
        "series_ending": series_ending(now),
    }
    db.session.flush()
    return counts


def _queued_keys(kind: str, subject_ids) -> set[tuple[int, str]]:
    """(user, dedupe key) pairs already queued for these bookings or series (``subject_ids``: their
    ids, or a subquery of them, so that no long list of ids travels to the database)."""
    column = Notification.series_id if kind == kinds.SERIES_ENDING else Notification.booking_id
    return set(db.session.execute(select(Notification.user_id, Notification.dedupe_key).where(
        Notification.kind == kind, column.in_(subject_ids))).all())


def reminders(now: datetime) -> int:
    """Approved bookings whose start is within their facility's ``reminder_hours``: the requester is
    reminded once per start time (a booking moved to another time is reminded again)."""
    windows = db.session.scalars(select(Facility.reminder_hours).where(Facility.reminder_hours.is_not(None))
                                 .distinct()).all()
    if not windows:
        return 0
    due = (select(Booking.id).join(Booking.facility)
           .where(Booking.status == APPROVED, Booking.start_at > now,
                  or_(*(and_(Facility.reminder_hours == hours, Booking.start_at <= now + timedelta(hours=hours))
                        for hours in windows))))
    queued = _queued_keys(kinds.REMINDER, due)
    bookings = db.session.scalars(select(Booking).where(Booking.id.in_(due))
                                  .options(joinedload(Booking.requester), joinedload(Booking.facility))
                                  .order_by(Booking.start_at, Booking.id)).unique().all()
    made = 0
    for booking in bookings:
        key = f"reminder:{booking.id}:{iso(booking.start_at)}"
        if (booking.requester_id, key) in queued:
            continue
        made += len(notify(kinds.REMINDER, [booking.requester], booking=booking, dedupe_key=key, now=now,
                           params={"start": iso(booking.start_at), "hours": booking.facility.reminder_hours}))
    return made


def pending_expiring(now: datetime) -> int:
    """Pending requests starting within PENDING_WARNING_HOURS: the facility's managers are asked to
    decide, and the requester learns that nobody has answered yet; once per request."""
    due = select(Booking.id).where(Booking.status == PENDING, Booking.start_at > now,
                                   Booking.start_at <= now + timedelta(hours=PENDING_WARNING_HOURS))
    queued = _queued_keys(kinds.PENDING_EXPIRING, due)
    bookings = db.session.scalars(
        select(Booking).where(Booking.id.in_(due))
        .options(joinedload(Booking.requester), joinedload(Booking.enterprise),
                 joinedload(Booking.facility).selectinload(Facility.managers))
        .order_by(Booking.start_at, Booking.id)).unique().all()
    made = 0
    for booking in bookings:
        key = f"pending:{booking.id}"
        recipients = [u for u in [*booking.facility.managers, booking.requester] if (u.id, key) not in queued]
        if recipients:
            made += len(notify(kinds.PENDING_EXPIRING, recipients, booking=booking, dedupe_key=key, now=now,
                               params={"count": 1, "start": iso(booking.start_at)}))
    return made


def series_ending(now: datetime) -> int:
    """Series whose very last occurrence is still open (pending or approved) and starts within
    SERIES_ENDING_DAYS: the requester is told once per last date, so that they can renew it."""
    open_start = case((Booking.status.in_((PENDING, APPROVED)), Booking.start_at))
    last = func.max(Booking.start_at)
    # Only occurrences still ahead matter: a later occurrence, if any, is ahead of the last open one.
    ending = (select(Booking.series_id, last.label("last"))
              .where(Booking.series_id.is_not(None), Booking.start_at > now)
              .group_by(Booking.series_id)
              .having(last <= now + timedelta(days=SERIES_ENDING_DAYS), last == func.max(open_start)))
    rows = db.session.execute(ending).all()
    if not rows:
        return 0
    last_of = {row.series_id: row.last for row in rows}
    queued = _queued_keys(kinds.SERIES_ENDING, list(last_of))
    made = 0
    for series in db.session.scalars(select(Series).where(Series.id.in_(list(last_of)))
                                     .options(joinedload(Series.requester), joinedload(Series.facility))
                                     .order_by(Series.id)).unique():
        last_start = last_of[series.id]
        key = f"series-ending:{series.id}:{last_start.astimezone(series.facility.tz).date().isoformat()}"
        if (series.requester_id, key) in queued:
            continue
        made += len(notify(kinds.SERIES_ENDING, [series.requester], series=series, dedupe_key=key, now=now,
                           params={"last": iso(last_start)}))
    return made
