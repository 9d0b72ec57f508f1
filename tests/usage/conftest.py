"""Usage fixtures: a production line with its manager, the booking's enterprise and another one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from booking.accounts.models import User
from booking.facilities.models import Facility
from booking.timeutil import utcnow


@dataclass
class Scene:
    facility: Facility
    member: User     # of the booking's enterprise
    rival: User      # another enterprise of the chain
    manager: User
    committee: User
    now: datetime

    def booking(self, make, start_in: int = 0, minutes: int = 120, status: str = "approved", **kw):
        """A booking starting ``start_in`` minutes from now (negative: in the past)."""
        start = self.now + timedelta(minutes=start_in)
        return make.booking(kw.pop("facility", self.facility), start, start + timedelta(minutes=minutes),
                            status=status, requester=self.member, **kw)


@pytest.fixture
def scene(make) -> Scene:
    chain = make.chain()
    facility = make.facility(chain, kind="production_line", output_unit="pairs", no_show_grace_minutes=15)
    return Scene(facility=facility, member=make.member(chain), rival=make.member(chain),
                 manager=make.manager(facility), committee=make.committee(chain),
                 now=utcnow().replace(microsecond=0))
