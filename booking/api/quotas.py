"""Quotas through the API: GET/POST /api/v1/quotas, GET/DELETE /api/v1/quotas/<id>.

Administrators see every quota, managers those covering their facilities, members those that
apply to their enterprise, each with the enterprise's use and what is left in the current period.
"""
from __future__ import annotations

from typing import Literal

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..facilities.models import KINDS
from ..quotas import services
from ..quotas.models import OVER_LIMIT, PERIODS
from . import bp
from .schemas import (
    N_,
    Amount,
    Body,
    Count,
    DecimalString,
    Id,
    OptionalDecimalString,
    OptionalTimestamp,
    Out,
    Text,
    Timestamp,
)
from .serializers import quota_json
from .spec import operation

TAGS = ("quotas",)

Period = Literal[tuple(PERIODS)]
OverLimit = Literal[tuple(OVER_LIMIT)]


class QuotaRequest(Body):
    resource_id: Id | None = Field(None, description=N_("the facility it limits; or give `kind` instead"))
    kind: Text(32) | None = Field(None, description=N_("every facility of this kind (a resource's `kind`); or give "
                                                       "`resource_id` instead"))
    chain_id: Id | None = Field(None, description=N_("with `kind`: only the facilities of this chain"))
    enterprise_id: Id | None = Field(None, description=N_("only this enterprise (absent: each enterprise on its own)"))
    period: Period
    limit_hours: Amount | None = Field(None, description=N_("the limit in hours; or give limit_bookings instead"))
    limit_bookings: Count | None = Field(None, description=N_("the limit in bookings; or give limit_hours instead"))
    peak_only: bool = Field(False, description=N_("count only the time within the facility's peak hours"))
    over_limit: OverLimit | None = Field("refuse", description=N_("refuse the request, or flag it for the manager"))


class QuotaUsage(Out):
    period_start: Timestamp
    period_end: Timestamp
    used: DecimalString | int = Field(description=N_("hours as a decimal string, or a number of bookings"))
    limit: DecimalString | int
    used_hours: DecimalString | None = None
    remaining_hours: DecimalString | None = None
    used_bookings: int | None = None
    remaining_bookings: int | None = None


class QuotaOut(Out):
    id: int
    resource_id: int | None
    resource_name: str | None
    kind: Literal[tuple(KINDS)] | None
    chain_id: int | None
    enterprise_id: int | None
    period: Period
    unit: Literal["hours", "bookings"]
    limit_hours: OptionalDecimalString
    limit_bookings: int | None
    peak_only: bool
    over_limit: OverLimit
    description: str
    created_at: Timestamp
    created_by_id: int | None
    retired_at: OptionalTimestamp
    usage: QuotaUsage | None = Field(description=N_("the caller's enterprise's use in the current period, where "
                                                 "the quota applies to it"))


class QuotaList(Out):
    quotas: list[QuotaOut]


def _one(quota) -> dict:
    return quota_json(quota, services.usage(g.api_roles, [quota]).get(quota.id))


@bp.get("/quotas")
@operation(_l("List the quotas the caller may see, with their enterprise's use"), tags=TAGS, response=QuotaList)
def list_quotas():
    quotas = services.listing(g.api_roles)
    usage = services.usage(g.api_roles, quotas)
    return {"quotas": [quota_json(q, usage.get(q.id)) for q in quotas]}


@bp.post("/quotas")
@operation(_l("Set a quota (administrators; managers on their own facilities)"), tags=TAGS, body=QuotaRequest,
           response=QuotaOut, status=201, errors=(409,), idempotent=True, headers={"Location": _l("the new quota")})
def create_quota(body: QuotaRequest):
    values = {
        "facility_id": body.resource_id,
        "kind": body.kind or None,
        "chain_id": body.chain_id,
        "enterprise_id": body.enterprise_id,
        "period": body.period,
        "limit_hours": body.limit_hours,
        "limit_bookings": body.limit_bookings,
        "peak_only": body.peak_only,
        "over_limit": body.over_limit or "refuse",
    }
    quota = services.create_quota(g.api_user, g.api_roles, values)
    return _one(quota), 201, {"Location": url_for(".get_quota", quota_id=quota.id)}


@bp.get("/quotas/<int:quota_id>")
@operation(_l("Read a quota with the caller's enterprise's use"), tags=TAGS, response=QuotaOut, etag=True)
def get_quota(quota_id: int):
    return _one(services.get_quota(g.api_roles, quota_id))


@bp.delete("/quotas/<int:quota_id>")
@operation(_l("Retire a quota: it stops counting and stays on record"), tags=TAGS, status=204, errors=(409,))
def retire_quota(quota_id: int):
    services.retire_quota(g.api_user, g.api_roles, services.get_quota(g.api_roles, quota_id))
    return "", 204
