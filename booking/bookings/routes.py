"""Pages of the booking workflow: request, our bookings, a booking, the approval queue.

CSRFProtect guards every POST; the services validate reasons and states.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..accounts.permissions import roles_of
from ..accounts.routes import safe_next
from ..billing.charges import CHARGE_KINDS
from ..errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.services import get_visible
from ..i18n import moment
from ..organisation.models import Enterprise
from ..pagination import paginate
from ..quotas import services as quotas
from ..timeutil import parse_iso, utcnow
from ..waitlist.forms import JoinForm
from . import recurrence, series, services
from .forms import BookingFilterForm, BookingRequestForm
from .models import OPEN, PENDING, STATUSES, Booking
from .spans import current_longest_block

bp = Blueprint("bookings", __name__)


@bp.get("/")
@login_required
def home():
    roles = roles_of(current_user)
    now = utcnow()
    upcoming = []
    if roles.enterprise_id:
        upcoming = db.session.scalars(
            services.visible_query(roles).where(Booking.enterprise_id == roles.enterprise_id,
                                                Booking.status.in_(OPEN), Booking.end_at > now)
            .order_by(Booking.start_at).limit(8)).all()
    pending_count = 0
    if roles.is_manager or roles.is_admin:
        query = select(func.count(Booking.id)).where(Booking.status == PENDING, Booking.end_at > now)
        if not roles.is_admin:
            query = query.where(Booking.facility_id.in_(roles.managed_facility_ids))
        pending_count = db.session.scalar(query)
    return render_template("bookings/home.html", upcoming=upcoming, pending_count=pending_count,
                           chains=_visible_chains(roles))


def _visible_chains(roles):
    from ..organisation.models import Chain
    ids = roles.visible_chain_ids()
    query = select(Chain).order_by(Chain.name)
    if ids is not None:
        query = query.where(Chain.id.in_(ids))
    return db.session.scalars(query).all()


@bp.get("/bookings")
@login_required
def mine():
    roles = roles_of(current_user)
    if roles.enterprise_id is None:
        abort(404)
    form = BookingFilterForm(request.args)
    form.status.choices = [("", _("All statuses"))] + [(k, str(v)) for k, v in STATUSES.items()]
    query = services.visible_query(roles).where(Booking.enterprise_id == roles.enterprise_id)
    now = utcnow()
    when = form.when.data or "upcoming"
    if when == "upcoming":
        query = query.where(Booking.end_at > now, Booking.start_at > now - current_longest_block()
                            ).order_by(Booking.start_at)
    elif when == "past":
        query = query.where(Booking.end_at <= now).order_by(Booking.start_at.desc())
    else:
        query = query.order_by(Booking.start_at.desc())
    if form.status.data in STATUSES:
        query = query.where(Booking.status == form.status.data)
    page = paginate(query, per_page=25)
    return render_template("bookings/mine.html", page=page, form=form)


@bp.route("/bookings/new", methods=["GET", "POST"])
@login_required
def new():
    roles = roles_of(current_user)
    facility = get_visible(roles, request.args.get("facility_id", type=int) or 0)
    form = BookingRequestForm()
    manager = roles.manages(facility.id)
    if manager:
        enterprises = db.session.scalars(select(Enterprise).where(Enterprise.chains.any(id=facility.chain_id))
                                         .order_by(Enterprise.name)).all()
        form.enterprise_id.choices = [(0, _("Choose an enterprise"))] * (roles.enterprise_id is None) + \
            [(e.id, e.display_name) for e in enterprises]
    else:
        del form.enterprise_id, form.override
    if request.method == "GET":
        _prefill(form, facility, request.args.get("start"))
    preview = join_form = None
    if form.validate_on_submit():
        start, end = _interval(form, facility)
        options = {"enterprise_id": (form.enterprise_id.data or None) if manager else None,
                   "override": bool(manager and form.override.data)}
        try:
            rrule = _rrule(form, start.date()) if form.repeat.data else None
            if request.form.get("preview"):
                preview = series.plan_series(current_user, roles, facility, start, end, rrule or "FREQ=DAILY;COUNT=1",
                                             **options)
            elif rrule:
                return _request_series(roles, facility, form, start, end, rrule, options)
            else:
                booking = services.request_booking(current_user, roles, facility, start, end,
                                                   purpose=form.purpose.data, planned_output=form.planned_output.data,
                                                   **options)
                db.session.commit()
                if booking.status == PENDING:
                    flash(_("Your request has been sent to the facility's managers."), "success")
                else:
                    flash(_("Booked. The slot is yours."), "success")
                return redirect(url_for("bookings.detail", booking_id=booking.id))
        except (InvalidInput, Conflict, Forbidden) as error:
            db.session.rollback()
            _attach(form, error)
            if error.code in ("series_conflicts", "no_dates_left"):
                preview = series.plan_series(current_user, roles, facility, start, end, rrule, **options)
            elif error.code == "slot_taken" and not form.repeat.data and roles.enterprise_id is not None \
                    and options["enterprise_id"] in (None, roles.enterprise_id):
                join_form = _join_offer(facility, start, end, form.purpose.data)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("bookings/new.html", form=form, facility=facility, preview=preview,
                           join_form=join_form, max_occurrences=recurrence.MAX_OCCURRENCES), status


def _join_offer(facility, start: datetime, end: datetime, purpose: str | None) -> JoinForm:
    """The slot is taken: offer to wait for it (the waiting list's page takes the form)."""
    return JoinForm(formdata=None, facility_id=facility.id, start=start.isoformat(), end=end.isoformat(),
                    purpose=purpose or "")


def _rrule(form: BookingRequestForm, start_day) -> str:
    by_date = form.ends.data == "until"
    return recurrence.build_rrule(
        form.repeat.data, start_day, interval=form.interval.data or 1, weekdays=form.weekdays.data or (),
        month_day=form.month_day.data, nth=form.nth.data, nth_weekday=form.nth_weekday.data,
        until=form.until.data if by_date else None, count=None if by_date else form.count.data)


def _request_series(roles, facility, form, start, end, rrule, options):
    _series, bookings, skipped = series.request_series(
        current_user, roles, facility, start, end, rrule, purpose=form.purpose.data,
        planned_output=form.planned_output.data, skip_conflicts=form.skip_conflicts.data, **options)
    db.session.commit()
    if bookings[0].status == PENDING:
        flash(ngettext("Your request for %(num)d date has been sent to the facility's managers.",
                       "Your requests for %(num)d dates have been sent to the facility's managers.", len(bookings)),
              "success")
    else:
        flash(ngettext("Booked %(num)d date.", "Booked %(num)d dates.", len(bookings)), "success")
    if skipped:
        tz = facility.tz
        flash(_("Skipped because they cannot be booked: %(dates)s",
                dates="; ".join(f"{moment(s, tz, 'date')} ({message})" for s, _e, _code, message in skipped)),
              "warning")
    return redirect(url_for("bookings.detail", booking_id=bookings[0].id))


def _prefill(form: BookingRequestForm, facility, start_text: str | None) -> None:
    try:
        start = parse_iso(start_text) if start_text else None
    except ValueError:
        start = None
    if start is None:
        return
    local = start.astimezone(facility.tz)
    end = local + timedelta(minutes=max(facility.min_minutes, facility.slot_minutes))
    form.start_date.data, form.start_time.data = local.date(), local.time()
    form.end_date.data, form.end_time.data = end.date(), end.time()
    # The repeat choices default to the start's weekday, day of the month and week of the month.
    form.weekdays.data = [local.weekday()]
    form.month_day.data = local.day
    form.nth.data = -1 if local.day > 28 else (local.day - 1) // 7 + 1
    form.nth_weekday.data = local.weekday()


def _interval(form: BookingRequestForm, facility) -> tuple[datetime, datetime]:
    tz = facility.tz
    start = datetime.combine(form.start_date.data, form.start_time.data, tzinfo=tz)
    end = datetime.combine(form.end_date.data or form.start_date.data, form.end_time.data, tzinfo=tz)
    return start, end


def _attach(form, error: DomainError) -> None:
    field = {"start": "start_time", "end": "end_time", "purpose": "purpose",
             "enterprise_id": "enterprise_id", "rrule": "repeat"}.get(error.field or "")
    if field and hasattr(form, field):
        getattr(form, field).errors.append(error.message)
    else:
        form.form_errors.append(error.message)


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    roles = roles_of(current_user)
    booking = services.get_booking(roles, booking_id)
    return render_template("bookings/detail.html", booking=booking, charge_kinds=CHARGE_KINDS,
                           can_cancel=services.can_cancel(roles, booking),
                           can_decide=roles.manages(booking.facility_id) and booking.status == PENDING,
                           series=series_view(roles, booking))


def _decide(booking_id: int, action, done: str):
    """Run one workflow action, commit, and go back where the person came from.

    Refusals a person can act on (a conflict, a wrong state, a missing reason) are
    flashed; 403 and 404 stay errors.
    """
    roles = roles_of(current_user)
    booking = services.get_booking(roles, booking_id)
    back = safe_next(request.form.get("next"), url_for("bookings.detail", booking_id=booking_id))
    return act_and_return(lambda: action(roles, booking) or done, back)


def act_and_return(action, back: str):
    """Run one action, commit once and go back with its message; a refusal is flashed and changes nothing."""
    try:
        message = action()
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(message, "success")
    return redirect(back)


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    reason = request.form.get("reason", "")
    return _decide(booking_id, lambda roles, b: services.cancel(current_user, roles, b, reason),
                   _("The booking has been cancelled."))


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def approve(booking_id: int):
    def action(roles, booking):
        rejected = services.approve(current_user, roles, booking)
        if rejected:
            return ngettext("Approved; %(num)d overlapping request was rejected.",
                            "Approved; %(num)d overlapping requests were rejected.", len(rejected))
        return None
    return _decide(booking_id, action, _("Approved."))


@bp.post("/bookings/<int:booking_id>/reject")
@login_required
def reject(booking_id: int):
    reason = request.form.get("reason", "")
    return _decide(booking_id, lambda roles, b: services.reject(current_user, roles, b, reason),
                   _("Rejected."))


@bp.get("/queue")
@login_required
def queue():
    roles = roles_of(current_user)
    if not (roles.is_manager or roles.is_admin):
        abort(403)
    facility_id = request.args.get("facility_id", type=int)
    page = paginate(services.approval_queue_query(roles, facility_id))
    query = select(Facility).order_by(Facility.name)
    if not roles.is_admin:
        query = query.where(Facility.id.in_(roles.managed_facility_ids))
    return render_template("bookings/queue.html", page=page, conflicts_of=services.competing(page.items),
                           overruns=quotas.overruns_for(page.items), facilities=db.session.scalars(query).all(),
                           facility_id=facility_id)


# The series pages register themselves on ``bp``.
from .series_routes import series_view
