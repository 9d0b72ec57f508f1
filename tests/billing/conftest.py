"""Billing fixtures: a production line with rates and fees, its manager, and the people around it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from booking.accounts.models import User
from booking.facilities.models import Facility
from booking.organisation.models import Enterprise
from booking.timeutil import utcnow


@dataclass
class Scene:
    facility: Facility
    enterprise: Enterprise
    member: User            # of ``enterprise``
    enterprise_admin: User  # of ``enterprise``
    rival: User             # member of another enterprise of the chain
    manager: User
    admin: User
    now: datetime

    def booking(self, make, start_in: int = 0, minutes: int = 120, status: str = "approved", **kw):
        """A booking of ``enterprise`` starting ``start_in`` minutes from now (negative: in the past)."""
        start = self.now + timedelta(minutes=start_in)
        return make.booking(kw.pop("facility", self.facility), start, start + timedelta(minutes=minutes),
                            status=status, requester=kw.pop("requester", self.member), **kw)


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def scene(make) -> Scene:
    chain = make.chain()
    facility = make.facility(chain, kind="production_line", output_unit="pairs", name="春雨生产线",
                             name_en="Chunyu line", shared_rate=Decimal("600.00"),
                             reference_rate=Decimal("1250.00"), billing_basis="booked",
                             no_show_fee=Decimal("1200.00"), late_cancel_fee=Decimal("600.00"),
                             min_notice_minutes=60, cancel_notice_minutes=60, no_show_grace_minutes=15)
    enterprise = make.enterprise(chain, name="温岭鸿达鞋业", name_en="Hongda Shoes")
    return Scene(facility=facility, enterprise=enterprise, member=make.user(enterprise, name="Member Ma"),
                 enterprise_admin=make.user(enterprise, role="admin"), rival=make.member(chain),
                 manager=make.manager(facility), admin=make.admin(), now=utcnow().replace(microsecond=0))
