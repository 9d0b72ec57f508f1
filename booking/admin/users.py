"""Administrators: user accounts with their roles; deactivation (never deletion) and password resets."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..errors import InvalidInput
from ..extensions import db
from ..facilities import services as facility_services
from ..facilities.models import Facility
from ..organisation import people, services
from ..pagination import paginate
from .common import bp, choices, current_roles, form_status, none_choice, show_error, viewer
from .forms import PasswordResetForm, SearchForm, UserEditForm, UserForm


@bp.get("/users")
@login_required
def users():
    search = SearchForm(request.args)
    query = people.users_query(current_roles(), search.q.data or "").options(
        selectinload(User.managed_facilities))
    return render_template("admin/users.html", page=paginate(query), search=search)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def user_new():
    actor, roles = viewer()
    services.require_admin(roles)
    form = _with_choices(UserForm())
    if form.validate_on_submit():
        try:
            user = people.create_user(actor, roles, form.data)
            _set_managed(actor, roles, user, form)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The user has been created."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), form_status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int):
    actor, roles = viewer()
    user = people.get_user(roles, user_id)
    form = _edit_form(user)
    if form.validate_on_submit():
        try:
            people.update_user(actor, roles, user, form.data)
            _set_managed(actor, roles, user, form)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The user has been saved."), "success")
            return redirect(url_for("admin.users"))
    return _edit_page(user, form, PasswordResetForm(formdata=None))


@bp.post("/users/<int:user_id>/password")
@login_required
def user_password(user_id: int):
    actor, roles = viewer()
    user = people.get_user(roles, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            people.reset_password(actor, roles, user, form.password.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The password has been reset; the user's sessions have ended."), "success")
            return redirect(url_for("admin.user_edit", user_id=user_id))
    return _edit_page(user, _edit_form(user, formdata=None), form)


@bp.post("/users/<int:user_id>/deactivate")
@login_required
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
@login_required
def user_reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    actor, roles = viewer()
    user = people.get_user(roles, user_id)
    try:
        people.set_user_active(actor, roles, user, active)
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The account has been reactivated.") if active else _("The account has been deactivated."),
              "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


def _edit_form(user: User, **kwargs) -> UserEditForm:
    membership = user.membership
    return _with_choices(UserEditForm(
        obj=user, enterprise_id=membership.enterprise_id if membership else 0,
        role=membership.role if membership else "member",
        committee_chain_ids=[c.id for c in user.committee_chains],
        managed_facility_ids=[f.id for f in user.managed_facilities], **kwargs))


def _with_choices(form):
    form.enterprise_id.choices = none_choice(_("No enterprise")) + choices(services.all_enterprises())
    form.committee_chain_ids.choices = choices(services.all_chains())
    facilities = db.session.scalars(select(Facility).order_by(Facility.chain_id, Facility.name)).all()
    form.managed_facility_ids.choices = choices(
        facilities, lambda f: f"{f.display_name} ({f.chain.display_name})")
    return form


def _set_managed(actor, roles, user, form) -> None:
    facilities = services.load_all(Facility, form.managed_facility_ids.data, "managed_facility_ids")
    facility_services.set_managed_facilities(actor, roles, user, facilities)


def _edit_page(user, form, password_form):
    return (render_template("admin/user_form.html", form=form, user=user, password_form=password_form),
            form_status(form, password_form))
