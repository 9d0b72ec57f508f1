"""Waiting lists: GET/POST /api/v1/waitlist, GET/DELETE /api/v1/waitlist/<id>.

A member waits for a slot that another enterprise holds; withdrawing keeps the entry (status
``withdrawn``). Entries of other enterprises answer 404, so their existence is not revealed.
"""
from __future__ import annotations

from flask import g, url_for

from ..errors import InvalidInput
from ..extensions import db
from ..timeutil import iso
from ..waitlist import services
from ..waitlist.models import STATUSES, WaitlistEntry
from . import bp
from .parsing import arg_choices, arg_int, json_object, read_bool, read_datetime, read_int, read_str
from .resources import visible_resource

JOIN_FIELDS = ("resource_id", "start", "end", "purpose", "auto_request")
HISTORY = 200  # closed entries listed after the waiting ones, latest first


def entry_json(entry: WaitlistEntry, position: int | None) -> dict:
    return {
        "id": entry.id,
        "resource_id": entry.facility_id,
        "enterprise_id": entry.enterprise_id,
        "user_id": entry.user_id,
        "start": iso(entry.start_at),
        "end": iso(entry.end_at),
        "purpose": entry.purpose,
        "auto_request": entry.auto_request,
        "status": entry.status,
        "position": position,
        "created_at": iso(entry.created_at),
        "notified_at": iso(entry.notified_at),
        "times_notified": entry.times_notified,
        "closed_at": iso(entry.closed_at),
        "booking_id": entry.booking_id,
    }


def _one(entry: WaitlistEntry) -> dict:
    return entry_json(entry, services.positions([entry]).get(entry.id))


@bp.get("/waitlist")
def list_waitlist():
    """The caller's enterprise's entries: the waiting ones by start, then the latest HISTORY closed ones;
    ``status`` and ``resource_id`` filter them."""
    statuses = arg_choices("status", STATUSES)
    resource_id = arg_int("resource_id")
    if g.api_roles.enterprise_id is None:
        return {"entries": []}
    entries = (services.enterprise_entries(g.api_roles.enterprise_id, waiting=True)
               + services.enterprise_entries(g.api_roles.enterprise_id, waiting=False, limit=HISTORY))
    if statuses:
        entries = [e for e in entries if e.status in statuses]
    if resource_id is not None:
        entries = [e for e in entries if e.facility_id == resource_id]
    places = services.positions(entries)
    return {"entries": [entry_json(e, places.get(e.id)) for e in entries]}


@bp.post("/waitlist")
def join_waitlist():
    data = json_object(JOIN_FIELDS)
    resource_id = read_int(data, "resource_id", required=True)
    start, end = read_datetime(data, "start"), read_datetime(data, "end")
    purpose = read_str(data, "purpose")
    auto_request = read_bool(data, "auto_request")
    facility = visible_resource(resource_id, error=InvalidInput)
    entry = services.join(g.api_user, g.api_roles, facility, start, end, purpose=purpose,
                          auto_request=auto_request)
    body = _one(entry)
    db.session.commit()
    return body, 201, {"Location": url_for(".get_waitlist_entry", entry_id=entry.id)}


@bp.get("/waitlist/<int:entry_id>")
def get_waitlist_entry(entry_id: int):
    return _one(services.get_entry(g.api_roles, entry_id))


@bp.delete("/waitlist/<int:entry_id>")
def withdraw_waitlist_entry(entry_id: int):
    entry = services.get_entry(g.api_roles, entry_id)
    services.withdraw(g.api_user, g.api_roles, entry)
    body = _one(entry)
    db.session.commit()
    return body
