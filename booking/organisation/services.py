"""Chains and enterprises: who may change them and how (users and members: people.py).

Administrators manage everything here; an enterprise admin manages the members of
their own enterprise only. Every function checks permission itself, validates
before it changes anything, writes an audit entry and flushes; the caller commits.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.permissions import Roles, forget_roles
from ..accounts.services import record
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..timeutil import is_valid_zone
from . import uscc
from .models import Chain, Enterprise, Membership, chain_enterprises

DEFAULT_TIMEZONE = "Asia/Shanghai"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Model = TypeVar("Model")


# --- permission --------------------------------------------------------------------------

def require_admin(roles: Roles) -> None:
    if not roles.is_admin:
        raise Forbidden(_("Only administrators may do this."))


# --- loading -----------------------------------------------------------------------------

def get_chain(roles: Roles, chain_id: int) -> Chain:
    require_admin(roles)
    return _get(Chain, chain_id, _("There is no such chain."))


def get_enterprise(roles: Roles, enterprise_id: int) -> Enterprise:
    require_admin(roles)
    return _get(Enterprise, enterprise_id, _("There is no such enterprise."))


def _get(model: type[Model], object_id: int, message: str) -> Model:
    found = db.session.get(model, object_id)
    if found is None:
        raise NotFound(message)
    return found


def load_all(model, ids: Iterable[int] | None, field: str) -> list:
    """The rows with these ids, in id order; a vanished id is a form error on ``field``."""
    ids = sorted(set(ids or ()))
    if not ids:
        return []
    found = db.session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)).all()
    if len(found) != len(ids):
        raise InvalidInput(_("Some of the chosen entries no longer exist."), code="unknown_choice", field=field)
    return list(found)


# --- list queries (one statement each; related rows come with selectinload) ------------------

def chains_query(roles: Roles) -> Select:
    require_admin(roles)
    enterprise_count = (select(func.count()).select_from(chain_enterprises)
                        .where(chain_enterprises.c.chain_id == Chain.id).scalar_subquery())
    return (select(Chain, enterprise_count.label("enterprise_count"))
            .options(selectinload(Chain.committee)).order_by(Chain.name))


def enterprises_query(roles: Roles, search: str = "") -> Select:
    require_admin(roles)
    member_count = (select(func.count(Membership.id)).where(Membership.enterprise_id == Enterprise.id)
                    .scalar_subquery())
    query = (select(Enterprise, member_count.label("member_count"))
             .options(selectinload(Enterprise.chains)).order_by(Enterprise.name))
    return _search_enterprises(query, search)


def _search_enterprises(query: Select, search: str) -> Select:
    search = (search or "").strip()
    if search:
        query = query.where(or_(Enterprise.name.icontains(search, autoescape=True),
                                Enterprise.name_en.icontains(search, autoescape=True),
                                Enterprise.uscc.contains(uscc.normalise(search), autoescape=True)))
    return query


# Who sees which enterprises (the API's list): administrators all of them, a chain's committee
# the chain's enterprises, an enterprise admin their own; plain members none.

def sees_enterprise(roles: Roles, enterprise: Enterprise) -> bool:
    return (roles.is_admin or (roles.is_enterprise_admin and roles.enterprise_id == enterprise.id)
            or any(chain.id in roles.committee_chain_ids for chain in enterprise.chains))


def visible_enterprises_query(roles: Roles, search: str = "") -> Select:
    """The enterprises ``roles`` may see, by name, their chains loaded up front."""
    query = select(Enterprise).options(selectinload(Enterprise.chains)).order_by(Enterprise.name, Enterprise.id)
    if not roles.is_admin:
        overseen = select(chain_enterprises.c.enterprise_id).where(
            chain_enterprises.c.chain_id.in_(roles.committee_chain_ids))
        seen = [Enterprise.id.in_(overseen)]
        if roles.is_enterprise_admin:
            seen.append(Enterprise.id == roles.enterprise_id)
        query = query.where(or_(*seen))
    return _search_enterprises(query, search)


def get_visible_enterprise(roles: Roles, enterprise_id: int) -> Enterprise:
    """An enterprise the viewer may see; the others answer 404, so that no id reveals one."""
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None or not sees_enterprise(roles, enterprise):
        raise NotFound(_("There is no such enterprise."), code="unknown_enterprise")
    return enterprise


def all_chains() -> list[Chain]:
    return list(db.session.scalars(select(Chain).order_by(Chain.name)))


def all_enterprises() -> list[Enterprise]:
    return list(db.session.scalars(select(Enterprise).order_by(Enterprise.name)))


# --- validation ----------------------------------------------------------------------------

def clean_uscc(code: str) -> str:
    """The normalised code, or InvalidInput saying whether its form or its check digit is wrong."""
    code = uscc.normalise(code)
    if len(code) != 18 or any(ch not in uscc.CHARSET for ch in code) or not code[2:8].isdigit():
        raise InvalidInput(
            _("The unified social credit code must have 18 characters: digits and capital letters "
              "(not I, O, S, V or Z), with the 6-digit region code in places 3 to 8."),
            code="invalid_uscc", field="uscc")
    if not uscc.is_valid(code):
        raise InvalidInput(
            _("The check digit (the 18th character) of this unified social credit code is wrong; "
              "please check the code for typing errors."),
            code="invalid_uscc_check", field="uscc")
    return code


def _clean_email(value: str, field: str = "email") -> str:
    email = (value or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(_("Please enter a valid e-mail address."), code="invalid_email", field=field)
    return email


def _required(data: dict, field: str, message: str) -> str:
    value = (data.get(field) or "").strip()
    if not value:
        raise InvalidInput(message, code="required", field=field)
    return value


def _optional(data: dict, field: str) -> str | None:
    return (data.get(field) or "").strip() or None


def _taken(model, column, value: str, own_id: int | None) -> bool:
    query = select(model.id).where(func.lower(column) == value.lower())
    if own_id is not None:
        query = query.where(model.id != own_id)
    return db.session.scalar(query.limit(1)) is not None


def _flush_unique(field: str | None, message: str) -> None:
    """Flush in a savepoint: a unique index hit by a concurrent request becomes a form error, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise InvalidInput(message, code="duplicate", field=field) from error


def _changes(obj, fields: Iterable[str], before: dict) -> dict:
    return {f: [before.get(f), getattr(obj, f)] for f in fields if before.get(f) != getattr(obj, f)}


# --- chains --------------------------------------------------------------------------------

CHAIN_FIELDS = ("name", "name_en", "description", "timezone", "show_booker_names")


def save_chain(actor: User, roles: Roles, chain: Chain | None, data: dict) -> Chain:
    """Create (``chain`` None) or update a chain with its member enterprises and committee."""
    require_admin(roles)
    name = _required(data, "name", _("Please give the chain a name."))
    timezone = (data.get("timezone") or "").strip() or DEFAULT_TIMEZONE
    if not is_valid_zone(timezone):
        raise InvalidInput(_("Unknown time zone; use a name such as Asia/Shanghai."),
                           code="invalid_timezone", field="timezone")
    duplicate = _("A chain with this name exists already.")
    if _taken(Chain, Chain.name, name, chain.id if chain else None):
        raise InvalidInput(duplicate, code="duplicate", field="name")
    enterprises = load_all(Enterprise, data.get("enterprise_ids"), "enterprise_ids")
    committee = load_all(User, data.get("committee_ids"), "committee_ids")

    created = chain is None
    chain = chain or Chain()
    before = {} if created else {f: getattr(chain, f) for f in CHAIN_FIELDS}
    before_ids = ([], []) if created else ([e.id for e in chain.enterprises], [u.id for u in chain.committee])
    chain.name, chain.name_en = name, _optional(data, "name_en")
    chain.description = (data.get("description") or "").strip()
    chain.timezone = timezone
    chain.show_booker_names = bool(data.get("show_booker_names"))
    chain.enterprises, chain.committee = enterprises, committee
    if created:
        db.session.add(chain)
    _flush_unique("name", duplicate)
    forget_roles()
    details = {"changes": _changes(chain, CHAIN_FIELDS, before)}
    after_ids = (sorted(e.id for e in enterprises), sorted(u.id for u in committee))
    if sorted(before_ids[0]) != after_ids[0]:
        details["enterprise_ids"] = after_ids[0]
    if sorted(before_ids[1]) != after_ids[1]:
        details["committee_ids"] = after_ids[1]
    record(actor, "chain_created" if created else "chain_updated", "chain", chain.id, **details)
    return chain


# --- enterprises ---------------------------------------------------------------------------

ENTERPRISE_FIELDS = ("name", "name_en", "uscc", "contact_name", "contact_phone", "contact_email", "active")


def save_enterprise(actor: User, roles: Roles, enterprise: Enterprise | None, data: dict) -> Enterprise:
    """Create (``enterprise`` None) or update an enterprise and the chains it belongs to."""
    require_admin(roles)
    own_id = enterprise.id if enterprise else None
    name = _required(data, "name", _("Please give the enterprise's name."))
    code = clean_uscc(data.get("uscc") or "")
    contact_email = (data.get("contact_email") or "").strip()
    if contact_email:
        contact_email = _clean_email(contact_email, "contact_email")
    if _taken(Enterprise, Enterprise.name, name, own_id):
        raise InvalidInput(_("An enterprise with this name exists already."), code="duplicate", field="name")
    if _taken(Enterprise, Enterprise.uscc, code, own_id):
        raise InvalidInput(_("Another enterprise is registered with this unified social credit code."),
                           code="duplicate", field="uscc")
    chains = load_all(Chain, data.get("chain_ids"), "chain_ids")

    created = enterprise is None
    enterprise = enterprise or Enterprise()
    before = {} if created else {f: getattr(enterprise, f) for f in ENTERPRISE_FIELDS}
    before_chains = [] if created else sorted(c.id for c in enterprise.chains)
    enterprise.name, enterprise.name_en, enterprise.uscc = name, _optional(data, "name_en"), code
    enterprise.contact_name = (data.get("contact_name") or "").strip()
    enterprise.contact_phone = (data.get("contact_phone") or "").strip()
    enterprise.contact_email = contact_email
    enterprise.active = bool(data.get("active", True))
    enterprise.chains = chains
    if created:
        db.session.add(enterprise)
    _flush_unique(None, _("Another enterprise has this name or this unified social credit code."))
    forget_roles()  # the chains its members may book in
    details = {"changes": _changes(enterprise, ENTERPRISE_FIELDS, before)}
    if before_chains != sorted(c.id for c in chains):
        details["chain_ids"] = sorted(c.id for c in chains)
    record(actor, "enterprise_created" if created else "enterprise_updated", "enterprise", enterprise.id,
           **details)
    return enterprise


# --- users ---------------------------------------------------------------------------------


# --- an enterprise's members -----------------------------------------------------------------
