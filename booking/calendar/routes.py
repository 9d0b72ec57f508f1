"""Calendar pages: a booking as .ics, the subscribable feeds, and the page that manages them.

The feed URL needs no sign-in: its signed token is the credential. It answers
conditional GETs from one aggregate query, so clients that poll every few minutes
cost little; clients that fetch in full get the answer kept for the same version
(calendar_feed_bodies) instead of a new rendering.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..accounts.permissions import roles_of
from ..bookings.services import get_booking
from ..errors import InvalidInput
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.services import visible_query
from ..timeutil import utcnow
from . import ics, services
from .forms import FeedForm
from .links import feed_url, webcal_url
from .models import FEED_KINDS

bp = Blueprint("calendar", __name__)

FEED_CACHE_CONTROL = "private, max-age=300"


@bp.get("/calendar/feeds/<token>.ics")
def feed(token: str):
    feed = services.feed_for_token(token)
    roles = services.feed_roles(feed)
    now = utcnow()
    # The owner reads the feed in their language, whoever's client fetches it.
    languages = current_app.config["LANGUAGES"]
    locale = feed.user.locale if feed.user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        version = services.feed_version(feed, roles, locale, now)
        if _not_modified(version.etag, version.last_modified):
            response = Response(status=304)
        else:
            body = services.kept_body(feed, version)
            if body is None:
                bookings = services.feed_bookings(feed, roles, now)
                body = ics.calendar_for(bookings, roles, name=services.feed_title(feed),
                                        uid=f"feed-{feed.id}@{ics.uid_domain()}", now=now).to_ical()
                services.keep_body(feed, version, body)
            response = Response(body, mimetype="text/calendar")
            response.content_type = ics.MEDIA_TYPE
    response.set_etag(version.etag, weak=True)  # DTSTAMP differs between two equal answers
    response.last_modified = version.last_modified
    response.headers["Cache-Control"] = FEED_CACHE_CONTROL
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _not_modified(etag: str, last_modified: datetime) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since counts only without it."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified.replace(microsecond=0) <= since


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int):
    roles = roles_of(current_user)
    booking = get_booking(roles, booking_id)
    response = Response(ics.booking_ics(booking, roles), mimetype="text/calendar")
    response.content_type = ics.MEDIA_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="booking-{booking.id}.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/calendar")
@login_required
def index():
    return _page(_form(formdata=None))


@bp.post("/calendar/feeds")
@login_required
def create():
    form = _form()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.create_feed(user, roles_of(user), form.kind.data, form.facility_id.data or None)
        except InvalidInput as error:
            db.session.rollback()
            target = form.facility_id if error.field == "resource_id" else form.kind
            target.errors = [*target.errors, error.message]
        else:
            db.session.commit()
            flash(_("The calendar feed has been created. Copy its address into your calendar app."), "success")
            return redirect(url_for("calendar.index"))
    return _page(form)


@bp.post("/calendar/feeds/<int:feed_id>/renew")
@login_required
def renew(feed_id: int):
    user = current_user._get_current_object()
    services.renew_feed(user, services.get_feed(user, feed_id))
    db.session.commit()
    flash(_("The feed has a new address; the old one no longer works. Update your calendar app."), "success")
    return redirect(url_for("calendar.index"))


@bp.post("/calendar/feeds/<int:feed_id>/revoke")
@login_required
def revoke(feed_id: int):
    user = current_user._get_current_object()
    services.revoke_feed(user, services.get_feed(user, feed_id))
    db.session.commit()
    flash(_("The feed has been revoked; its address no longer works."), "success")
    return redirect(url_for("calendar.index"))


def _form(**kwargs) -> FeedForm:
    """The form with the kinds and facilities this user may choose."""
    roles = roles_of(current_user)
    form = FeedForm(**kwargs)
    allowed = [kind for kind in FEED_KINDS
               if not (kind == "enterprise" and roles.enterprise_id is None)
               and not (kind == "queue" and not (roles.is_manager or roles.is_admin))]
    form.kind.choices = [SelectChoice(kind, str(FEED_KINDS[kind])) for kind in allowed]
    facilities = db.session.scalars(visible_query(roles).where(Facility.active)
                                    .order_by(Facility.name, Facility.id)).all()
    form.facility_id.choices = ([SelectChoice(0, "—")]
                                + [SelectChoice(f.id, f.display_name) for f in facilities])
    return form


def _page(form: FeedForm):
    feeds = services.list_feeds(current_user)
    rows = [{"feed": f, "title": services.feed_title(f), "url": feed_url(f), "webcal": webcal_url(f)}
            for f in feeds]
    return render_template("calendar/feeds.html", form=form, rows=rows), 422 if form.errors else 200
