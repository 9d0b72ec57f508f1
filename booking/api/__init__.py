"""JSON API under /api/v1 with bearer tokens.

Each route parses its input with ``parsing``, calls one service, serializes with
``serializers`` and commits once. Errors are DomainErrors (or HTTP errors), which
the application's handlers answer as ``{"error": {"code", "message", ...}}``.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The route modules register themselves on ``bp``, so they are imported after it exists.
from . import (  # noqa: E402,F401
    auth,
    bookings,
    calendar,  # noqa: E402,F401
    docs,  # noqa: E402,F401
    quotas,  # noqa: E402,F401
    reports,  # noqa: E402,F401
    resources,
    series,  # noqa: E402,F401
    usage,  # noqa: E402,F401
    waitlist,  # noqa: E402,F401
)
