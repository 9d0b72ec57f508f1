"""Chains, enterprises, users and memberships: who may change them and how.

Administrators manage everything here; an enterprise admin manages the members of
their own enterprise only. Every function checks permission itself, validates
before it changes anything, writes an audit entry and flushes; the caller commits.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.permissions import Roles, forget_roles
from ..accounts.services import check_password_rules, hash_password, record
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..timeutil import is_valid_zone
from . import uscc
from .models import Chain, Enterprise, Membership, chain_enterprises

MEMBER_ROLES = {"member": _l("Member"), "admin": _l("Enterprise admin")}
DEFAULT_TIMEZONE = "Asia/Shanghai"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Model = TypeVar("Model")


# --- permission --------------------------------------------------------------------------

def require_admin(roles: Roles) -> None:
    if not roles.is_admin:
        raise Forbidden(_("Only administrators may do this."))


def may_manage_members(roles: Roles, enterprise_id: int) -> bool:
    return roles.is_admin or (roles.is_enterprise_admin and roles.enterprise_id == enterprise_id)


def _require_member_manager(roles: Roles, enterprise_id: int) -> None:
    if not may_manage_members(roles, enterprise_id):
        raise Forbidden(_("Only the enterprise's admins may manage its members."))


# --- loading -----------------------------------------------------------------------------

def get_chain(roles: Roles, chain_id: int) -> Chain:
    require_admin(roles)
    return _get(Chain, chain_id, _("There is no such chain."))


def get_enterprise(roles: Roles, enterprise_id: int) -> Enterprise:
    require_admin(roles)
    return _get(Enterprise, enterprise_id, _("There is no such enterprise."))


def get_user(roles: Roles, user_id: int) -> User:
    require_admin(roles)
    return _get(User, user_id, _("There is no such user."))


def get_member_enterprise(roles: Roles, enterprise_id: int) -> Enterprise:
    """The enterprise whose members the viewer manages (checked before the lookup: no probing)."""
    _require_member_manager(roles, enterprise_id)
    return _get(Enterprise, enterprise_id, _("There is no such enterprise."))


def get_member(roles: Roles, enterprise: Enterprise, user_id: int) -> User:
    """A member of ``enterprise``; anyone else is 'not found', whatever the id in the URL."""
    _require_member_manager(roles, enterprise.id)
    user = db.session.get(User, user_id)
    if user is None or user.membership is None or user.membership.enterprise_id != enterprise.id:
        raise NotFound(_("There is no such member."))
    return user


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
    search = (search or "").strip()
    if search:
        query = query.where(or_(Enterprise.name.icontains(search, autoescape=True),
                                Enterprise.name_en.icontains(search, autoescape=True),
                                Enterprise.uscc.contains(uscc.normalise(search), autoescape=True)))
    return query


def users_query(roles: Roles, search: str = "") -> Select:
    require_admin(roles)
    query = select(User).options(selectinload(User.committee_chains)).order_by(User.name, User.id)
    search = (search or "").strip()
    if search:
        query = query.where(or_(User.name.icontains(search, autoescape=True),
                                User.email.icontains(search, autoescape=True)))
    return query


def members_query(roles: Roles, enterprise: Enterprise) -> Select:
    _require_member_manager(roles, enterprise.id)
    return (select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.enterprise_id == enterprise.id).order_by(User.name, User.id))


def all_chains() -> list[Chain]:
    return list(db.session.scalars(select(Chain).order_by(Chain.name)))


def all_enterprises() -> list[Enterprise]:
    return list(db.session.scalars(select(Enterprise).order_by(Enterprise.name)))


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name, User.id)))


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


def _check_password(password: str, field: str = "password") -> None:
    try:
        check_password_rules(password or "")
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field=field) from error


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

def create_user(actor: User, roles: Roles, data: dict) -> User:
    """An administrator creates an account with its roles (enterprise, committee chains)."""
    require_admin(roles)
    user = _new_user(data)
    enterprise = _enterprise_for_role(data)
    committee = load_all(Chain, data.get("committee_chain_ids"), "committee_chain_ids")
    user.is_admin = bool(data.get("is_admin"))
    db.session.add(user)
    _flush_unique("email", _("A user with this e-mail exists already."))
    _set_membership(user, enterprise, data.get("role") or "member")
    user.committee_chains = committee
    db.session.flush()
    forget_roles()
    record(actor, "user_created", "user", user.id, email=user.email, is_admin=user.is_admin,
           enterprise_id=data.get("enterprise_id") or None, role=_role_of(user),
           committee_chain_ids=sorted(c.id for c in committee))
    return user


def update_user(actor: User, roles: Roles, user: User, data: dict) -> User:
    """An administrator edits a user's name, e-mail and roles (the password has its own action)."""
    require_admin(roles)
    email = _clean_email(data.get("email") or "")
    name = _required(data, "name", _("Please give the user's name."))
    duplicate = _("A user with this e-mail exists already.")
    if _taken(User, User.email, email, user.id):
        raise InvalidInput(duplicate, code="duplicate", field="email")
    if user.id == actor.id and not data.get("is_admin"):
        raise InvalidInput(_("You cannot take away your own administrator rights."), code="self_demotion",
                           field="is_admin")
    enterprise = _enterprise_for_role(data)
    committee = load_all(Chain, data.get("committee_chain_ids"), "committee_chain_ids")

    before = {"email": user.email, "name": user.name, "is_admin": user.is_admin,
              "enterprise_id": user.membership.enterprise_id if user.membership else None,
              "role": _role_of(user), "committee_chain_ids": sorted(c.id for c in user.committee_chains)}
    user.email, user.name, user.is_admin = email, name, bool(data.get("is_admin"))
    _set_membership(user, enterprise, data.get("role") or "member")
    user.committee_chains = committee
    _flush_unique("email", duplicate)
    forget_roles()
    after = {"email": user.email, "name": user.name, "is_admin": user.is_admin,
             "enterprise_id": user.membership.enterprise_id if user.membership else None,
             "role": _role_of(user), "committee_chain_ids": sorted(c.id for c in committee)}
    record(actor, "user_updated", "user", user.id,
           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return user


def set_user_active(actor: User, roles: Roles, user: User, active: bool) -> None:
    """Deactivate (the account stays, its sessions and tokens stop working) or reactivate a user."""
    if not roles.is_admin:
        enterprise_id = user.membership.enterprise_id if user.membership else None
        if enterprise_id is None or not may_manage_members(roles, enterprise_id):
            raise Forbidden(_("Only administrators and the enterprise's admins may do this."))
        if user.is_admin:
            raise Forbidden(_("Only administrators may change an administrator's account."))
    if user.id == actor.id and not active:
        raise InvalidInput(_("You cannot deactivate your own account."), code="self_deactivation")
    if user.active == active:
        return
    user.active = active
    db.session.flush()
    record(actor, "user_reactivated" if active else "user_deactivated", "user", user.id)


def reset_password(actor: User, roles: Roles, user: User, password: str) -> None:
    """Set a new password; every existing session of the user ends."""
    require_admin(roles)
    _check_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.session.flush()
    record(actor, "password_reset", "user", user.id)


# --- an enterprise's members -----------------------------------------------------------------

def add_member(actor: User, roles: Roles, enterprise: Enterprise, data: dict) -> User:
    """A new account in ``enterprise``. An existing e-mail is refused: accounts are not claimed."""
    _require_member_manager(roles, enterprise.id)
    role = data.get("role") or "member"
    if role not in MEMBER_ROLES:
        raise InvalidInput(_("Unknown role."), code="invalid_role", field="role")
    user = _new_user(data)
    db.session.add(user)
    _flush_unique("email", _("A user with this e-mail exists already."))
    _set_membership(user, enterprise, role)
    db.session.flush()
    forget_roles()
    record(actor, "member_added", "user", user.id, enterprise_id=enterprise.id, email=user.email, role=role)
    return user


def set_member_role(actor: User, roles: Roles, enterprise: Enterprise, user: User, role: str) -> None:
    _require_member_manager(roles, enterprise.id)
    membership = user.membership
    if membership is None or membership.enterprise_id != enterprise.id:
        raise NotFound(_("There is no such member."))
    if role not in MEMBER_ROLES:
        raise InvalidInput(_("Unknown role."), code="invalid_role", field="role")
    if user.id == actor.id and not roles.is_admin:
        raise InvalidInput(_("You cannot change your own role; ask another admin of your enterprise."),
                           code="self_role", field="role")
    if user.is_admin and not roles.is_admin:
        raise Forbidden(_("Only administrators may change an administrator's account."))
    if membership.role == role:
        return
    before, membership.role = membership.role, role
    db.session.flush()
    forget_roles()
    record(actor, "member_role_changed", "user", user.id, enterprise_id=enterprise.id,
           changes={"role": [before, role]})


def _new_user(data: dict) -> User:
    email = _clean_email(data.get("email") or "")
    name = _required(data, "name", _("Please give the user's name."))
    if _taken(User, User.email, email, None):
        raise InvalidInput(_("A user with this e-mail exists already."), code="duplicate", field="email")
    _check_password(data.get("password") or "")
    return User(email=email, name=name, password_hash=hash_password(data["password"]), active=True)


def _enterprise_for_role(data: dict) -> Enterprise | None:
    """The enterprise a user is to belong to (None: none), with the role checked."""
    if not data.get("enterprise_id"):
        return None
    enterprise = db.session.get(Enterprise, data["enterprise_id"])
    if enterprise is None:
        raise InvalidInput(_("Some of the chosen entries no longer exist."), code="unknown_choice",
                           field="enterprise_id")
    if (data.get("role") or "member") not in MEMBER_ROLES:
        raise InvalidInput(_("Unknown role."), code="invalid_role", field="role")
    return enterprise


def _set_membership(user: User, enterprise: Enterprise | None, role: str) -> None:
    membership = user.membership
    if enterprise is None:
        if membership is not None:
            user.membership = None  # delete-orphan removes the row; bookings keep their enterprise
        return
    if membership is None:
        db.session.add(Membership(user=user, enterprise=enterprise, role=role))
    else:
        membership.enterprise, membership.role = enterprise, role


def _role_of(user: User) -> str | None:
    return user.membership.role if user.membership else None

