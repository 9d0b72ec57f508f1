"""Calendar: a booking as .ics, and the caller's subscribable feeds (list, create, renew, revoke).

Feeds belong to the token's user alone: anybody else's feed answers 404.
"""
from __future__ import annotations

from typing import Literal

from flask import Response, g
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..bookings.services import get_booking
from ..calendar import ics, services
from ..calendar.links import feed_url, webcal_url
from ..calendar.models import FEED_KINDS, CalendarFeed
from ..timeutil import iso
from . import bp
from .schemas import N_, Body, Id, Out, Text, Timestamp
from .spec import operation

TAGS = ("calendar",)


class FeedRequest(Body):
    kind: Text(16) = Field(description=N_("`mine`, `enterprise`, `facility` or `queue` (`queue`: for facility "
                                          "managers)"))
    resource_id: Id | None = Field(None, description=N_("with `kind` `facility`: the facility whose schedule it shows"))


class Feed(Out):
    id: int
    kind: Literal[tuple(FEED_KINDS)]
    title: str
    url: str = Field(description=N_("the feed's address; it holds the secret, so share it with care"))
    webcal_url: str = Field(description=N_("the same address as webcal://, which opens a calendar app"))
    resource_id: int | None
    created_at: Timestamp


class FeedList(Out):
    feeds: list[Feed]


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
@operation(_l("A booking as an iCalendar (.ics) event"), tags=TAGS, media_type="text/calendar")
def booking_ics(booking_id: int):
    booking = get_booking(g.api_roles, booking_id)
    response = Response(ics.booking_ics(booking, g.api_roles), mimetype="text/calendar")
    response.content_type = ics.MEDIA_TYPE
    return response


@bp.get("/calendar-feeds")
@operation(_l("List the caller's calendar feeds"), tags=TAGS, response=FeedList)
def list_feeds():
    return {"feeds": [feed_json(f) for f in services.list_feeds(g.api_user)]}


@bp.post("/calendar-feeds")
@operation(_l("Create a calendar feed to subscribe to"), tags=TAGS, body=FeedRequest, response=Feed, status=201,
           errors=(409,), idempotent=True)
def create_feed(body: FeedRequest):
    feed = services.create_feed(g.api_user, g.api_roles, body.kind, body.resource_id)
    return feed_json(feed), 201


@bp.post("/calendar-feeds/<int:feed_id>/renew")
@operation(_l("Give a calendar feed a new address; the old one stops working"), tags=TAGS, response=Feed)
def renew_feed(feed_id: int):
    feed = services.renew_feed(g.api_user, services.get_feed(g.api_user, feed_id))
    return feed_json(feed)


@bp.delete("/calendar-feeds/<int:feed_id>")
@operation(_l("Revoke a calendar feed"), tags=TAGS, status=204)
def revoke_feed(feed_id: int):
    services.revoke_feed(g.api_user, services.get_feed(g.api_user, feed_id))
    return "", 204
