"""Calendar: a booking as .ics, and the caller's subscribable feeds (list, create, renew, revoke).

Feeds belong to the token's user alone: anybody else's feed answers 404.
"""
from __future__ import annotations

from flask import Response, g

from ..bookings.services import get_booking
from ..calendar import ics, services
from ..calendar.links import feed_url, webcal_url
from ..calendar.models import CalendarFeed
from ..extensions import db
from ..timeutil import iso
from . import bp
from .parsing import json_object, read_int, read_str


def feed_json(feed: CalendarFeed) -> dict:
    return {
        "id": feed.id,
        "kind": feed.kind,
        "title": services.feed_title(feed),
        "url": feed_url(feed),
        "webcal_url": webcal_url(feed),
        "resource_id": feed.facility_id,
        "created_at": iso(feed.created_at),
    }


@bp.get("/bookings/<int:booking_id>/ics")
def booking_ics(booking_id: int):
    booking = get_booking(g.api_roles, booking_id)
    response = Response(ics.booking_ics(booking, g.api_roles), mimetype="text/calendar")
    response.content_type = ics.MEDIA_TYPE
    return response


@bp.get("/calendar-feeds")
def list_feeds():
    return {"feeds": [feed_json(f) for f in services.list_feeds(g.api_user)]}


@bp.post("/calendar-feeds")
def create_feed():
    data = json_object(("kind", "resource_id"))
    kind = read_str(data, "kind", required=True)
    resource_id = read_int(data, "resource_id")
    feed = services.create_feed(g.api_user, g.api_roles, kind, resource_id)
    body = feed_json(feed)
    db.session.commit()
    return body, 201


@bp.post("/calendar-feeds/<int:feed_id>/renew")
def renew_feed(feed_id: int):
    json_object((), optional=True)
    feed = services.renew_feed(g.api_user, services.get_feed(g.api_user, feed_id))
    body = feed_json(feed)
    db.session.commit()
    return body


@bp.delete("/calendar-feeds/<int:feed_id>")
def revoke_feed(feed_id: int):
    services.revoke_feed(g.api_user, services.get_feed(g.api_user, feed_id))
    db.session.commit()
    return "", 204
