"""Calendar fixtures: a chain with every role, a facility in Europe/Berlin, and an independent .ics reader.

The .ics the application writes with the ``icalendar`` package is read back with
``vobject``, another implementation, so that a test compares what any calendar client
would see with the database, not what the writer believes it wrote.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject

from booking.accounts.models import User
from booking.extensions import db
from booking.facilities.models import Facility
from booking.organisation.models import Chain

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Scene:
    chain: Chain
    facility: Facility       # Asia/Shanghai, the chain's zone
    berlin: Facility         # Europe/Berlin, for daylight-saving time
    member: User             # books for their enterprise
    colleague: User          # same enterprise as member
    rival: User              # another enterprise of the same chain
    manager: User            # manages ``facility`` and ``berlin``
    committee: User
    admin: User
    outsider: User           # an enterprise of another chain


@pytest.fixture
def scene(make) -> Scene:
    chain = make.chain(name="泽国鞋帽产业链", name_en="Zeguo footwear chain")
    facility = make.facility(chain, name="春雨生产线", name_en="Chunyu production line", kind="production_line",
                             park="汇富春天园区", location="3号楼")
    berlin = make.facility(chain, name="柏林实验室", name_en="Berlin lab", kind="lab", timezone="Europe/Berlin")
    member = make.member(chain)
    scene = Scene(chain=chain, facility=facility, berlin=berlin, member=member,
                  colleague=make.user(member.membership.enterprise), rival=make.member(chain),
                  manager=make.manager(facility, berlin), committee=make.committee(chain), admin=make.admin(),
                  outsider=make.member())
    for user in (scene.member, scene.colleague, scene.rival, scene.manager, scene.committee, scene.admin,
                 scene.outsider):
        user.locale = "en"  # a feed speaks its owner's language: tests read English
    db.session.commit()
    return scene


def parse(body: bytes):
    """The calendar as another parser reads it."""
    return vobject.readOne(body.decode("utf-8"))


def events(body: bytes) -> dict[str, object]:
    """VEVENTs by UID, read with vobject."""
    calendar = parse(body)
    return {e.uid.value: e for e in getattr(calendar, "vevent_list", [])}


def instants(vevent) -> tuple[datetime, datetime]:
    return vevent.dtstart.value.astimezone(UTC), vevent.dtend.value.astimezone(UTC)


def uid(booking) -> str:
    return f"booking-{booking.id}@lianxiang.local"


def next_dst_change(tz: ZoneInfo, after: date | None = None) -> date:
    """The first day after ``after`` whose UTC offset at noon differs from the day before's."""
    day = after or datetime.now(tz).date() + timedelta(days=2)
    for _ in range(400):
        before = datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
        following = day + timedelta(days=1)
        if datetime(following.year, following.month, following.day, 12, tzinfo=tz).utcoffset() != before:
            return following
        day = following
    raise AssertionError("no daylight-saving change within a year")
