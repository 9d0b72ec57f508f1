"""Test data with sensible defaults: ``make.booking(facility=..., start=...)``."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from booking.accounts.models import ApiToken, User
from booking.accounts.permissions import forget_roles
from booking.accounts.services import create_api_token
from booking.bookings.models import Booking, BookingEvent
from booking.extensions import db
from booking.facilities.models import BookableHours, Closure, Facility
from booking.organisation.models import Chain, Enterprise, Membership
from booking.organisation.uscc import make_uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")
_counter = itertools.count(1)


@cache
def _password_hash(password: str) -> str:
    from booking.accounts.services import hash_password
    return hash_password(password)


def local(day: date, hhmm: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    """A local wall-clock time as aware UTC."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=tz).astimezone(UTC)


def en_day(day: date) -> str:
    """A date as English pages and messages show it: 24 Nov 2026."""
    return f"{day.day} {day:%b %Y}"


def next_weekday(weekday: int = 0, weeks_ahead: int = 1) -> date:
    """A date ``weeks_ahead`` weeks from now on ``weekday`` (0 = Monday), always in the future."""
    today = datetime.now(SHANGHAI).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


class Factory:
    PASSWORD = "secret123"

    def _n(self) -> int:
        return next(_counter)

    def chain(self, **kw) -> Chain:
        n = self._n()
        chain = Chain(name=kw.pop("name", f"产业链{n}"), name_en=kw.pop("name_en", None if "name" in kw else f"Chain {n}"),
                      **kw)
        db.session.add(chain)
        db.session.flush()
        return chain

    def enterprise(self, chain: Chain | None = None, **kw) -> Enterprise:
        n = self._n()
        enterprise = Enterprise(name=kw.pop("name", f"企业{n}"),
                                name_en=kw.pop("name_en", None if "name" in kw else f"Enterprise {n}"),
                                uscc=kw.pop("uscc", make_uscc(n)), **kw)
        enterprise.chains = [chain or self.chain()]
        db.session.add(enterprise)
        db.session.flush()
        return enterprise

    def user(self, enterprise: Enterprise | None = None, *, role: str = "member", password: str = PASSWORD,
             **kw) -> User:
        n = self._n()
        user = User(email=kw.pop("email", f"user{n}@example.test"), name=kw.pop("name", f"User {n}"),
                    password_hash=_password_hash(password), **kw)
        db.session.add(user)
        if enterprise is not None:
            db.session.add(Membership(user=user, enterprise=enterprise, role=role))
        db.session.flush()
        forget_roles()
        return user

    def member(self, chain: Chain | None = None, **kw) -> User:
        return self.user(self.enterprise(chain), **kw)

    def admin(self, **kw) -> User:
        return self.user(is_admin=True, **kw)

    def manager(self, *facilities: Facility, **kw) -> User:
        user = self.user(**kw)
        for facility in facilities:
            facility.managers.append(user)
        db.session.flush()
        forget_roles()
        return user

    def committee(self, chain: Chain, **kw) -> User:
        user = self.user(**kw)
        chain.committee.append(user)
        db.session.flush()
        forget_roles()
        return user

    def facility(self, chain: Chain | None = None, *, hours: str = "08:00-20:00", weekdays=range(7),
                 **kw) -> Facility:
        n = self._n()
        defaults = dict(name=f"设施{n}", name_en=None if "name" in kw else f"Facility {n}", kind="meeting_room",
                        requires_approval=True,
                        slot_minutes=30, min_minutes=30, max_minutes=480, min_notice_minutes=60,
                        max_advance_days=90, buffer_minutes=0, shared_rate=Decimal("100.00"),
                        reference_rate=Decimal("250.00"))
        defaults.update(kw)
        facility = Facility(chain=chain or self.chain(), **defaults)
        first, last = hours.split("-")
        start = int(first[:2]) * 60 + int(first[3:])
        end = int(last[:2]) * 60 + int(last[3:])
        facility.hours = [BookableHours(weekday=d, start_minute=start, end_minute=end) for d in weekdays]
        db.session.add(facility)
        db.session.flush()
        return facility

    def closure(self, facility: Facility, start: datetime, end: datetime, reason: str = "检修") -> Closure:
        closure = Closure(facility_id=facility.id, start_at=start, end_at=end, reason=reason, kind="maintenance")
        db.session.add(closure)
        db.session.flush()
        return closure

    def booking(self, facility: Facility, start: datetime, end: datetime | None = None, *,
                status: str = "pending", enterprise: Enterprise | None = None, requester: User | None = None,
                **kw) -> Booking:
        """A booking written directly (no rule checks): for setting the scene, not for testing the rules."""
        end = end or start + timedelta(hours=1)
        requester = requester or self.user(enterprise or self.enterprise(facility.chain))
        enterprise = enterprise or requester.membership.enterprise
        booking = Booking(facility=facility, enterprise=enterprise, requester=requester, start_at=start,
                          end_at=end, block_end=end + timedelta(minutes=facility.buffer_minutes),
                          status=status, **kw)
        booking.events.append(BookingEvent(actor_id=requester.id, from_status=None, to_status=status))
        db.session.add(booking)
        db.session.flush()
        return booking

    def token(self, user: User, **kw) -> str:
        _token, secret = create_api_token(user, **kw)
        db.session.flush()
        return secret


__all__ = ["Factory", "local", "next_weekday", "ApiToken", "UTC"]
