"""Administrators: enterprises, their unified social credit codes and chains."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..errors import InvalidInput
from ..extensions import db
from ..organisation import services
from ..pagination import paginate
from . import baselines
from .common import bp, choices, current_roles, form_status, show_error, viewer
from .forms import EnterpriseForm, SearchForm


@bp.get("/enterprises")
@login_required
def enterprises():
    search = SearchForm(request.args)
    page = paginate(services.enterprises_query(current_roles(), search.q.data or ""), scalars=False)
    return render_template("admin/enterprises.html", page=page, search=search)


@bp.route("/enterprises/new", methods=["GET", "POST"])
@login_required
def enterprise_new():
    return _enterprise_form(None)


@bp.route("/enterprises/<int:enterprise_id>", methods=["GET", "POST"])
@login_required
def enterprise_edit(enterprise_id: int):
    return _enterprise_form(services.get_enterprise(current_roles(), enterprise_id))


def _enterprise_form(enterprise):
    actor, roles = viewer()
    services.require_admin(roles)
    if enterprise is None:
        form = EnterpriseForm()
    else:
        form = EnterpriseForm(obj=enterprise, chain_ids=[c.id for c in enterprise.chains])
    form.chain_ids.choices = choices(services.all_chains())
    if form.validate_on_submit():
        try:
            services.save_enterprise(actor, roles, enterprise, form.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The enterprise has been saved."), "success")
            return redirect(url_for("admin.enterprises"))
    extra = baselines.section(enterprise) if enterprise is not None else {}
    return render_template("admin/enterprise_form.html", form=form, enterprise=enterprise, **extra), form_status(form)
