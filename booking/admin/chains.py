"""Administrators: chains with their member enterprises and committee."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..errors import InvalidInput
from ..extensions import db
from ..organisation import people, services
from ..pagination import paginate
from .common import bp, choices, current_roles, form_status, show_error, viewer
from .forms import ChainForm


@bp.get("/chains")
@login_required
def chains():
    page = paginate(services.chains_query(current_roles()), scalars=False)
    return render_template("admin/chains.html", page=page)


@bp.route("/chains/new", methods=["GET", "POST"])
@login_required
def chain_new():
    return _chain_form(None)


@bp.route("/chains/<int:chain_id>", methods=["GET", "POST"])
@login_required
def chain_edit(chain_id: int):
    return _chain_form(services.get_chain(current_roles(), chain_id))


def _chain_form(chain):
    actor, roles = viewer()
    services.require_admin(roles)
    if chain is None:
        form = ChainForm()
    else:
        form = ChainForm(obj=chain, enterprise_ids=[e.id for e in chain.enterprises],
                         committee_ids=[u.id for u in chain.committee])
    form.enterprise_ids.choices = choices(services.all_enterprises())
    form.committee_ids.choices = choices(people.all_users(), lambda u: f"{u.name} <{u.email}>")
    if form.validate_on_submit():
        try:
            services.save_chain(actor, roles, chain, form.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The chain has been saved."), "success")
            return redirect(url_for("admin.chains"))
    return render_template("admin/chain_form.html", form=form, chain=chain), form_status(form)
