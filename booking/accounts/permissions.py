"""Who may do what: one small object per user and request, computed with two queries."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, has_app_context
from sqlalchemy import select

from ..extensions import db


@dataclass(frozen=True)
class Roles:
    user_id: int | None = None
    is_admin: bool = False
    enterprise_id: int | None = None
    is_enterprise_admin: bool = False
    managed_facility_ids: frozenset[int] = field(default_factory=frozenset)
    committee_chain_ids: frozenset[int] = field(default_factory=frozenset)
    # Chains the user's enterprise belongs to: where the user may book.
    member_chain_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_manager(self) -> bool:
        return bool(self.managed_facility_ids)

    @property
    def is_committee(self) -> bool:
        return bool(self.committee_chain_ids)

    def manages(self, facility_id: int) -> bool:
        return self.is_admin or facility_id in self.managed_facility_ids

    def oversees_chain(self, chain_id: int) -> bool:
        return self.is_admin or chain_id in self.committee_chain_ids

    def can_see_facility(self, facility) -> bool:
        return (self.is_admin or facility.id in self.managed_facility_ids
                or facility.chain_id in self.committee_chain_ids
                or facility.chain_id in self.member_chain_ids)

    def visible_chain_ids(self) -> frozenset[int] | None:
        """None means every chain (administrators)."""
        if self.is_admin:
            return None
        return self.committee_chain_ids | self.member_chain_ids

    def sees_booking_details(self, booking) -> bool:
        return self.sees_details_at(booking.facility, booking.enterprise_id)

    def sees_details_at(self, facility, enterprise_id: int) -> bool:
        """Whether the viewer may read the details of a booking of ``enterprise_id`` at ``facility``."""
        return (self.is_admin or facility.id in self.managed_facility_ids or enterprise_id == self.enterprise_id
                or facility.chain_id in self.committee_chain_ids)


ANONYMOUS = Roles()


def roles_of(user) -> Roles:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cache = g.setdefault("roles", {}) if has_app_context() else {}
    key = (user.id, user.session_version)
    if key not in cache:
        cache[key] = _compute(user)
    return cache[key]


def forget_roles() -> None:
    """Call after changing memberships, managers or committees."""
    if has_app_context():
        g.pop("roles", None)


def _compute(user) -> Roles:
    from ..facilities.models import facility_managers
    from ..organisation.models import chain_committee, chain_enterprises

    membership = user.membership
    managed = db.session.scalars(
        select(facility_managers.c.facility_id).where(facility_managers.c.user_id == user.id)).all()
    chain_rows = db.session.execute(
        select(chain_committee.c.chain_id, db.literal(True)).where(chain_committee.c.user_id == user.id)
        .union_all(select(chain_enterprises.c.chain_id, db.literal(False))
                   .where(chain_enterprises.c.enterprise_id == (membership.enterprise_id if membership else -1)))
    ).all()
    return Roles(
        user_id=user.id,
        is_admin=user.is_admin,
        enterprise_id=membership.enterprise_id if membership else None,
        is_enterprise_admin=bool(membership and membership.role == "admin"),
        managed_facility_ids=frozenset(managed),
        committee_chain_ids=frozenset(c for c, committee in chain_rows if committee),
        member_chain_ids=frozenset(c for c, committee in chain_rows if not committee),
    )
