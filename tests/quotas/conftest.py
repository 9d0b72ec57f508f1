"""Quota fixtures: a shoe chain with two lines of one kind, two firms (one with two members), and
a helper that sets a quota straight in the database."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from booking.accounts.models import AuditEntry, User
from booking.accounts.permissions import roles_of
from booking.bookings import services
from booking.extensions import db
from booking.facilities.models import Facility
from booking.organisation.models import Chain, Enterprise
from booking.quotas.models import Quota


@dataclass
class Scene:
    chain: Chain
    line: Facility          # a production line, open day and night, needs approval
    second_line: Facility   # another production line of the chain
    studio: Facility        # a livestream studio with evening peak hours
    firm: Enterprise
    member: User            # of ``firm``
    colleague: User         # of ``firm`` too
    firm_admin: User        # ``firm``'s enterprise admin
    rival: User             # member of another firm of the chain
    manager: User           # manages ``line`` (only)
    admin: User


@pytest.fixture
def scene(make) -> Scene:
    chain = make.chain(name="泽国鞋帽产业链", name_en="Zeguo footwear chain", timezone="Asia/Shanghai")
    open_all_day = dict(hours="00:00-24:00", max_minutes=24 * 60, min_minutes=30, slot_minutes=30)
    line = make.facility(chain, name="春雨共享生产线", name_en="Chunyu line", kind="production_line", **open_all_day)
    second_line = make.facility(chain, name="成型二号线", name_en="Forming line 2", kind="production_line",
                                **open_all_day)
    studio = make.facility(chain, name="春苗直播间01", name_en="Chunmiao studio 01", kind="livestream_studio",
                           peak_start_minute=18 * 60, peak_end_minute=22 * 60, peak_weekdays="0123456",
                           **open_all_day)
    member = make.member(chain, name="Member Ma")
    firm = member.membership.enterprise
    scene = Scene(chain=chain, line=line, second_line=second_line, studio=studio, firm=firm, member=member,
                  colleague=make.user(firm, name="Colleague Co"), firm_admin=make.user(firm, role="admin"),
                  rival=make.member(chain, name="Rival Ri"), manager=make.manager(line), admin=make.admin())
    return scene


@pytest.fixture
def quota(scene):
    """``quota(limit_hours="3")``: on the scene's line, every enterprise, per week, refusing, unless told."""
    def make_quota(**kw) -> Quota:
        values = dict(facility_id=scene.line.id, period="week", over_limit="refuse", peak_only=False)
        if "kind" in kw:
            values.pop("facility_id")
        values.update(kw)
        if isinstance(values.get("limit_hours"), str):
            values["limit_hours"] = Decimal(values["limit_hours"])
        created = Quota(**values)
        db.session.add(created)
        db.session.flush()
        return created
    return make_quota


def request(user, facility, start, end, **kw):
    return services.request_booking(user, roles_of(user), facility, start, end, **kw)


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
