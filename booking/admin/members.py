"""Enterprise admins (and administrators): the members of one enterprise.

Every lookup goes through the enterprise in the URL, so another enterprise's user is
simply not found here whatever id is typed in.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..errors import InvalidInput
from ..extensions import db
from ..organisation import people
from ..pagination import paginate
from .common import bp, current_roles, form_status, show_error, viewer
from .forms import MemberForm, MemberRoleForm


@bp.get("/enterprises/<int:enterprise_id>/members")
@login_required
def members(enterprise_id: int):
    roles = current_roles()
    enterprise = people.get_member_enterprise(roles, enterprise_id)
    page = paginate(people.members_query(roles, enterprise))
    return render_template("admin/members.html", enterprise=enterprise, page=page,
                           member_roles=people.MEMBER_ROLES)


@bp.route("/enterprises/<int:enterprise_id>/members/new", methods=["GET", "POST"])
@login_required
def member_new(enterprise_id: int):
    actor, roles = viewer()
    enterprise = people.get_member_enterprise(roles, enterprise_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            people.add_member(actor, roles, enterprise, form.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The member has been added."), "success")
            return redirect(url_for("admin.members", enterprise_id=enterprise_id))
    return render_template("admin/member_form.html", form=form, enterprise=enterprise), form_status(form)


@bp.post("/enterprises/<int:enterprise_id>/members/<int:user_id>/role")
@login_required
def member_role(enterprise_id: int, user_id: int):
    actor, roles = viewer()
    enterprise = people.get_member_enterprise(roles, enterprise_id)
    user = people.get_member(roles, enterprise, user_id)
    form = MemberRoleForm()
    if form.validate_on_submit():
        return _act(lambda: people.set_member_role(actor, roles, enterprise, user, form.role.data),
                    enterprise_id, _("The role has been changed."))
    flash(_("Unknown role."), "error")
    return redirect(url_for("admin.members", enterprise_id=enterprise_id))


@bp.post("/enterprises/<int:enterprise_id>/members/<int:user_id>/deactivate")
@login_required
def member_deactivate(enterprise_id: int, user_id: int):
    return _set_active(enterprise_id, user_id, False)


@bp.post("/enterprises/<int:enterprise_id>/members/<int:user_id>/reactivate")
@login_required
def member_reactivate(enterprise_id: int, user_id: int):
    return _set_active(enterprise_id, user_id, True)


def _set_active(enterprise_id: int, user_id: int, active: bool):
    actor, roles = viewer()
    enterprise = people.get_member_enterprise(roles, enterprise_id)
    user = people.get_member(roles, enterprise, user_id)
    return _act(lambda: people.set_user_active(actor, roles, user, active), enterprise_id,
                _("The account has been reactivated.") if active else _("The account has been deactivated."))


def _act(change, enterprise_id: int, success: str):
    """Run one change from a button on the member list and go back to the list."""
    try:
        change()
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("admin.members", enterprise_id=enterprise_id))
