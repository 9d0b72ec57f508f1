"""Enterprises' stand-alone baselines: output per hour on their own equipment, per facility kind.

The reports measure the efficiency uplift of sharing against them. Administrators keep every
enterprise's baselines, an enterprise admin their own enterprise's. Like the other services these
check permission, validate before changing anything, audit and flush; the caller commits.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..accounts.permissions import Roles
from ..accounts.services import record
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..facilities.models import KINDS, OUTPUT_UNITS
from ..organisation.models import Enterprise
from .models import EnterpriseBaseline

MAX_OUTPUT = Decimal(10) ** 10  # Numeric(12, 2)


def may_manage_baselines(roles: Roles, enterprise_id: int) -> bool:
    return roles.is_admin or (roles.is_enterprise_admin and roles.enterprise_id == enterprise_id)


def _require_manager(roles: Roles, enterprise_id: int) -> None:
    if not may_manage_baselines(roles, enterprise_id):
        raise Forbidden(_("Only administrators and the enterprise's admins may change its baselines."))


def get_baseline_enterprise(roles: Roles, enterprise_id: int) -> Enterprise:
    """The enterprise whose baselines the viewer keeps (checked before the lookup: no probing)."""
    _require_manager(roles, enterprise_id)
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_("There is no such enterprise."), code="unknown_enterprise")
    return enterprise


def baselines_of(enterprise: Enterprise) -> list[EnterpriseBaseline]:
    """In the order facility kinds are listed everywhere else."""
    order = list(KINDS)
    found = db.session.scalars(select(EnterpriseBaseline).where(EnterpriseBaseline.enterprise_id == enterprise.id))
    return sorted(found, key=lambda b: (order.index(b.kind) if b.kind in order else len(order), b.kind))


def clean_output_per_hour(value) -> Decimal:
    """A positive number with at most two decimals."""
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value is not None else None
    except InvalidOperation:
        number = None
    if (number is None or not number.is_finite() or number <= 0 or number >= MAX_OUTPUT
            or number.as_tuple().exponent < -2):
        raise InvalidInput(_("The output per hour must be a positive number with at most two decimals."),
                           code="invalid_output", field="output_per_hour")
    return number


def _clean_kind(kind: str | None) -> str:
    if kind not in KINDS:
        raise InvalidInput(_("Choose one of the listed kinds of facility."), code="invalid_kind", field="kind")
    return kind


def _clean_unit(unit: str | None) -> str:
    if unit not in OUTPUT_UNITS:
        raise InvalidInput(_("Choose one of the listed units of output."), code="invalid_unit", field="output_unit")
    return unit


def save_baseline(actor: User, roles: Roles, enterprise: Enterprise, kind: str | None, output_per_hour,
                  output_unit: str | None) -> EnterpriseBaseline:
    """Add the enterprise's baseline for a facility kind, or replace the one it has."""
    _require_manager(roles, enterprise.id)
    kind = _clean_kind(kind)
    per_hour = clean_output_per_hour(output_per_hour)
    unit = _clean_unit(output_unit)
    baseline = db.session.scalar(select(EnterpriseBaseline).where(
        EnterpriseBaseline.enterprise_id == enterprise.id, EnterpriseBaseline.kind == kind))
    created = baseline is None
    before = None if created else [str(baseline.output_per_hour), baseline.output_unit]
    if created:
        baseline = EnterpriseBaseline(enterprise_id=enterprise.id, kind=kind)
        db.session.add(baseline)
    baseline.output_per_hour, baseline.output_unit = per_hour, unit
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # another request added the same kind a moment ago
        raise InvalidInput(_("A baseline for this kind was added at the same moment; please try again."),
                           code="duplicate", field="kind") from error
    after = [str(per_hour.quantize(Decimal("0.01"))), unit]
    if before is not None and before == after:
        return baseline
    details = {"kind": kind, "output_per_hour": after[0], "output_unit": unit}
    if before is not None:
        details["before"] = {"output_per_hour": before[0], "output_unit": before[1]}
    record(actor, "baseline_created" if created else "baseline_updated", "enterprise", enterprise.id, **details)
    return baseline


def delete_baseline(actor: User, roles: Roles, enterprise: Enterprise, baseline_id: int) -> None:
    _require_manager(roles, enterprise.id)
    baseline = db.session.get(EnterpriseBaseline, baseline_id)
    if baseline is None or baseline.enterprise_id != enterprise.id:
        raise NotFound(_("There is no such baseline."), code="unknown_baseline")
    record(actor, "baseline_deleted", "enterprise", enterprise.id, kind=baseline.kind,
           output_per_hour=str(baseline.output_per_hour), output_unit=baseline.output_unit)
    db.session.delete(baseline)
    db.session.flush()
