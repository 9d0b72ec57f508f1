"""Facility managers (and administrators): bookable hours, closures and maintenance windows."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..calendar.forms import ClosureImportForm
from ..calendar.imports import MAX_BYTES, import_closures
from ..errors import InvalidInput
from ..extensions import db
from ..facilities import services
from ..facilities.models import WEEKDAYS
from ..timeutil import local_at
from .common import bp, current_roles, form_status, show_error, viewer
from .forms import ClosureForm, HoursForm


@bp.get("/facilities/<int:facility_id>/hours")
@login_required
def facility_hours(facility_id: int):
    facility = services.get_managed(current_roles(), facility_id)
    return _page(facility, HoursForm(data=services.hours_as_text(facility)), ClosureForm(), ClosureImportForm())


@bp.post("/facilities/<int:facility_id>/hours")
@login_required
def facility_hours_save(facility_id: int):
    actor, roles = viewer()
    facility = services.get_managed(roles, facility_id)
    form = HoursForm()
    if form.validate_on_submit():
        try:
            windows = services.parse_hours({day: form[day].data for day in WEEKDAYS})
            services.set_hours(actor, roles, facility, windows)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The bookable hours have been saved."), "success")
            return redirect(url_for("admin.facility_hours", facility_id=facility_id))
    return _page(facility, form, ClosureForm(formdata=None), ClosureImportForm(formdata=None))


@bp.post("/facilities/<int:facility_id>/closures")
@login_required
def closure_add(facility_id: int):
    actor, roles = viewer()
    facility = services.get_managed(roles, facility_id)
    form = ClosureForm()
    if form.validate_on_submit():
        tz = facility.tz  # the form speaks the facility's local time; the database keeps UTC
        start = local_at(form.start_date.data, form.start_time.data.hour * 60 + form.start_time.data.minute, tz)
        end = local_at(form.end_date.data, form.end_time.data.hour * 60 + form.end_time.data.minute, tz)
        try:
            services.add_closure(actor, roles, facility, start, end, form.reason.data or "", form.kind.data)
        except InvalidInput as error:
            show_error(form, error, aliases={"start": "start_time", "end": "end_time"})
        else:
            db.session.commit()
            flash(_("The closure has been added."), "success")
            return redirect(url_for("admin.facility_hours", facility_id=facility_id))
    return _page(facility, HoursForm(formdata=None, data=services.hours_as_text(facility)), form,
                 ClosureImportForm(formdata=None))


@bp.post("/facilities/<int:facility_id>/closures/import")
@login_required
def closure_import(facility_id: int):
    actor, roles = viewer()
    facility = services.get_managed(roles, facility_id)
    form = ClosureImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(MAX_BYTES + 1)  # one byte more tells "too large" from "just fits"
        try:
            result = import_closures(actor, roles, facility, data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Maintenance windows imported: %(imported)d; skipped: %(skipped)d (events already over, "
                    "already listed, recurring, cancelled or incomplete).",
                    imported=result.imported, skipped=result.skipped), "success")
            return redirect(url_for("admin.facility_hours", facility_id=facility_id))
    return _page(facility, HoursForm(formdata=None, data=services.hours_as_text(facility)),
                 ClosureForm(formdata=None), form)


@bp.post("/facilities/<int:facility_id>/closures/<int:closure_id>/remove")
@login_required
def closure_remove(facility_id: int, closure_id: int):
    actor, roles = viewer()
    facility = services.get_managed(roles, facility_id)
    closure = services.get_closure(facility, closure_id)
    services.remove_closure(actor, roles, closure)
    db.session.commit()
    flash(_("The closure has been removed."), "success")
    return redirect(url_for("admin.facility_hours", facility_id=facility_id))


def _page(facility, hours_form, closure_form, import_form):
    return render_template("admin/facility_hours.html", facility=facility, hours_form=hours_form,
                           closure_form=closure_form, import_form=import_form,
                           closures=services.upcoming_closures(facility),
                           weekdays=WEEKDAYS), form_status(hours_form, closure_form, import_form)
