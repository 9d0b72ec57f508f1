"""Waiting lists: GET/POST /api/v1/waitlist, GET/DELETE /api/v1/waitlist/<id>.

A member waits for a slot that another enterprise holds; withdrawing keeps the entry (status
``withdrawn``). Entries of other enterprises answer 404, so their existence is not revealed.
"""
from __future__ import annotations

from typing import Literal

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..errors import InvalidInput
from ..timeutil import iso
from ..waitlist import services
from ..waitlist.models import STATUSES, WaitlistEntry
from . import bp
from .resources import visible_resource
from .schemas import N_, Body, CommaList, Id, Instant, OptionalTimestamp, Out, Query, Text, Timestamp
from .spec import operation

HISTORY = 200  # closed entries listed after the waiting ones, latest first
TAGS = ("waitlist",)

EntryStatus = Literal[tuple(STATUSES)]


class WaitlistFilter(Query):
    status: CommaList(EntryStatus) = Field(default_factory=list, description=N_("comma-separated statuses"))
    resource_id: Id | None = None


class WaitlistJoin(Body):
    resource_id: Id
    start: Instant
    end: Instant
    purpose: Text(500) = ""
    auto_request: bool = Field(False, description=N_("when the slot frees up and this entry is first in line, "
                                                  "request it at once (as pending)"))


class WaitlistEntryOut(Out):
    id: int
    resource_id: int
    enterprise_id: int
    user_id: int
    start: Timestamp
    end: Timestamp
    purpose: str
    auto_request: bool
    status: EntryStatus
    position: int | None = Field(description=N_("the place in the slot's line (1: first) while waiting"))
    created_at: Timestamp
    notified_at: OptionalTimestamp = Field(description=N_("the last time the member was told the slot is free"))
    times_notified: int
    closed_at: OptionalTimestamp
    booking_id: int | None = Field(description=N_("the request made for the member, if any"))


class WaitlistEntries(Out):
    entries: list[WaitlistEntryOut]


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
@operation(_l("List the waiting-list entries of the caller's enterprise"), tags=TAGS, query=WaitlistFilter,
           response=WaitlistEntries, description=_l(
               "The waiting entries by start, then the latest %(n)d closed ones.", n=HISTORY))
def list_waitlist(query: WaitlistFilter):
    if g.api_roles.enterprise_id is None:
        return {"entries": []}
    entries = (services.enterprise_entries(g.api_roles.enterprise_id, waiting=True)
               + services.enterprise_entries(g.api_roles.enterprise_id, waiting=False, limit=HISTORY))
    if query.status:
        entries = [e for e in entries if e.status in query.status]
    if query.resource_id is not None:
        entries = [e for e in entries if e.facility_id == query.resource_id]
    places = services.positions(entries)
    return {"entries": [entry_json(e, places.get(e.id)) for e in entries]}


@bp.post("/waitlist")
@operation(_l("Wait for a slot that another enterprise holds"), tags=TAGS, body=WaitlistJoin,
           response=WaitlistEntryOut, status=201, errors=(409,), idempotent=True,
           headers={"Location": _l("the new entry")})
def join_waitlist(body: WaitlistJoin):
    facility = visible_resource(body.resource_id, error=InvalidInput)
    entry = services.join(g.api_user, g.api_roles, facility, body.start, body.end, purpose=body.purpose,
                          auto_request=body.auto_request)
    return _one(entry), 201, {"Location": url_for(".get_waitlist_entry", entry_id=entry.id)}


@bp.get("/waitlist/<int:entry_id>")
@operation(_l("Read a waiting-list entry with its place in line"), tags=TAGS, response=WaitlistEntryOut,
           etag=True)
def get_waitlist_entry(entry_id: int):
    return _one(services.get_entry(g.api_roles, entry_id))


@bp.delete("/waitlist/<int:entry_id>")
@operation(_l("Withdraw from a waiting list (the entry stays, withdrawn)"), tags=TAGS,
           response=WaitlistEntryOut, errors=(409,))
def withdraw_waitlist_entry(entry_id: int):
    entry = services.get_entry(g.api_roles, entry_id)
    services.withdraw(g.api_user, g.api_roles, entry)
    return _one(entry)
