"""The response models of what ``serializers`` produce, shared by several route modules.

They document the API (``spec``); the test suite checks every API response against
them (``API_CHECK_RESPONSES``), so a serializer cannot send what is not documented.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..bookings.models import STATUSES
from ..facilities.models import KINDS, WEEKDAYS
from .schemas import N_, DecimalString, OptionalDecimalString, OptionalTimestamp, Out, Timestamp

BookingStatus = Literal[tuple(STATUSES)]
Weekday = Literal[tuple(WEEKDAYS)]


class ChainRef(Out):
    id: int
    name: str
    name_en: str | None


class EnterpriseRef(Out):
    id: int
    name: str


class PeakHours(Out):
    start: str = Field(description=N_("local time of day, HH:MM"))
    end: str
    weekdays: list[Weekday]


class Rules(Out):
    bookable_hours: dict[Weekday, list[list[str]]] = Field(
        description=N_("per weekday, local [start, end] windows as HH:MM"))
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    min_notice_minutes: int
    max_advance_days: int
    buffer_minutes: int
    cancel_notice_minutes: int
    reminder_hours: int | None
    peak_hours: PeakHours | None


class ClosureOut(Out):
    id: int
    start: Timestamp
    end: Timestamp
    reason: str
    kind: str


class Resource(Out):
    id: int
    name: str
    name_en: str | None
    kind: Literal[tuple(KINDS)]
    chain: ChainRef
    park: str
    location: str
    capacity: int | None
    active: bool
    requires_approval: bool
    timezone: str = Field(description=N_("IANA time zone of the facility, e.g. Asia/Shanghai"))
    shared_rate: OptionalDecimalString
    reference_rate: OptionalDecimalString
    rate_unit: str
    currency: str
    rules: Rules
    closures: list[ClosureOut] = Field(description=N_("closures ahead, as far as the facility may be booked"))


class Event(Out):
    at: Timestamp
    actor_id: int | None
    from_: BookingStatus | None = Field(alias="from")
    to: BookingStatus
    reason: str


class Booking(Out):
    id: int
    resource_id: int
    resource_name: str
    enterprise: EnterpriseRef
    requester_id: int | None
    series_id: int | None
    status: BookingStatus
    start: Timestamp = Field(description=N_("UTC"))
    end: Timestamp
    timezone: str
    local_start: Timestamp = Field(description=N_("in the facility's time zone, with its offset"))
    local_end: Timestamp
    purpose: str
    planned_output: OptionalDecimalString
    rules_overridden: bool
    over_quota: bool
    created_at: Timestamp
    decided_at: OptionalTimestamp
    rejection_reason: str
    cancelled_at: OptionalTimestamp
    cancel_reason: str
    sequence: int


class BookingDetail(Booking):
    history: list[Event]


class BookingList(Out):
    bookings: list[Booking]


class Occurrence(Out):
    id: int
    start: Timestamp
    end: Timestamp
    status: BookingStatus


class Skipped(Out):
    start: Timestamp
    end: Timestamp
    code: str
    message: str


class SeriesOut(Out):
    id: int
    resource_id: int
    enterprise_id: int
    rrule: str
    timezone: str
    dtstart: Timestamp
    duration_minutes: int
    purpose: str
    sequence: int


class Correction(Out):
    at: Timestamp
    actor_id: int | None
    reason: str
    before: dict
    after: dict


class Usage(Out):
    actual_start: OptionalTimestamp
    actual_end: OptionalTimestamp
    output_quantity: OptionalDecimalString
    output_unit: str
    notes: str
    auto_closed: bool
    recorded_by_id: int | None
    corrections: list[Correction]


__all__ = ["Booking", "BookingDetail", "BookingList", "ChainRef", "ClosureOut", "DecimalString", "EnterpriseRef",
           "Event", "Occurrence", "Resource", "Rules", "SeriesOut", "Skipped", "Usage"]
