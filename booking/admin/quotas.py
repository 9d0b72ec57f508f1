"""Quotas: administrators set them on any facility or kind, facility managers on their facilities."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..organisation import services as organisation
from ..organisation.models import Chain, Enterprise
from ..quotas import services
from ..quotas.forms import QuotaForm
from .common import bp, choices, form_status, none_choice, show_error, viewer


def _fill_choices(form: QuotaForm, roles) -> None:
    query = select(Facility).order_by(Facility.name, Facility.id)
    if not roles.is_admin:
        query = query.where(Facility.id.in_(roles.managed_facility_ids))
        del form.scope, form.kind, form.chain_id  # managers set quotas on their own facilities only
    facilities = db.session.scalars(query).all()
    form.facility_id.choices = none_choice(_("Choose a facility")) + choices(
        facilities, lambda f: f"{f.display_name} · {f.chain.display_name}")
    if roles.is_admin:
        form.chain_id.choices = none_choice(_("Every chain")) + choices(organisation.all_chains())
        enterprises = organisation.all_enterprises()
    else:
        chain_ids = {f.chain_id for f in facilities}
        enterprises = db.session.scalars(select(Enterprise).where(Enterprise.chains.any(
            Chain.id.in_(chain_ids))).order_by(Enterprise.name)).all() if chain_ids else []
    form.enterprise_id.choices = none_choice(_("Every enterprise (each counted on its own)")) + choices(enterprises)


def _render(form: QuotaForm, roles):
    active = services.listing(roles)
    retired = services.listing(roles, retired=True)
    people = services.users_by_id([q.created_by_id for q in active + retired]
                                  + [q.deleted_by_id for q in retired])
    return render_template("admin/quotas.html", form=form, active=active, retired=retired, people=people,
                           can_manage=lambda q: services.can_manage(roles, q), scope_text=services.scope_text,
                           limit_text=services.limit_text), form_status(form)


@bp.route("/quotas", methods=["GET", "POST"])
@login_required
def quotas():
    """Every quota the viewer oversees, the retired ones apart, and the form for a new one."""
    actor, roles = viewer()
    if not (roles.is_admin or roles.is_manager):
        abort(403)
    form = QuotaForm()
    _fill_choices(form, roles)
    if form.validate_on_submit():
        data = form.quota_data()
        by_kind = data["facility_id"] is None and "scope" in form and form.scope.data == "kind"
        aliases = {"resource_id": "kind" if by_kind else "facility_id", "limit_hours": "limit",
                   "limit_bookings": "limit"}
        try:
            services.create_quota(actor, roles, data)
        except DomainError as error:  # a refusal of the scope a manager may not set, too
            show_error(form, error, aliases)
        else:
            db.session.commit()
            flash(_("The quota has been set."), "success")
            return redirect(url_for("admin.quotas"))
    return _render(form, roles)


@bp.post("/quotas/<int:quota_id>/retire")
@login_required
def quota_retire(quota_id: int):
    actor, roles = viewer()
    if not (roles.is_admin or roles.is_manager):
        abort(403)
    try:
        quota = services.get_quota(roles, quota_id)
    except NotFound:
        abort(404 if roles.is_admin else 403)  # nobody else learns which quotas exist
    try:
        services.retire_quota(actor, roles, quota)
    except Forbidden:
        abort(403)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The quota has been retired; it no longer counts."), "success")
    return redirect(url_for("admin.quotas"))
