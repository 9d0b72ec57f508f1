"""One-click links from e-mails: a signed token stands for the recipient.

A link names the user, the action (approve, reject, cancel), the booking or series and the
notification it came in. It is signed with the app's SECRET_KEY under a salt of its own, works
for 14 days and stops working when the user's sessions are revoked (a new password).

GET only shows what the link would do (mail scanners fetch links: they must change nothing);
the button on that page POSTs, and the action runs as the link's user through the ordinary
services, which check the rights and the state again. A link that no longer applies says
what happened instead. No login and no CSRF token: the token is the secret.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from ..accounts.models import User
from ..accounts.permissions import Roles, roles_of
from ..accounts.services import record
from ..bookings import series as series_service
from ..bookings import services
from ..bookings.models import APPROVED, CANCELLED, CHECKED_IN, COMPLETED, PENDING, REJECTED, Booking, Series
from ..errors import DomainError
from ..extensions import db
from ..timeutil import utcnow

bp = Blueprint("actions", __name__, url_prefix="/act")

SALT = "lianxiang.notifications.one-click"
VALID_FOR = timedelta(days=14)
APPROVE, REJECT, CANCEL = "approve", "reject", "cancel"
ACTIONS = (APPROVE, REJECT, CANCEL)


class LinkError(DomainError):
    """A link that cannot be used: its page says why, with a 4xx status."""

    def __init__(self, message: str, status: int, code: str):
        super().__init__(message, code=code)
        self.status = status


@dataclass
class Link:
    user: User
    action: str
    booking: Booking | None
    series: Series | None
    notification_id: int | None

    @property
    def subject(self) -> Booking | Series:
        return self.series or self.booking


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user: User, action: str, *, booking: Booking | None = None, series: Series | None = None,
               notification=None) -> str:
    assert action in ACTIONS and (booking is None) != (series is None)
    payload = {"u": user.id, "v": user.session_version, "a": action}
    if booking is not None:
        payload["b"] = booking.id
    else:
        payload["s"] = series.id
    if notification is not None:
        payload["n"] = notification.id
    return _serializer().dumps(payload)


def link(user: User, action: str, **subject) -> str:
    """The absolute URL of a one-click link (inside a request context built on PUBLIC_URL)."""
    return url_for("actions.confirm", token=make_token(user, action, **subject), _external=True)


def read_token(token: str) -> Link:
    """The link behind ``token``, or a LinkError: expired 410, forged 400, revoked 403, gone 404."""
    try:
        payload = _serializer().loads(token, max_age=int(VALID_FOR.total_seconds()))
    except SignatureExpired as error:
        raise LinkError(_("This link has expired: links in e-mails work for 14 days. "
                          "Open the booking in Lianxiang instead."), 410, "link_expired") from error
    except BadData as error:
        raise LinkError(_("This link is not valid. Copy the whole link from the e-mail, or open the "
                          "booking in Lianxiang."), 400, "bad_link") from error
    if not isinstance(payload, dict) or payload.get("a") not in ACTIONS or not _ids_ok(payload):
        raise LinkError(_("This link is not valid. Copy the whole link from the e-mail, or open the "
                          "booking in Lianxiang."), 400, "bad_link")
    user = db.session.get(User, payload["u"])
    if user is None or not user.active or user.session_version != payload.get("v"):
        raise LinkError(_("This link no longer works for your account. Sign in to Lianxiang instead."),
                        403, "link_revoked")
    booking = db.session.get(Booking, payload["b"]) if "b" in payload else None
    series = db.session.get(Series, payload["s"]) if "s" in payload else None
    if booking is None and series is None:
        raise LinkError(_("There is no such booking."), 404, "unknown_booking")
    if payload["a"] == CANCEL and booking is None:
        raise LinkError(_("This link is not valid. Copy the whole link from the e-mail, or open the "
                          "booking in Lianxiang."), 400, "bad_link")
    return Link(user, payload["a"], booking, series, payload.get("n") if isinstance(payload.get("n"), int) else None)


def _ids_ok(payload: dict) -> bool:
    keys = [k for k in ("b", "s") if k in payload]
    return (len(keys) == 1 and all(isinstance(payload[k], int) and not isinstance(payload[k], bool)
                                   for k in ("u", keys[0])))


def obstacle(link: Link, roles: Roles, now) -> str | None:
    """Why the link's action can no longer be done, in words, or None when it still can."""
    if link.series is not None:
        return _series_obstacle(link, roles, now)
    booking = link.booking
    if link.action in (APPROVE, REJECT):
        if not roles.manages(booking.facility_id):
            return _("You no longer manage this facility.")
        if booking.status != PENDING:
            return _decided(booking)
        if booking.end_at <= now:
            return _("The requested time has passed.")
        return None
    if booking.enterprise_id != roles.enterprise_id and not roles.manages(booking.facility_id):
        return _("Only the booking's enterprise or the facility's managers may cancel it.")
    if booking.status == CANCELLED:
        return _cancelled(booking)
    if not services.can_cancel(roles, booking, now):
        if booking.status not in (PENDING, APPROVED):
            return _("This booking can no longer be cancelled (it is %(status)s).", status=booking.status_label)
        return _("The booking has already started; ask the facility's manager.")
    return None


def _series_obstacle(link: Link, roles: Roles, now) -> str | None:
    series = link.series
    if not roles.manages(series.facility_id):
        return _("You no longer manage this facility.")
    if not any(b.end_at > now for b in series_service.occurrences(series, (PENDING,))):
        return _("No date of this series is waiting for a decision any more.")
    return None


def _decided(booking: Booking) -> str:
    by = booking.decided_by.name if booking.decided_by else _("the system")
    if booking.status in (APPROVED, CHECKED_IN, COMPLETED):
        return _("This request has already been approved (by %(name)s).", name=by)
    if booking.status == REJECTED:
        return _("This request has already been rejected (by %(name)s): %(reason)s",
                 name=by, reason=booking.rejection_reason or "—")
    if booking.status == CANCELLED:
        return _cancelled(booking)
    return _("This booking is no longer waiting for a decision (it is %(status)s).", status=booking.status_label)


def _cancelled(booking: Booking) -> str:
    by = booking.cancelled_by.name if booking.cancelled_by else _("the system")
    return _("This booking has already been cancelled (by %(name)s).", name=by)


def _perform(link: Link, roles: Roles, reason: str, now) -> str:
    """Run the action through the workflow services; returns what to tell the user."""
    user = link.user
    if link.series is not None:
        if link.action == APPROVE:
            approved, _beaten = series_service.approve_series(user, roles, link.series, now)
            return ngettext("%(num)d date approved.", "%(num)d dates approved.", len(approved))
        rejected = series_service.reject_series(user, roles, link.series, reason, now)
        return ngettext("%(num)d date rejected.", "%(num)d dates rejected.", len(rejected))
    if link.action == APPROVE:
        beaten = services.approve(user, roles, link.booking, now)
        if beaten:
            return ngettext("Approved; %(num)d overlapping request was rejected.",
                            "Approved; %(num)d overlapping requests were rejected.", len(beaten))
        return _("Approved.")
    if link.action == REJECT:
        services.reject(user, roles, link.booking, reason, now)
        return _("Rejected.")
    services.cancel(user, roles, link.booking, reason, now)
    return _("The booking has been cancelled.")


def _page(link: Link, status: int = 200, **context):
    subject = link.subject
    dates = []
    if link.series is not None:
        now = utcnow()
        dates = [b for b in series_service.occurrences(link.series) if b.end_at > now]
    response = current_app.make_response((render_template(
        "notifications/action.html", link=link, booking=link.booking, series=link.series, dates=dates,
        facility=subject.facility, token=request.view_args["token"], **context), status))
    # The token in the address is a key: keep it out of caches and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/<token>")
def confirm(token: str):
    link = read_token(token)
    problem = obstacle(link, roles_of(link.user), utcnow())
    if problem:
        return _page(link, 409, problem=problem)
    return _page(link)


@bp.post("/<token>")
def perform(token: str):
    link = read_token(token)
    roles = roles_of(link.user)
    now = utcnow()
    problem = obstacle(link, roles, now)
    if problem:
        return _page(link, 409, problem=problem)
    reason = request.form.get("reason", "")
    try:
        done = _perform(link, roles, reason, now)
    except DomainError as error:
        db.session.rollback()
        if error.code == "reason_required" or error.field == "reason":
            return _page(link, error.status, error=error.message)
        return _page(link, error.status, problem=error.message)
    subject = link.subject
    record(link.user, "email_link_used", "series" if link.series else "booking", subject.id,
           link_action=link.action, notification_id=link.notification_id)
    db.session.commit()
    return _page(link, done=done)
