"""Administrators and enterprise admins: an enterprise's stand-alone baselines per facility kind.

The list and its forms also sit on the enterprise's administration page; every change comes
here and goes back where it came from (``next``), or to the enterprise's baselines page.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..accounts.routes import safe_next
from ..billing import baselines as services
from ..billing.forms import BaselineForm
from ..errors import InvalidInput
from ..extensions import db
from ..facilities.models import KINDS, OUTPUT_UNITS
from .common import bp, current_roles, form_status, show_error, viewer


@bp.get("/enterprises/<int:enterprise_id>/baselines")
@login_required
def baselines(enterprise_id: int):
    enterprise = services.get_baseline_enterprise(current_roles(), enterprise_id)
    return _page(enterprise, BaselineForm(formdata=None))


@bp.post("/enterprises/<int:enterprise_id>/baselines")
@login_required
def baseline_save(enterprise_id: int):
    actor, roles = viewer()
    enterprise = services.get_baseline_enterprise(roles, enterprise_id)
    form = BaselineForm()
    if form.validate_on_submit():
        try:
            services.save_baseline(actor, roles, enterprise, form.kind.data, form.output_per_hour.data,
                                   form.output_unit.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The baseline has been saved."), "success")
            return redirect(_back(enterprise_id))
    return _page(enterprise, form), form_status(form)


@bp.post("/enterprises/<int:enterprise_id>/baselines/<int:baseline_id>/delete")
@login_required
def baseline_delete(enterprise_id: int, baseline_id: int):
    actor, roles = viewer()
    enterprise = services.get_baseline_enterprise(roles, enterprise_id)
    services.delete_baseline(actor, roles, enterprise, baseline_id)
    db.session.commit()
    flash(_("The baseline has been deleted."), "success")
    return redirect(_back(enterprise_id))


def _back(enterprise_id: int) -> str:
    return safe_next(request.form.get("next"), url_for("admin.baselines", enterprise_id=enterprise_id))


def section(enterprise, form: BaselineForm | None = None) -> dict:
    """What the baselines section of a page needs (admin/_baselines.html)."""
    return {"baselines": services.baselines_of(enterprise), "baseline_form": form or BaselineForm(formdata=None),
            "kinds": KINDS, "output_units": OUTPUT_UNITS}


def _page(enterprise, form):
    return render_template("admin/baselines.html", enterprise=enterprise, **section(enterprise, form))
