"""History pages: per booking, per facility, and the administrator's log."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.permissions import roles_of
from ..bookings.models import STATUSES
from ..extensions import db
from ..facilities.models import Facility
from ..pagination import paginate
from . import services
from .forms import LogFilterForm

bp = Blueprint("audit", __name__)


@bp.get("/bookings/<int:booking_id>/history")
@login_required
def booking(booking_id: int):
    booking, lines = services.booking_history(roles_of(current_user), booking_id)
    return render_template("audit/booking.html", booking=booking, lines=lines)


@bp.get("/facilities/<int:facility_id>/history")
@login_required
def facility(facility_id: int):
    facility = services.get_facility_for_history(roles_of(current_user), facility_id)
    page = paginate(services.facility_history_query(facility.id))
    lines = services.facility_lines(facility, page.items)
    return render_template("audit/facility.html", facility=facility, page=page, lines=lines)


@bp.get("/admin/log")
@login_required
def log():
    if not roles_of(current_user).is_admin:
        abort(403)
    form = LogFilterForm(request.args)
    facilities = db.session.scalars(select(Facility).order_by(Facility.name, Facility.id)).all()
    actions = [(key, str(label)) for key, label in services.ACTIONS.items()]
    actions += [(services.EVENT_PREFIX + status, _("Booking: %(status)s", status=label))
                for status, label in STATUSES.items()]
    form.set_choices(actions, [(k, str(v)) for k, v in services.OBJECT_TYPES.items()],
                     [(f.id, f.display_name) for f in facilities])
    valid = form.validate()
    if valid:
        filters = services.LogFilters(
            actor=(form.actor.data or "").strip(), action=form.action.data or "",
            object_type=form.object_type.data or "", facility_id=form.facility_id(),
            since=form.since.data, until=form.until.data,
            tz=current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
        page = paginate(services.log_query(filters), scalars=False)
        lines = services.log_lines(page.items)
    else:
        page, lines = None, []
    names = {f.id: f.display_name for f in facilities}
    return render_template("audit/log.html", form=form, page=page, lines=lines, facility_names=names,
                           object_label=services.object_label,
                           tzname=current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai"), \
        200 if valid else 422
