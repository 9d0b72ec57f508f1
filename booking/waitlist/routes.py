"""Joining, seeing and leaving waiting lists.

CSRFProtect guards every POST; the services check membership, rules and states.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.permissions import roles_of
from ..bookings.routes import act_and_return
from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.services import get_visible
from ..timeutil import parse_iso
from . import services
from .forms import JoinForm

bp = Blueprint("waitlist", __name__, url_prefix="/waitlist")

HISTORY = 50  # closed entries shown under the waiting ones


def _managed_facilities(roles) -> list[Facility]:
    if not (roles.is_admin or roles.is_manager):
        return []
    query = select(Facility).order_by(Facility.name)
    if not roles.is_admin:
        query = query.where(Facility.id.in_(roles.managed_facility_ids))
    return db.session.scalars(query).all()


@bp.get("")
@login_required
def index():
    """Our enterprise's entries: the waiting ones with their place in line, then the closed ones."""
    roles = roles_of(current_user)
    facilities = _managed_facilities(roles)
    if roles.enterprise_id is None and not facilities:
        abort(404)
    waiting, closed = [], []
    if roles.enterprise_id is not None:
        waiting = services.enterprise_entries(roles.enterprise_id, waiting=True)
        closed = services.enterprise_entries(roles.enterprise_id, waiting=False, limit=HISTORY)
    return render_template("waitlist/index.html", waiting=waiting, closed=closed,
                           positions=services.positions(waiting), facilities=facilities,
                           can_withdraw=lambda e: services.can_withdraw(roles, e))


@bp.get("/facility/<int:facility_id>")
@login_required
def facility(facility_id: int):
    """A facility's line, for its managers."""
    roles = roles_of(current_user)
    facility = get_visible(roles, facility_id)
    if not roles.manages(facility.id):
        abort(403)
    entries = services.facility_line(facility)
    return render_template("waitlist/facility.html", facility=facility, entries=entries,
                           positions=services.positions(entries))


@bp.post("/join")
@login_required
def join():
    """Join from the request page after the slot turned out to be taken."""
    roles = roles_of(current_user)
    form = JoinForm()
    if not form.validate_on_submit():
        flash(_("The slot to wait for is missing; please request it again."), "error")
        return redirect(url_for("schedule.facilities"))
    facility = get_visible(roles, form.facility_id.data)
    try:
        start, end = parse_iso(form.start.data), parse_iso(form.end.data)
    except (ValueError, OverflowError):
        flash(_("The slot to wait for is missing; please request it again."), "error")
        return redirect(url_for("bookings.new", facility_id=facility.id))
    try:
        services.join(current_user, roles, facility, start, end, purpose=form.purpose.data or "",
                      auto_request=form.auto_request.data)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("bookings.new", facility_id=facility.id, start=start.isoformat()))
    db.session.commit()
    flash(_("You are on the waiting list; we will tell you when the slot frees up."), "success")
    return redirect(url_for("waitlist.index"))


@bp.post("/<int:entry_id>/withdraw")
@login_required
def withdraw(entry_id: int):
    roles = roles_of(current_user)
    entry = services.get_entry(roles, entry_id)
    return act_and_return(lambda: services.withdraw(current_user, roles, entry)
                          or _("You have left the waiting list."), url_for("waitlist.index"))
