"""Quotas through the API: GET/POST /api/v1/quotas, DELETE /api/v1/quotas/<id>."""
from . import bp  # noqa: F401
