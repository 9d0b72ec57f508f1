"""One notification as an e-mail: in the recipient's language, plain text with an HTML alternative.

The words come from ``render.summary`` (subject and lead paragraph); this module adds the
booking's facts in the facility's time zone, the links (open the booking, and one-click
approve, reject or cancel where the recipient may still do that) and, for booked time, the
.ics (``booking/calendar/ics.py``). Links are absolute, built from ``PUBLIC_URL``: the worker
runs outside any request.

Flask-Mail builds the message; ``delivery`` speaks SMTP.
"""
from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message
from werkzeug.routing import BuildError

from .. import i18n
from ..accounts.models import User
from ..accounts.permissions import Roles, roles_of
from ..bookings import recurrence
from ..bookings import series as series_service
from ..bookings import services as booking_service
from ..bookings.models import BLOCKING, CANCELLED, PENDING, Booking, Series
from ..calendar import ics
from ..extensions import db
from . import actions
from . import models as kinds
from .render import summary

# A series e-mail lists this many of its dates; the booking page has the rest.
LISTED_DATES = 10
# Kinds that ask a manager for a decision: approve or reject from the e-mail.
DECISION_KINDS = (kinds.REQUEST_SUBMITTED, kinds.PENDING_EXPIRING)
# Kinds about booked time of the recipient's own enterprise: they may cancel it from the e-mail.
CANCELLABLE_KINDS = (kinds.APPROVED, kinds.REMINDER, kinds.WAITLIST_FREED)


class Undeliverable(Exception):
    """This message can never be sent (no address, inactive account): no retries."""


@dataclass
class Action:
    label: str
    url: str
    note: str = ""


@dataclass
class Occurrence:
    when: str
    status: str
    cancel_url: str | None


def recipient_locale(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def sender_address() -> str:
    return parseaddr(_sender())[1]


def _sender() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@lianxiang.local"
    if isinstance(sender, (tuple, list)):  # Flask-Mail also accepts ("Name", "address")
        return f"{sender[0]} <{sender[1]}>"
    return sender


def message_id(notification_id: int) -> str:
    """The same Message-ID on every attempt: a message sent twice (a crash between sending and
    recording it) is one message to the mail servers and clients that deduplicate."""
    domain = sender_address().rpartition("@")[2] or current_app.config.get("CALENDAR_UID_DOMAIN")
    return f"<notification-{notification_id}@{domain or 'lianxiang.local'}>"


def compose(notification: kinds.Notification, now) -> Message:
    """The e-mail for ``notification`` (its user, booking and series loaded or loadable)."""
    user = notification.user
    if not user.active:
        raise Undeliverable("the recipient's account is inactive")
    if not user.email or "@" not in user.email:
        raise Undeliverable("the recipient has no e-mail address")
    # A context of its own: the request's teardown resets the caller's transaction mode.
    subject, text, html, calendar = contextvars.copy_context().run(_render, notification, user, now)
    message = Message(subject=subject, recipients=[(user.name, user.email)], body=text, html=html,
                      sender=_sender(), extra_headers={
                          # RFC 3834: out-of-office replies should not answer a robot.
                          "Auto-Submitted": "auto-generated",
                          "X-Auto-Response-Suppress": "All",
                      })
    message.msgId = message_id(notification.id)
    message.date = time.time()
    if calendar is not None:
        filename, method, data = calendar
        # Flask-Mail splits the type at "/", so the iTIP method travels as a parameter of the subtype.
        message.attach(filename, f"text/calendar; method={method}; charset=utf-8", data)
    return message


def _render(notification, user: User, now) -> tuple[str, str, str, tuple | None]:
    """Subject, text, HTML and calendar in the recipient's language, with links built on PUBLIC_URL."""
    locale = recipient_locale(user)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]), force_locale(locale):
        roles = roles_of(user)
        context = _context(notification, user, roles, now)
        context["lang"] = "zh-CN" if locale.startswith("zh") else locale
        subject = "[{}] {}".format(_("Lianxiang"), " ".join(context["summary"].title.split()))
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
        return subject, text, html, _calendar(notification, roles, now)


def _context(notification, user: User, roles: Roles, now) -> dict:
    about = summary(notification)
    booking, series = notification.booking, notification.series
    target = _cancel_target(notification)
    subject = series or booking or target
    return {
        "notification": notification,
        "user": user,
        "summary": about,
        "open_url": _absolute(about.url),
        "facts": _facts(notification, booking or target, series, now),
        "actions": _actions(notification, user, roles, booking, series, target, now),
        "occurrences": _occurrences(notification, user, roles, series, now) if series else [],
        "zone": subject.facility.tzname if subject is not None else None,
        "preferences_url": _endpoint_url("notifications.preferences"),
    }


def _absolute(path: str | None) -> str | None:
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    # ``path`` comes from url_for inside this request context: it already carries any script root.
    return request.host_url.rstrip("/") + path


def _endpoint_url(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, _external=True, **values)
    except BuildError:
        return None


def moment(value, tz) -> str:
    return i18n.moment(value, tz)


def when(start, end, tz) -> str:
    return i18n.span(start, end, tz)


def _facts(notification, booking: Booking | None, series: Series | None, now) -> list[tuple[str, str]]:
    params = notification.params if isinstance(notification.params, dict) else {}
    subject = series or booking
    if subject is None:
        return []
    facility = subject.facility
    tz = facility.tz
    facts = [(_("Facility"), ", ".join(p for p in (facility.display_name, facility.park, facility.location) if p))]
    if series is not None:
        facts.append((_("Repeats"), recurrence.describe(series.rrule, tz)))
        facts.append((_("First date"), moment(series.dtstart, tz)))
        count = params.get("count")
        if isinstance(count, int) and count > 0:
            facts.append((_("Dates concerned"), str(count)))
    else:
        facts.append((_("When"), f"{when(booking.start_at, booking.end_at, tz)} ({facility.tzname})"))
    facts.append((_("Enterprise"), subject.enterprise.display_name))
    facts.append((_("Requested by"), subject.requester.name))
    if subject.purpose:
        facts.append((_("Purpose"), subject.purpose))
    if booking is not None and series is None:
        facts.append((_("Status"), booking.status_label))
    reason = params.get("reason") or (booking.rejection_reason or booking.cancel_reason if booking else "")
    if reason and notification.kind in (kinds.REJECTED, kinds.CANCELLED):
        facts.append((_("Reason"), str(reason)))
    if params.get("over_quota"):
        facts.append((_("Quota"), _("Beyond the enterprise's quota: approving it is an exception.")))
    if params.get("late"):
        facts.append((_("Late cancellation"), _("Cancelled within the facility's cancellation notice.")))
    return facts


def _cancel_target(notification) -> Booking | None:
    """The booking a member may cancel from this e-mail: the notification's, or the request a
    waiting list made for them."""
    if notification.booking is not None:
        return notification.booking
    params = notification.params if isinstance(notification.params, dict) else {}
    booking_id = params.get("booking_id")
    if notification.kind == kinds.WAITLIST_FREED and isinstance(booking_id, int):
        return db.session.get(Booking, booking_id)
    return None


def _actions(notification, user: User, roles: Roles, booking, series, target, now) -> list[Action]:
    kind = notification.kind
    found: list[Action] = []
    if kind in DECISION_KINDS and _awaits_decision(roles, booking, series, now):
        subject = {"series": series} if series is not None else {"booking": booking}
        found.append(Action(_("Approve"), actions.link(user, actions.APPROVE, notification=notification, **subject),
                            _("One click approves it.") if series is None
                            else _("One click approves every date still waiting.")))
        found.append(Action(_("Reject"), actions.link(user, actions.REJECT, notification=notification, **subject),
                            _("You will be asked for the reason.")))
    if kind in CANCELLABLE_KINDS and series is None and target is not None and _may_cancel(roles, target, now):
        label = _("Cancel this occurrence") if target.series_id else _("Cancel this booking")
        found.append(Action(label, actions.link(user, actions.CANCEL, booking=target, notification=notification),
                            _("You will be asked to confirm.")))
    return found


def _awaits_decision(roles: Roles, booking, series, now) -> bool:
    if series is not None:
        return roles.manages(series.facility_id) and any(
            b.status == PENDING and b.end_at > now for b in series_service.occurrences(series, (PENDING,)))
    return booking is not None and roles.manages(booking.facility_id) and booking.status == PENDING \
        and booking.end_at > now


def _may_cancel(roles: Roles, booking: Booking, now) -> bool:
    """Members cancel their enterprise's bookings from e-mails; managers do it on the booking page,
    where they give the reason."""
    return booking.enterprise_id == roles.enterprise_id and booking_service.can_cancel(roles, booking, now)


def _occurrences(notification, user: User, roles: Roles, series: Series, now) -> list[Occurrence]:
    """The dates of a series still ahead, each with its own cancel link where one may be offered."""
    tz = series.facility.tz
    wanted = {kinds.REQUEST_SUBMITTED: (PENDING,), kinds.PENDING_EXPIRING: (PENDING,),
              kinds.APPROVED: BLOCKING}.get(notification.kind)
    if wanted is None:
        return []
    ahead = [b for b in series_service.occurrences(series, wanted) if b.end_at > now][:LISTED_DATES]
    cancellable = notification.kind == kinds.APPROVED
    return [Occurrence(when(b.start_at, b.end_at, tz), b.status_label,
                       actions.link(user, actions.CANCEL, booking=b, notification=notification)
                       if cancellable and _may_cancel(roles, b, now) else None)
            for b in ahead]


def _calendar(notification, roles: Roles, now) -> tuple[str, str, bytes] | None:
    """(filename, method, data) of the .ics for booked time, or None.

    One booking travels as an iTIP REQUEST (or CANCEL); a series as a PUBLISH of its dates,
    since an iTIP request carries one event only.
    """
    kind, booking, series = notification.kind, notification.booking, notification.series
    if series is not None and kind in (kinds.APPROVED, kinds.CANCELLED):
        wanted = BLOCKING if kind == kinds.APPROVED else (CANCELLED,)
        dates = [b for b in series_service.occurrences(series, wanted) if b.end_at > now]
        if not dates:
            return None
        calendar = ics.calendar_for(dates, roles, method=ics.PUBLISH, uid=f"calendar-series-{series.id}", now=now)
        return f"series-{series.id}.ics", ics.PUBLISH, calendar.to_ical()
    if booking is None:
        return None
    if kind in (kinds.APPROVED, kinds.REMINDER) and booking.status in BLOCKING:
        return f"booking-{booking.id}.ics", ics.REQUEST, ics.booking_ics(booking, roles, ics.REQUEST, now=now)
    if kind == kinds.CANCELLED and booking.status == CANCELLED:
        return f"booking-{booking.id}.ics", ics.CANCEL, ics.booking_ics(booking, roles, ics.CANCEL, now=now)
    return None
