"""The addresses of a feed, for the calendar page and the API alike."""
from __future__ import annotations

from flask import url_for

from .models import CalendarFeed
from .services import feed_token


def feed_url(feed: CalendarFeed) -> str:
    """The feed's absolute address, in the scheme the application is served with (https in production)."""
    return url_for("calendar.feed", token=feed_token(feed), _external=True)


def webcal_url(feed: CalendarFeed) -> str:
    """The same address as webcal://, which opens the subscription dialogue of a calendar app."""
    scheme, sep, rest = feed_url(feed).partition("://")
    return "webcal://" + rest if sep else scheme
