"""The notification centre and each user's choice of how to be told."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..accounts.forms import LanguageForm
from ..accounts.permissions import roles_of
from ..bookings.models import Booking, Series
from ..bookings.series import get_series, occurrences
from ..errors import InvalidInput
from ..extensions import db
from ..facilities.models import Facility
from ..pagination import paginate
from ..timeutil import utcnow
from ..web import select_locale
from . import models as kinds
from .forms import MarkAllReadForm, PreferencesForm
from .models import BOTH, KINDS, NONE, UNMUTABLE, Notification, NotificationPreference
from .render import summary

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

# Who receives which kinds: managers are asked to decide, members hear about their bookings.
MANAGER_KINDS = (kinds.REQUEST_SUBMITTED, kinds.PENDING_EXPIRING, kinds.CANCELLED)
MEMBER_KINDS = (kinds.APPROVED, kinds.REJECTED, kinds.CANCELLED, kinds.PENDING_EXPIRING, kinds.REMINDER,
                kinds.WAITLIST_FREED, kinds.SERIES_ENDING, kinds.QUOTA_NEARLY_USED)


@bp.app_context_processor
def _unread():
    """The navigation's unread count: one COUNT, only when a page asks for it."""
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == current_user.id, Notification.in_app.is_(True),
            Notification.read_at.is_(None))) or 0
    return {"unread_notifications": unread_notifications}


def _own_query():
    return select(Notification).where(Notification.user_id == current_user.id, Notification.in_app.is_(True))


@bp.get("")
@login_required
def index():
    query = _own_query().options(
        joinedload(Notification.booking).joinedload(Booking.facility),
        joinedload(Notification.booking).joinedload(Booking.enterprise),
        joinedload(Notification.series).joinedload(Series.facility),
        joinedload(Notification.series).joinedload(Series.enterprise),
    ).order_by(Notification.created_at.desc(), Notification.id.desc())
    page = paginate(query)
    _preload_facilities(page.items)
    rows = [(n, summary(n)) for n in page.items]
    return render_template("notifications/index.html", page=page, rows=rows, form=MarkAllReadForm())


def _preload_facilities(notifications) -> None:
    """Messages about a slot rather than a booking (waiting lists, quotas) name their facility by id:
    load those facilities at once so that rendering them costs nothing."""
    ids = {n.params.get("facility_id") for n in notifications
           if n.booking_id is None and n.series_id is None and isinstance(n.params, dict)}
    ids = {i for i in ids if isinstance(i, int)}
    if ids:
        db.session.scalars(select(Facility).where(Facility.id.in_(ids))).all()


@bp.post("/read")
@login_required
def mark_all_read():
    form = MarkAllReadForm()
    if form.validate_on_submit():
        db.session.execute(update(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None),
            Notification.in_app.is_(True)).values(read_at=utcnow()))
        db.session.commit()
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.get("/<int:notification_id>/open", endpoint="open")
@login_required
def open_notification(notification_id: int):
    notification = db.session.scalar(_own_query().where(Notification.id == notification_id))
    if notification is None:
        abort(404)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return redirect(summary(notification).url or url_for("notifications.index"))


@bp.get("/series/<int:series_id>")
@login_required
def series(series_id: int):
    """A series is shown on its occurrences' pages: go to the next one still to come (or the last)."""
    row = get_series(roles_of(current_user), series_id)
    dates = occurrences(row)
    if not dates:
        abort(404)
    now = utcnow()
    target = next((b for b in dates if b.end_at > now), dates[-1])
    return redirect(url_for("bookings.detail", booking_id=target.id))


def relevant_kinds(roles) -> list[str]:
    """The kinds a user can receive, in the catalogue's order."""
    wanted = set()
    if roles.is_manager or roles.is_admin:
        wanted.update(MANAGER_KINDS)
    if roles.enterprise_id is not None or roles.is_admin:
        wanted.update(MEMBER_KINDS)
    if not wanted:
        wanted = set(KINDS) - set(UNMUTABLE)
    return [kind for kind in KINDS if kind in wanted]


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    shown = relevant_kinds(roles_of(current_user))
    stored = {p.kind: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == current_user.id))}
    data = {kind: stored[kind].channels if kind in stored else BOTH for kind in shown}
    form = PreferencesForm.for_kinds(shown, data=None if request.method == "POST" else data)
    if form.validate_on_submit():
        try:
            save_preferences(current_user, form.chosen(), stored)
        except InvalidInput as error:
            db.session.rollback()
            form[error.field or shown[0]].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    language = LanguageForm(locale=current_user.locale or select_locale(), next=url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, language=language), \
        422 if form.errors else 200


def save_preferences(user, chosen: dict[str, str], stored: dict[str, NotificationPreference]) -> None:
    """Write one row per kind (the caller commits); approval requests cannot be muted."""
    for kind, channels in chosen.items():
        if kind not in KINDS:
            raise InvalidInput(_("Unknown kind of notification."), field=None)
        if kind in UNMUTABLE and channels == NONE:
            raise InvalidInput(_("Approval requests cannot be switched off: without them nothing gets decided."),
                               field=kind)
        if kind in stored:
            stored[kind].channels = channels
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, channels=channels))
    db.session.flush()
