"""Pooled quotas: checked on every request, counted across the enterprise's members.

CONTRACT (used by bookings.services and bookings.series; implementation pending):
``enforce`` raises ``QuotaExceeded`` (422, code ``quota_exceeded``, details with the remaining
allowance) when a refusing quota would be overrun, and returns, per requested slot, the list of
overruns of flagging quotas (empty: within every quota).
"""
from __future__ import annotations

from datetime import datetime

from ..accounts.models import User
from ..accounts.permissions import Roles
from ..errors import InvalidInput
from ..facilities.models import Facility
from ..organisation.models import Enterprise


class QuotaExceeded(InvalidInput):
    code = "quota_exceeded"


def enforce(actor: User, roles: Roles, facility: Facility, enterprise: Enterprise,
            slots: list[tuple[datetime, datetime]], now: datetime, *, override: bool = False,
            exclude_ids: set[int] | None = None) -> list[list[dict]]:
    return [[] for _slot in slots]


def on_approved(actor: User, booking) -> None:
    """A manager approved a request flagged over its quota: an exception, recorded in the audit trail."""
