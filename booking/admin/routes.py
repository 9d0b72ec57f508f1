"""Administration: chains, enterprises, facilities and users for administrators, hours and
closures for facility managers, members for enterprise admins.

The views live in one module per section; importing them here registers them on ``bp``.
"""
from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required
from sqlalchemy import select

from ..extensions import db
from ..facilities.models import Facility
from . import baselines, chains, enterprises, facilities, hours, members, quotas, users  # noqa: F401 - registers the views
from .common import bp, current_roles

__all__ = ["bp"]


@bp.get("/")
@login_required
def index():
    """The sections the viewer may use; nobody else has any business here."""
    roles = current_roles()
    if not (roles.is_admin or roles.is_manager or roles.is_enterprise_admin):
        abort(403)
    managed = []
    if roles.managed_facility_ids:
        managed = db.session.scalars(select(Facility).where(Facility.id.in_(roles.managed_facility_ids))
                                     .order_by(Facility.name, Facility.id)).all()
    return render_template("admin/index.html", managed=managed)
