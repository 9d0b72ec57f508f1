"""Waiting-list fixtures: a production line held by one enterprise, three others who want it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from booking.accounts.models import User
from booking.accounts.permissions import roles_of
from booking.extensions import db
from booking.facilities.models import Facility
from booking.notifications.models import WAITLIST_FREED, Notification
from booking.waitlist import services

from ..factories import local, next_weekday


@dataclass
class Scene:
    facility: Facility
    holder: User      # their enterprise holds the slot
    first: User       # three members of three other enterprises, joining in this order
    second: User
    third: User
    manager: User
    day: date

    def at(self, hhmm: str):
        return local(self.day, hhmm)

    def hold(self, make, start="10:00", end="12:00", status="approved", requester=None, facility=None):
        return make.booking(facility or self.facility, self.at(start), self.at(end), status=status,
                            requester=requester or self.holder)

    def join(self, user, start="10:00", end="12:00", facility=None, **kw):
        return services.join(user, roles_of(user), facility or self.facility, self.at(start), self.at(end), **kw)


@pytest.fixture
def scene(make) -> Scene:
    chain = make.chain()
    facility = make.facility(chain, name="春雨生产线", name_en="Chunyu line", kind="production_line",
                             no_show_grace_minutes=15)
    return Scene(facility=facility, holder=make.member(chain), first=make.member(chain), second=make.member(chain),
                 third=make.member(chain), manager=make.manager(facility), day=next_weekday(2))


def freed_notices(user=None) -> list[Notification]:
    """WAITLIST_FREED notifications in the order they were written."""
    query = select(Notification).where(Notification.kind == WAITLIST_FREED).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(db.session.scalars(query))
