"""Administration fixtures: a chain with every role in it, committed before any request.

The scene is committed because a refused request rolls the session back, and the
test client shares the test's session.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from booking.accounts.models import AuditEntry, User
from booking.extensions import db
from booking.facilities.models import Facility
from booking.organisation.models import Chain, Enterprise


@pytest.fixture(autouse=True)
def english(client):
    """Pages answer in English, so that tests read the messages as written in the code."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@dataclass
class Scene:
    chain: Chain
    other_chain: Chain
    enterprise: Enterprise
    other_enterprise: Enterprise
    facility: Facility
    other_facility: Facility   # same chain, not managed by ``manager``
    member: User               # plain member of ``enterprise``
    enterprise_admin: User     # admin of ``enterprise``
    outsider: User             # member of ``other_enterprise``
    manager: User              # manages ``facility``
    committee: User            # committee of ``chain``
    admin: User


@pytest.fixture
def scene(make) -> Scene:
    chain = make.chain(name="泽国鞋帽产业链", name_en="Zeguo footwear chain")
    other_chain = make.chain(name="宜黄塑料产业链", name_en="Yihuang plastics chain")
    enterprise = make.enterprise(chain, name="温岭鞋业", name_en="Wenling Shoes")
    other_enterprise = make.enterprise(chain, name="泽国帽业", name_en="Zeguo Hats")
    facility = make.facility(chain, name="春雨生产线", name_en="Chunyu line", kind="production_line")
    other_facility = make.facility(chain, name="春苗直播间1", name_en="Chunmiao studio 1", kind="livestream_studio")
    scene = Scene(
        chain=chain, other_chain=other_chain, enterprise=enterprise, other_enterprise=other_enterprise,
        facility=facility, other_facility=other_facility,
        member=make.user(enterprise, name="Member Ma"), enterprise_admin=make.user(enterprise, role="admin"),
        outsider=make.user(other_enterprise, name="Outsider Ou"), manager=make.manager(facility),
        committee=make.committee(chain), admin=make.admin(name="Admin An"))
    db.session.commit()
    return scene


def audit(action: str, object_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    return list(db.session.scalars(query))


def text(response) -> str:
    return response.get_data(as_text=True)
