"""Administrators: facilities with every rule and rate, and their managers."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..accounts.models import User
from ..errors import InvalidInput
from ..extensions import db
from ..facilities import services
from ..facilities.models import KINDS
from ..organisation import people
from ..organisation import services as organisation
from ..pagination import paginate
from .common import bp, choices, current_roles, form_status, none_choice, show_error, viewer
from .forms import FacilityFilterForm, FacilityForm


@bp.get("/facilities")
@login_required
def facilities():
    roles = current_roles()
    filters = FacilityFilterForm(request.args)
    kind = filters.kind.data if filters.kind.data in KINDS else None
    query = services.admin_query(roles, chain_id=filters.chain.data or None, kind=kind)
    filters.chain.choices = none_choice(_("All chains")) + choices(organisation.all_chains())
    page = paginate(query)
    return render_template("admin/facilities.html", page=page, filters=filters)


@bp.route("/facilities/new", methods=["GET", "POST"])
@login_required
def facility_new():
    return _facility_form(None)


@bp.route("/facilities/<int:facility_id>", methods=["GET", "POST"])
@login_required
def facility_edit(facility_id: int):
    return _facility_form(services.get_for_admin(current_roles(), facility_id))


def _facility_form(facility):
    actor, roles = viewer()
    services.require_admin(roles)
    if facility is None:
        form = FacilityForm()
    else:
        form = FacilityForm(obj=facility, host_enterprise_id=facility.host_enterprise_id or 0,
                            manager_ids=[u.id for u in facility.managers])
    form.chain_id.choices = choices(organisation.all_chains())
    form.host_enterprise_id.choices = (none_choice(_("The chain's committee"))
                                       + choices(organisation.all_enterprises()))
    form.manager_ids.choices = choices(people.all_users(), lambda u: f"{u.name} <{u.email}>")
    if form.validate_on_submit():
        try:
            saved = services.save_facility(actor, roles, facility, form.facility_data())
            managers = organisation.load_all(User, form.manager_ids.data, "manager_ids")
            if facility is None or {u.id for u in managers} != {u.id for u in saved.managers}:
                services.set_managers(actor, roles, saved, managers)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The facility has been saved."), "success")
            return redirect(url_for("admin.facilities"))
    return render_template("admin/facility_form.html", form=form, facility=facility), form_status(form)
