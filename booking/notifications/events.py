"""Who hears of what in the booking workflow: the services call these next to each change.

A single booking or a whole series is one message (a series of fifty dates is one e-mail,
not fifty). Nobody is told of their own action.
"""
from __future__ import annotations

from ..accounts.models import User
from ..bookings.models import Booking, Series
from ..timeutil import iso
from . import models as kinds
from .services import notify


def _subject(booking: Booking | None, series: Series | None) -> dict:
    return {"booking": None if series else booking, "series": series}


def submitted(actor: User, booking: Booking | None = None, *, series: Series | None = None,
              count: int = 1, over_quota: bool = False) -> None:
    """A request waits for a decision: every manager of the facility is asked."""
    facility = (series or booking).facility
    notify(kinds.REQUEST_SUBMITTED, facility.managers, actor=actor, **_subject(booking, series),
           params={"count": count, "over_quota": over_quota})


def approved(actor: User | None, booking: Booking | None = None, *, series: Series | None = None,
             count: int = 1) -> None:
    subject = series or booking
    notify(kinds.APPROVED, [subject.requester], actor=actor, **_subject(booking, series), params={"count": count})


def rejected(actor: User | None, booking: Booking | None = None, *, reason: str, series: Series | None = None,
             count: int = 1, lost_to: int | None = None) -> None:
    subject = series or booking
    params = {"count": count, "reason": reason}
    if lost_to is not None:
        params["lost_to"] = lost_to
    notify(kinds.REJECTED, [subject.requester], actor=actor, **_subject(booking, series), params=params)


def cancelled(actor: User, booking: Booking | None = None, *, reason: str, by_manager: bool,
              series: Series | None = None, count: int = 1, late: bool = False, start=None) -> None:
    """The other side hears of it: the managers when the enterprise cancels, the requester when a manager does.
    ``start``: for a series, the first date cancelled."""
    subject = series or booking
    recipients = [subject.requester] if by_manager else subject.facility.managers
    params = {"count": count, "reason": reason, "by_manager": by_manager, "late": late}
    if start is not None:
        params["start"] = iso(start)
    notify(kinds.CANCELLED, recipients, actor=actor, **_subject(booking, series), params=params)
