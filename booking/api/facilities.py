"""Running a facility: its bookable hours, closures and booking rules.

Hours and closures are the facility managers' (and administrators') work, as on the
hours page, so they need the ``write`` scope: a manager need not administer
anything else. The booking rules are the administrators' (the facility form), so
changing them needs the ``admin`` scope. A facility the caller cannot see answers
404; one they see but do not manage, 403.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field, StringConstraints

from ..facilities import services
from ..facilities.models import WEEKDAYS, Facility
from . import bp
from .outputs import ClosureOut, Resource
from .resources import serialize_resources, visible_resource
from .schemas import N_, Body, Count, Instant, Out, Text, unchanged
from .serializers import closure_json
from .spec import operation

TAGS = ("resources",)
MAX_WINDOWS = 48  # per day; half-hour windows at most

HHMM = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}:[0-9]{2}$")]
Window = Annotated[list[HHMM], Field(min_length=2, max_length=2, description=N_("local [start, end] as HH:MM; "
                                                                             "24:00 is the end of the day"))]


def _day() -> Any:
    return Field(default_factory=list, max_length=MAX_WINDOWS)


class Hours(Body):
    """The bookable windows of each weekday, in the facility's local time; a day left out is closed."""
    mon: list[Window] = _day()
    tue: list[Window] = _day()
    wed: list[Window] = _day()
    thu: list[Window] = _day()
    fri: list[Window] = _day()
    sat: list[Window] = _day()
    sun: list[Window] = _day()


class ClosureRequest(Body):
    start: Instant
    end: Instant
    reason: Text(500) = ""
    kind: Literal["closure", "maintenance"] = "closure"


class ClosureList(Out):
    closures: list[ClosureOut]


class RulesChange(Body):
    """Only the fields sent change; the same checks as the administrators' facility form."""
    requires_approval: bool = unchanged()
    slot_minutes: Count = unchanged()
    min_minutes: Count = unchanged()
    max_minutes: Count = unchanged()
    min_notice_minutes: Count = unchanged()
    max_advance_days: Count = unchanged()
    buffer_minutes: Count = unchanged()
    cancel_notice_minutes: Count = unchanged()
    reminder_hours: Count | None = unchanged(description=N_("`null`: no reminder"))


def _resource(facility: Facility) -> dict:
    return serialize_resources([facility])[0]


def _managed(resource_id: int) -> Facility:
    """A facility the caller sees (else 404) and manages (else 403)."""
    facility = visible_resource(resource_id)
    services.require_manager(g.api_roles, facility)
    return facility


@bp.patch("/resources/<int:resource_id>")
@operation(_l("Change a resource's booking rules (administrators)"), tags=TAGS, body=RulesChange, response=Resource,
           scope="admin")
def update_resource(resource_id: int, body: RulesChange):
    facility = visible_resource(resource_id)
    services.update_facility(g.api_user, g.api_roles, facility, body.model_dump(exclude_unset=True))
    return _resource(facility)


@bp.put("/resources/<int:resource_id>/hours")
@operation(_l("Replace a resource's bookable hours (its managers)"), tags=TAGS, body=Hours, response=Resource)
def set_resource_hours(resource_id: int, body: Hours):
    facility = _managed(resource_id)
    text = {day: ", ".join(f"{start}-{end}" for start, end in getattr(body, day)) for day in WEEKDAYS}
    services.set_hours(g.api_user, g.api_roles, facility, services.parse_hours(text))
    return _resource(facility)


@bp.get("/resources/<int:resource_id>/closures")
@operation(_l("List a resource's closures that are not over yet"), tags=TAGS, response=ClosureList)
def list_closures(resource_id: int):
    facility = visible_resource(resource_id)
    return {"closures": [closure_json(c) for c in services.upcoming_closures(facility)]}


@bp.post("/resources/<int:resource_id>/closures")
@operation(_l("Close a resource for a while, or plan maintenance (its managers)"), tags=TAGS,
           body=ClosureRequest, response=ClosureOut, status=201, idempotent=True,
           headers={"Location": _l("the new closure")})
def create_closure(resource_id: int, body: ClosureRequest):
    facility = _managed(resource_id)
    closure = services.add_closure(g.api_user, g.api_roles, facility, body.start, body.end, body.reason, body.kind)
    return closure_json(closure), 201, {"Location": url_for(".get_closure", resource_id=resource_id,
                                                            closure_id=closure.id)}


@bp.get("/resources/<int:resource_id>/closures/<int:closure_id>")
@operation(_l("Read a closure of a resource"), tags=TAGS, response=ClosureOut)
def get_closure(resource_id: int, closure_id: int):
    return closure_json(services.get_closure(visible_resource(resource_id), closure_id))


@bp.delete("/resources/<int:resource_id>/closures/<int:closure_id>")
@operation(_l("Remove a closure (the resource's managers)"), tags=TAGS, status=204)
def delete_closure(resource_id: int, closure_id: int):
    facility = _managed(resource_id)
    services.remove_closure(g.api_user, g.api_roles, services.get_closure(facility, closure_id))
    return "", 204
