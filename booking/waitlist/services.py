"""Waiting lists.

CONTRACT (used by the booking workflow; implementation pending): ``slots_freed`` is called in
the transaction of every change that frees time (cancellation, rejection, no-show release).
"""
from __future__ import annotations

from datetime import datetime


def slots_freed(bookings, now: datetime) -> None:
    """Tell the people waiting for any of these bookings' slots, in order, that it is free."""
