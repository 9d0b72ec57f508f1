"""Resources (facilities) and their availability.

A listing issues a fixed number of queries: the facilities, then the hours and
the closures of all of them at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..facilities.services import closures_by_facility, get_visible, hours_by_facility, visible_query
from ..schedule.services import availabilities, availability
from ..timeutil import utcnow
from . import bp
from .outputs import BookingStatus, Resource
from .schemas import N_, CommaList, Id, Instant, Out, Query, Timestamp
from .serializers import resource_json
from .spec import operation

MAX_WINDOW_DAYS = 62
MAX_AVAILABILITY_RESOURCES = 500
TAGS = ("resources",)

FacilityKind = Literal[tuple(KINDS)]


class ResourceFilter(Query):
    kind: CommaList(FacilityKind) = Field(default_factory=list, description=N_("comma-separated kinds"))
    chain_id: Id | None = None


class ResourceList(Out):
    resources: list[Resource]


class AvailabilityWindow(Query):
    start: Instant = Field(description=N_("the window's start"))
    end: Instant = Field(description=N_("the window's end"))


class AvailabilityQuery(AvailabilityWindow, ResourceFilter):
    resource_ids: CommaList(Id) = Field(
        default_factory=list, max_length=MAX_AVAILABILITY_RESOURCES,
        description=N_("comma-separated resource ids, at most 500; without them, every active resource the "
                       "caller may see (narrowed by `kind` and `chain_id`)"))


class Interval(Out):
    start: Timestamp
    end: Timestamp


class Busy(Out):
    start: Timestamp
    end: Timestamp
    status: BookingStatus
    blocked_until: Timestamp = Field(description=N_("the end plus the facility's changeover buffer"))
    id: int | None = Field(None, description=N_("only for bookings the caller may see in full"))
    enterprise: str | None = Field(None, description=N_("for bookings the caller may see in full, or where the "
                                                     "chain shows who booked"))
    purpose: str | None = Field(None, description=N_("only for bookings the caller may see in full"))


class WindowClosure(Out):
    start: Timestamp
    end: Timestamp
    reason: str
    kind: str


class Availability(Out):
    resource_id: int
    timezone: str
    bookable: list[Interval] = Field(description=N_("bookable time within the window, closures taken out"))
    busy: list[Busy] = Field(description=N_("bookings that hold time in the window"))
    closures: list[WindowClosure]


class AvailabilityList(Out):
    resources: list[Availability]


def visible_resource(resource_id: int, *, error: type[NotFound] | type[InvalidInput] = NotFound) -> Facility:
    """A facility the caller may see. Unknown and invisible ones look the same, so none is revealed.

    ``error``: NotFound (404) where the resource is the URL, InvalidInput (422) where it is a field.
    """
    try:
        return get_visible(g.api_roles, resource_id)
    except NotFound:
        raise error(_("There is no such resource."), code="unknown_resource",
                    field="resource_id" if error is InvalidInput else None) from None


def check_interval(start: datetime, end: datetime, *, max_days: int | None = None) -> None:
    if end <= start:
        raise InvalidInput(_("The end must be after the start."), code="invalid_interval", field="end")
    if max_days is not None and end - start > timedelta(days=max_days):
        raise InvalidInput(_("The window may span at most %(n)d days.", n=max_days),
                           code="window_too_long", field="end")


def active_resources(query: ResourceFilter) -> list[Facility]:
    """The active facilities the caller may see, narrowed by the filter, in the listing's order."""
    statement = visible_query(g.api_roles).where(Facility.active)
    if query.kind:
        statement = statement.where(Facility.kind.in_(query.kind))
    if query.chain_id is not None:
        statement = statement.where(Facility.chain_id == query.chain_id)
    return db.session.scalars(statement.order_by(Facility.chain_id, Facility.kind, Facility.name, Facility.id)).all()


def matches(facility: Facility, query: ResourceFilter) -> bool:
    """Whether a facility passes the filter (as ``active_resources`` narrows the listing)."""
    return ((not query.kind or facility.kind in query.kind)
            and (query.chain_id is None or facility.chain_id == query.chain_id))


def serialize_resources(facilities: list[Facility]) -> list[dict]:
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
@operation(_l("List the active resources the caller may see, with their rules and closures"), tags=TAGS,
           query=ResourceFilter, response=ResourceList)
def list_resources(query: ResourceFilter):
    return {"resources": serialize_resources(active_resources(query))}


@bp.get("/resources/<int:resource_id>")
@operation(_l("Read a resource with its rules and closures"), tags=TAGS, response=Resource, etag=True)
def get_resource(resource_id: int):
    return serialize_resources([visible_resource(resource_id)])[0]


@bp.get("/resources/<int:resource_id>/availability")
@operation(_l("Bookable and busy time of a resource within a window"), tags=TAGS, query=AvailabilityWindow,
           response=Availability)
def resource_availability(resource_id: int, query: AvailabilityWindow):
    facility = visible_resource(resource_id)
    check_interval(query.start, query.end, max_days=MAX_WINDOW_DAYS)
    return availability(g.api_roles, facility, query.start, query.end)


@bp.get("/availability")
@operation(_l("Bookable and busy time of many resources within one window"), tags=TAGS, query=AvailabilityQuery,
           response=AvailabilityList, errors=(404,),
           description=_l("The resources asked for, in that order (404 if one of them is unknown or hidden), or "
                          "every active resource the caller may see; `kind` and `chain_id` narrow either list."))
def list_availability(query: AvailabilityQuery):
    check_interval(query.start, query.end, max_days=MAX_WINDOW_DAYS)
    if query.resource_ids:
        ids = list(dict.fromkeys(query.resource_ids))
        found = {f.id: f for f in db.session.scalars(visible_query(g.api_roles).where(Facility.id.in_(ids)))}
        if len(found) < len(ids):
            raise NotFound(_("There is no such resource."), code="unknown_resource")
        facilities = [found[i] for i in ids if matches(found[i], query)]
    else:
        facilities = active_resources(query)
    return {"resources": availabilities(g.api_roles, facilities, query.start, query.end)}
