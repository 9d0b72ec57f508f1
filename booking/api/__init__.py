"""JSON API under /api/v1 with bearer tokens.

Each route declares its input and output models with ``spec.operation``, which
validates the request before the view and commits after it; the view calls one
service and serializes with ``serializers``. Errors are DomainErrors (or HTTP
errors), which the application's handlers answer as
``{"error": {"code", "message", "details"}}``. The same declarations generate
/api/v1/openapi.json.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The route modules register themselves on ``bp``, so they are imported after it exists.
from . import (  # noqa: E402,F401
    auth,
    bookings,
    calendar,
    docs,
    facilities,
    organisation,
    quotas,
    reports,
    resources,
    series,
    tokens,
    usage,
    waitlist,
)
