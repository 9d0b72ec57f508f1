"""Enterprises and their members, for the people who administer them.

Who sees an enterprise: administrators all, a chain's committee the chain's
enterprises, an enterprise admin their own; any other id answers 404. Members are
listed and changed by those the administration pages let manage them (the
enterprise's admins and the platform's administrators), through the same services.
Changes need a token with the ``admin`` scope. Password hashes are never answered.
"""
from __future__ import annotations

from typing import Literal

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..accounts.models import User
from ..organisation import people, services
from ..organisation.models import Enterprise
from ..timeutil import iso
from . import bp
from .outputs import ChainRef
from .paging import PAGE_HEADERS, Paging, paged
from .schemas import N_, Body, Id, Out, Text, Timestamp, unchanged
from .spec import operation

TAGS = ("organisation",)
MemberRole = Literal[tuple(people.MEMBER_ROLES)]


class EnterpriseFilter(Paging):
    q: Text(100) = Field("", description=N_("part of the name, the English name or the unified social credit code"))


class EnterpriseOut(Out):
    id: int
    name: str
    name_en: str | None
    uscc: str = Field(description=N_("unified social credit code (18 characters)"))
    contact_name: str
    contact_phone: str
    contact_email: str
    active: bool
    chains: list[ChainRef] = Field(description=N_("the chains whose facilities its members may book"))
    created_at: Timestamp


class EnterpriseList(Out):
    enterprises: list[EnterpriseOut]


class EnterpriseCreate(Body):
    name: Text(160)
    name_en: Text(200) | None = None
    uscc: Text(40) = Field(description=N_("unified social credit code; spaces and hyphens are ignored"))
    contact_name: Text(80) = ""
    contact_phone: Text(40) = ""
    contact_email: Text(254) = ""
    active: bool = True
    chain_ids: list[Id] = Field(default_factory=list, max_length=1000)


class EnterpriseChange(Body):
    """Only the fields sent change."""
    name: Text(160) = unchanged()
    name_en: Text(200) | None = unchanged()
    uscc: Text(40) = unchanged()
    contact_name: Text(80) = unchanged()
    contact_phone: Text(40) = unchanged()
    contact_email: Text(254) = unchanged()
    active: bool = unchanged()
    chain_ids: list[Id] = unchanged(max_length=1000, description=N_("replaces the enterprise's chains"))


class MemberOut(Out):
    id: int
    name: str
    email: str
    role: MemberRole = Field(description=N_("member, or admin: the enterprise's admin"))
    active: bool
    created_at: Timestamp


class MemberList(Out):
    members: list[MemberOut]


class MemberCreate(Body):
    email: Text(254)
    name: Text(120)
    password: Text(200) = Field(description=N_("at least 8 characters, mixing letters with digits or symbols"))
    role: MemberRole = "member"


class MemberChange(Body):
    """Only the fields sent change."""
    role: MemberRole = unchanged()
    active: bool = unchanged(description=N_("`false`: the account can no longer sign in or use its tokens"))


def enterprise_json(enterprise: Enterprise) -> dict:
    return {
        "id": enterprise.id, "name": enterprise.name, "name_en": enterprise.name_en, "uscc": enterprise.uscc,
        "contact_name": enterprise.contact_name, "contact_phone": enterprise.contact_phone,
        "contact_email": enterprise.contact_email, "active": enterprise.active,
        "chains": [{"id": c.id, "name": c.name, "name_en": c.name_en} for c in enterprise.chains],
        "created_at": iso(enterprise.created_at),
    }


def member_json(user: User) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.membership.role,
            "active": user.active, "created_at": iso(user.created_at)}


def _managed_enterprise(enterprise_id: int) -> Enterprise:
    """An enterprise the caller sees (else 404) and whose members they manage (else 403)."""
    services.get_visible_enterprise(g.api_roles, enterprise_id)
    return people.get_member_enterprise(g.api_roles, enterprise_id)


# --- enterprises -------------------------------------------------------------------------------

@bp.get("/enterprises")
@operation(_l("List the enterprises the caller administers or oversees"), tags=TAGS, query=EnterpriseFilter,
           response=EnterpriseList, headers=PAGE_HEADERS)
def list_enterprises(query: EnterpriseFilter):
    statement = services.visible_enterprises_query(g.api_roles, query.q)
    items, headers = paged(statement, query, ".list_enterprises")
    return {"enterprises": [enterprise_json(e) for e in items]}, 200, headers


@bp.post("/enterprises")
@operation(_l("Register an enterprise (administrators)"), tags=TAGS, body=EnterpriseCreate, response=EnterpriseOut,
           status=201, scope="admin", idempotent=True, headers={"Location": _l("the new enterprise")})
def create_enterprise(body: EnterpriseCreate):
    enterprise = services.save_enterprise(g.api_user, g.api_roles, None, body.model_dump())
    return enterprise_json(enterprise), 201, {"Location": url_for(".get_enterprise", enterprise_id=enterprise.id)}


@bp.get("/enterprises/<int:enterprise_id>")
@operation(_l("Read an enterprise"), tags=TAGS, response=EnterpriseOut, etag=True)
def get_enterprise(enterprise_id: int):
    return enterprise_json(services.get_visible_enterprise(g.api_roles, enterprise_id))


@bp.patch("/enterprises/<int:enterprise_id>")
@operation(_l("Change an enterprise (administrators)"), tags=TAGS, body=EnterpriseChange, response=EnterpriseOut,
           scope="admin")
def update_enterprise(enterprise_id: int, body: EnterpriseChange):
    enterprise = services.get_visible_enterprise(g.api_roles, enterprise_id)
    data = {"name": enterprise.name, "name_en": enterprise.name_en, "uscc": enterprise.uscc,
            "contact_name": enterprise.contact_name, "contact_phone": enterprise.contact_phone,
            "contact_email": enterprise.contact_email, "active": enterprise.active,
            "chain_ids": [c.id for c in enterprise.chains], **body.model_dump(exclude_unset=True)}
    return enterprise_json(services.save_enterprise(g.api_user, g.api_roles, enterprise, data))


# --- members -----------------------------------------------------------------------------------

@bp.get("/enterprises/<int:enterprise_id>/members")
@operation(_l("List an enterprise's members (its admins and administrators)"), tags=TAGS, query=Paging,
           response=MemberList, headers=PAGE_HEADERS)
def list_members(enterprise_id: int, query: Paging):
    enterprise = _managed_enterprise(enterprise_id)
    items, headers = paged(people.members_query(g.api_roles, enterprise), query, ".list_members",
                            enterprise_id=enterprise_id)
    return {"members": [member_json(u) for u in items]}, 200, headers


@bp.post("/enterprises/<int:enterprise_id>/members")
@operation(_l("Add a member: a new account in the enterprise (its admins and administrators)"), tags=TAGS,
           body=MemberCreate, response=MemberOut, status=201, scope="admin",
           headers={"Location": _l("the new member")},
           description=_l("Not idempotent, so that no digest of the password is kept with an idempotency key; "
                          "a retry is refused because the e-mail is taken (422 `duplicate`)."))
def add_member(enterprise_id: int, body: MemberCreate):
    enterprise = _managed_enterprise(enterprise_id)
    user = people.add_member(g.api_user, g.api_roles, enterprise, body.model_dump())
    return member_json(user), 201, {"Location": url_for(".get_member", enterprise_id=enterprise_id,
                                                        user_id=user.id)}


@bp.get("/enterprises/<int:enterprise_id>/members/<int:user_id>")
@operation(_l("Read a member of an enterprise (its admins and administrators)"), tags=TAGS, response=MemberOut)
def get_member(enterprise_id: int, user_id: int):
    enterprise = _managed_enterprise(enterprise_id)
    return member_json(people.get_member(g.api_roles, enterprise, user_id))


@bp.patch("/enterprises/<int:enterprise_id>/members/<int:user_id>")
@operation(_l("Change a member's role, or deactivate or reactivate the account"), tags=TAGS, body=MemberChange,
           response=MemberOut, scope="admin")
def update_member(enterprise_id: int, user_id: int, body: MemberChange):
    enterprise = _managed_enterprise(enterprise_id)
    user = people.get_member(g.api_roles, enterprise, user_id)
    changes = body.model_dump(exclude_unset=True)
    if "role" in changes:
        people.set_member_role(g.api_user, g.api_roles, enterprise, user, changes["role"])
    if "active" in changes:
        people.set_user_active(g.api_user, g.api_roles, user, changes["active"])
    return member_json(user)
