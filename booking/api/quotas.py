"""Quotas through the API: GET/POST /api/v1/quotas, DELETE /api/v1/quotas/<id>.

Administrators see every quota, managers those covering their facilities, members those that
apply to their enterprise, each with the enterprise's use and what is left in the current period.
"""
from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _

from ..errors import InvalidInput
from ..extensions import db
from ..quotas import services
from ..quotas.models import PERIODS
from . import bp
from .parsing import json_object, read_bool, read_decimal, read_int, read_str
from .serializers import quota_json

QUOTA_FIELDS = ("resource_id", "kind", "chain_id", "enterprise_id", "period", "limit_hours", "limit_bookings",
                "peak_only", "over_limit")


@bp.get("/quotas")
def list_quotas():
    quotas = services.listing(g.api_roles)
    usage = services.usage(g.api_roles, quotas)
    return {"quotas": [quota_json(q, usage.get(q.id)) for q in quotas]}


@bp.post("/quotas")
def create_quota():
    data = json_object(QUOTA_FIELDS)
    values = {
        "facility_id": read_int(data, "resource_id"),
        "kind": read_str(data, "kind") or None,
        "chain_id": read_int(data, "chain_id"),
        "enterprise_id": read_int(data, "enterprise_id"),
        "period": read_str(data, "period", required=True),
        "limit_hours": read_decimal(data, "limit_hours"),
        "limit_bookings": read_int(data, "limit_bookings"),
        "peak_only": read_bool(data, "peak_only"),
        "over_limit": read_str(data, "over_limit") or "refuse",
    }
    if values["period"] not in PERIODS:
        raise InvalidInput(_("Unknown value “%(value)s” for “%(field)s”; use one of: %(allowed)s.",
                             value=values["period"], field="period", allowed=", ".join(PERIODS)),
                           code="invalid_value", field="period")
    quota = services.create_quota(g.api_user, g.api_roles, values)
    body = quota_json(quota, services.usage(g.api_roles, [quota]).get(quota.id))
    db.session.commit()
    return body, 201, {"Location": url_for(".get_quota", quota_id=quota.id)}


@bp.get("/quotas/<int:quota_id>")
def get_quota(quota_id: int):
    quota = services.get_quota(g.api_roles, quota_id)
    return quota_json(quota, services.usage(g.api_roles, [quota]).get(quota.id))


@bp.delete("/quotas/<int:quota_id>")
def retire_quota(quota_id: int):
    services.retire_quota(g.api_user, g.api_roles, services.get_quota(g.api_roles, quota_id))
    db.session.commit()
    return "", 204
