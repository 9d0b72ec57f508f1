"""Resources (facilities) and their availability.

A listing issues a fixed number of queries: the facilities, then the hours and
the closures of all of them at once.
"""
from __future__ import annotations

from datetime import timedelta

from flask import g
from flask_babel import gettext as _

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..facilities.services import closures_by_facility, get_visible, hours_by_facility, visible_query
from ..schedule.services import availability
from ..timeutil import utcnow
from . import bp
from .parsing import arg_choices, arg_datetime, arg_int, check_interval
from .serializers import resource_json

MAX_WINDOW_DAYS = 62


def visible_resource(resource_id: int, *, error: type[NotFound] | type[InvalidInput] = NotFound) -> Facility:
    """A facility the caller may see. Unknown and invisible ones look the same, so none is revealed.

    ``error``: NotFound (404) where the resource is the URL, InvalidInput (422) where it is a field.
    """
    try:
        return get_visible(g.api_roles, resource_id)
    except NotFound:
        raise error(_("There is no such resource."), code="unknown_resource",
                    field="resource_id" if error is InvalidInput else None) from None


def _serialize(facilities: list[Facility]) -> list[dict]:
    """Facilities with their rules and the closures ahead of them (up to how far ahead each may be booked)."""
    if not facilities:
        return []
    ids = [f.id for f in facilities]
    now = utcnow()
    horizon = now + timedelta(days=max(f.max_advance_days for f in facilities))
    hours = hours_by_facility(ids)
    closures = closures_by_facility(ids, now, horizon)
    return [resource_json(f, hours[f.id], [c for c in closures[f.id]
                                           if c.start_at < now + timedelta(days=f.max_advance_days)])
            for f in facilities]


@bp.get("/resources")
def list_resources():
    kinds = arg_choices("kind", KINDS)
    chain_id = arg_int("chain_id")
    query = visible_query(g.api_roles).where(Facility.active)
    if kinds:
        query = query.where(Facility.kind.in_(kinds))
    if chain_id is not None:
        query = query.where(Facility.chain_id == chain_id)
    facilities = db.session.scalars(query.order_by(Facility.chain_id, Facility.kind, Facility.name,
                                                   Facility.id)).all()
    return {"resources": _serialize(facilities)}


@bp.get("/resources/<int:resource_id>")
def get_resource(resource_id: int):
    return _serialize([visible_resource(resource_id)])[0]


@bp.get("/resources/<int:resource_id>/availability")
def resource_availability(resource_id: int):
    facility = visible_resource(resource_id)
    start, end = arg_datetime("start", required=True), arg_datetime("end", required=True)
    check_interval(start, end, max_days=MAX_WINDOW_DAYS)
    return availability(g.api_roles, facility, start, end)
