"""Domain objects as JSON: instants in UTC with "Z", money and quantities as strings (never floats)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..bookings.models import Booking, BookingEvent, Series
from ..facilities.models import WEEKDAYS, BookableHours, Closure, Facility
from ..facilities.rules import hours_as_dict
from ..quotas.models import Quota
from ..quotas.services import quota_dict
from ..timeutil import format_hhmm, iso

CENTS = Decimal("0.01")


def decimal_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENTS))


def local_iso(value: datetime | None, facility: Facility) -> str | None:
    return value.astimezone(facility.tz).isoformat() if value else None


def rules_json(facility: Facility, hours: Iterable[BookableHours]) -> dict[str, Any]:
    return {
        "bookable_hours": hours_as_dict(hours),
        "slot_minutes": facility.slot_minutes,
        "min_minutes": facility.min_minutes,
        "max_minutes": facility.max_minutes,
        "min_notice_minutes": facility.min_notice_minutes,
        "max_advance_days": facility.max_advance_days,
        "buffer_minutes": facility.buffer_minutes,
        "cancel_notice_minutes": facility.cancel_notice_minutes,
        "reminder_hours": facility.reminder_hours,
        "peak_hours": peak_hours_json(facility),
    }


def peak_hours_json(facility: Facility) -> dict[str, Any] | None:
    """Local peak hours on the listed weekdays, which peak-only quotas count; None: no peak hours."""
    if facility.peak_start_minute is None or facility.peak_end_minute is None:
        return None
    return {"start": format_hhmm(facility.peak_start_minute), "end": format_hhmm(facility.peak_end_minute),
            "weekdays": [WEEKDAYS[int(d)] for d in sorted(facility.peak_weekdays or "")]}


def closure_json(closure: Closure) -> dict[str, Any]:
    return {"id": closure.id, "start": iso(closure.start_at), "end": iso(closure.end_at), "reason": closure.reason,
            "kind": closure.kind}


def resource_json(facility: Facility, hours: Iterable[BookableHours], closures: Iterable[Closure]) -> dict:
    chain = facility.chain
    return {
        "id": facility.id,
        "name": facility.name,
        "name_en": facility.name_en,
        "kind": facility.kind,
        "chain": {"id": chain.id, "name": chain.name, "name_en": chain.name_en},
        "park": facility.park,
        "location": facility.location,
        "capacity": facility.capacity,
        "active": facility.active,
        "requires_approval": facility.requires_approval,
        "timezone": facility.tzname,
        "shared_rate": decimal_str(facility.shared_rate),
        "reference_rate": decimal_str(facility.reference_rate),
        "rate_unit": facility.rate_unit,
        "currency": facility.currency,
        "rules": rules_json(facility, hours),
        "closures": [closure_json(c) for c in closures],
    }


def event_json(event: BookingEvent) -> dict[str, Any]:
    return {"at": iso(event.at), "actor_id": event.actor_id, "from": event.from_status, "to": event.to_status,
            "reason": event.reason}


def booking_json(booking: Booking, *, history: bool = False) -> dict[str, Any]:
    """A booking in full: only for callers who may see its details (Roles.sees_booking_details)."""
    facility = booking.facility
    body = {
        "id": booking.id,
        "resource_id": booking.facility_id,
        "resource_name": facility.name,
        "enterprise": {"id": booking.enterprise.id, "name": booking.enterprise.name},
        "requester_id": booking.requester_id,
        "series_id": booking.series_id,
        "status": booking.status,
        "start": iso(booking.start_at),
        "end": iso(booking.end_at),
        "timezone": facility.tzname,
        "local_start": local_iso(booking.start_at, facility),
        "local_end": local_iso(booking.end_at, facility),
        "purpose": booking.purpose,
        "planned_output": decimal_str(booking.planned_output),
        "rules_overridden": booking.rules_overridden,
        "over_quota": booking.over_quota,
        "created_at": iso(booking.created_at),
        "decided_at": iso(booking.decided_at),
        "rejection_reason": booking.rejection_reason,
        "cancelled_at": iso(booking.cancelled_at),
        "cancel_reason": booking.cancel_reason,
        "sequence": booking.sequence,
    }
    if history:
        body["history"] = [event_json(e) for e in booking.events]
    return body


def series_json(series: Series) -> dict[str, Any]:
    """A recurring request: its rule, evaluated in ``timezone`` from ``dtstart`` (the first occurrence)."""
    return {
        "id": series.id,
        "resource_id": series.facility_id,
        "enterprise_id": series.enterprise_id,
        "rrule": series.rrule,
        "timezone": series.tzid,
        "dtstart": iso(series.dtstart),
        "duration_minutes": series.duration_minutes,
        "purpose": series.purpose,
        "sequence": series.sequence,
    }


def occurrence_json(booking: Booking) -> dict[str, Any]:
    return {"id": booking.id, "start": iso(booking.start_at), "end": iso(booking.end_at), "status": booking.status}


def skipped_json(start: datetime, end: datetime, code: str, message: str) -> dict[str, Any]:
    return {"start": iso(start), "end": iso(end), "code": code, "message": message}


def usage_json(usage) -> dict[str, Any] | None:
    """What was actually used; ``corrections`` keep the values each one replaced."""
    if usage is None:
        return None
    return {
        "actual_start": iso(usage.actual_start),
        "actual_end": iso(usage.actual_end),
        "output_quantity": decimal_str(usage.output_quantity),
        "output_unit": usage.output_unit,
        "notes": usage.notes,
        "auto_closed": usage.auto_closed,
        "recorded_by_id": usage.recorded_by_id,
        "corrections": [{"at": iso(c.at), "actor_id": c.actor_id, "reason": c.reason, "before": c.before,
                         "after": c.after} for c in usage.corrections],
    }


def quota_json(quota: Quota, usage: dict | None = None) -> dict[str, Any]:
    """A quota; ``usage``: the caller's enterprise's use of it in the current period, where it applies."""
    return {**quota_dict(quota), "usage": usage}
